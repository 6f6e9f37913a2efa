/** Offsets of one partition read but not yet handled, in order; the commit point is the first unhandled one. */
export class PartitionProgress {
  private readonly offsets: number[] = [];
  private readonly done = new Set<number>();
  private head = 0;
  private next = -1;
  /** The last offset committed (-1: none yet). */
  committed = -1;

  add(offset: number): void {
    this.offsets.push(offset);
    this.next = Math.max(this.next, offset + 1);
  }

  complete(offset: number): void {
    this.done.add(offset);
    while (this.head < this.offsets.length && this.done.has(this.offsets[this.head]!)) {
      this.done.delete(this.offsets[this.head]!);
      this.head++;
    }
    // Drop the handled prefix now and then, not on every completion.
    if (this.head > 1024) {
      this.offsets.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The offset to commit: the oldest unhandled record, or past everything read. */
  watermark(): number {
    return this.head < this.offsets.length ? this.offsets[this.head]! : this.next;
  }

  /** Offsets read and not yet handled. */
  get open(): number {
    return this.offsets.length - this.head;
  }
}

/**
 * The commit bookkeeping of a consumer that handles records out of order
 * (each when it falls due): per partition, what was read and what was
 * handled; a partition is committed only up to its oldest unhandled
 * record, so a crash re-reads everything not finished. A rebalance starts a
 * new generation: completions of records read before it no longer count
 * (their partitions are read again from the last commit).
 */
export class OffsetProgress {
  private readonly partitions = new Map<number, PartitionProgress>();
  private gen = 0;

  get generation(): number {
    return this.gen;
  }

  /** A record was read; returns the generation its completion must name. */
  read(partition: number, offset: number): number {
    let p = this.partitions.get(partition);
    if (!p) this.partitions.set(partition, (p = new PartitionProgress()));
    p.add(offset);
    return this.gen;
  }

  /** A record was handled; ignored when it was read before the last rebalance. */
  handled(partition: number, offset: number, generation: number): void {
    if (generation !== this.gen) return;
    this.partitions.get(partition)?.complete(offset);
  }

  /** Offsets to commit now: each partition whose commit point moved since its last commit. */
  toCommit(): Array<{ partition: number; offset: number }> {
    const out: Array<{ partition: number; offset: number }> = [];
    for (const [partition, p] of this.partitions) {
      const w = p.watermark();
      if (w > p.committed) out.push({ partition, offset: w });
    }
    return out;
  }

  /** The broker took these commits. */
  committed(commits: ReadonlyArray<{ partition: number; offset: number }>): void {
    for (const c of commits) {
      const p = this.partitions.get(c.partition);
      if (p) p.committed = c.offset;
    }
  }

  /** A rebalance: forget every partition; completions of earlier reads no longer count. */
  reset(): void {
    this.gen++;
    this.partitions.clear();
  }
}
