import type { Logger } from 'pino';
import type { KeyValueStore, KvChange } from './key-value-store';

export interface MirrorOptions {
  /** Applies one put or delete to the in-process copy; may throw for a malformed value. */
  apply(change: KvChange): void;
  /** Told about a change apply() refused; the mirror goes on with the other keys. */
  onMalformed(change: KvChange, err: Error): void;
}

/**
 * Loads every key under `prefixes` into an in-process copy and keeps it
 * fresh with prefix watches. The watches start first and buffer, then the
 * prefixes are listed, then the buffered changes are replayed, so a change
 * made while loading is neither lost nor overwritten by the older listing.
 * A value apply() refuses (written by hand, say) is reported and skipped
 * rather than stopping the watch for every other key. If loading fails the
 * watches already started are stopped and the error is thrown, so the
 * caller can try again. Resolves with a function that stops the watches.
 */
export async function mirrorPrefixes(kv: KeyValueStore, prefixes: readonly string[], opts: MirrorOptions): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    await Promise.allSettled(stops.splice(0).map((s) => s()));
  };
  const safeApply = (change: KvChange) => {
    try {
      opts.apply(change);
    } catch (err) {
      opts.onMalformed(change, err as Error);
    }
  };
  let buffered: KvChange[] | undefined = [];
  const onChange = (change: KvChange) => {
    if (buffered) buffered.push(change);
    else safeApply(change);
  };
  try {
    for (const prefix of prefixes) stops.push(await kv.watchPrefix(prefix, onChange));
    const listings = await Promise.all(prefixes.map((p) => kv.list<unknown>(p)));
    for (const listing of listings) for (const [key, value] of listing) safeApply({ type: 'put', key, value });
    const pending = buffered;
    buffered = undefined;
    for (const change of pending) safeApply(change);
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}

/**
 * An in-process copy of some etcd prefixes (mirrorPrefixes) with the
 * ready/stop lifecycle its users share: ready() loads once (again after a
 * failed load), stop() ends the watches. Subclasses keep their own
 * indexes in apply(), which a process also calls with its own writes so
 * it reads them before the watch repeats them.
 */
export abstract class PrefixMirror {
  private loading: Promise<void> | undefined;
  private stopWatches: (() => Promise<void>) | undefined;

  constructor(
    protected readonly kv: KeyValueStore,
    private readonly mirrored: { prefixes: readonly string[]; what: string },
    protected readonly logger?: Logger,
  ) {}

  abstract apply(change: KvChange): void;
  /** Sizes logged once loaded. */
  protected abstract counts(): Record<string, number>;

  ready(): Promise<void> {
    this.loading ??= this.load();
    return this.loading;
  }

  async stop(): Promise<void> {
    const stop = this.stopWatches;
    this.stopWatches = undefined;
    await stop?.();
  }

  private async load(): Promise<void> {
    const { prefixes, what } = this.mirrored;
    try {
      this.stopWatches = await mirrorPrefixes(this.kv, prefixes, {
        apply: (change) => this.apply(change),
        onMalformed: (change, err) => this.logger?.warn({ key: change.key, err: { message: err.message } }, `ignored malformed ${what}`),
      });
    } catch (err) {
      this.loading = undefined; // let a later ready() try again
      throw err;
    }
    this.logger?.info(this.counts(), `${what}s loaded`);
  }
}
