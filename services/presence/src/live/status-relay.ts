import { canTransition, MESSAGE_STATUS, type Status, type StatusEvent } from '@hub/domain';
import type { ConsumedRecord, Logger } from '@hub/platform';
import type { Fanout } from '@hub/push';
import type { ServerFrame } from '../ws/frames';

/**
 * hub.status.v1 → `status` frames to the sender's connections. The presence
 * nodes share one consumer group, so each status reaches the sender once,
 * through whichever node consumed it.
 *
 * Statuses of one message come from several writers (the router's `sent`,
 * a recipient's `delivered` via presence) and can land out of order; the
 * status API folds them forward-only by time. The relay does the same with
 * what it has seen (all of a conversation's statuses share a partition), so
 * a sender's frames never go backwards either.
 */
export class StatusRelay {
  /** Last status sent per message × recipient × channel, oldest evicted first. */
  private readonly last = new Map<string, Status>();

  constructor(
    private readonly fanout: Fanout,
    private readonly logger: Logger,
    private readonly remember = 100_000,
  ) {}

  async handle(records: ConsumedRecord[]): Promise<void> {
    const frames: Array<{ users: string[]; frame: ServerFrame }> = [];
    for (const r of records) {
      if (r.envelope?.type !== MESSAGE_STATUS) continue;
      const e = r.envelope.payload as StatusEvent;
      if (typeof e?.from !== 'string' || typeof e.message_id !== 'string') continue;
      if (!this.advance(`${e.message_id}|${e.recipient}|${e.channel}`, e.status)) continue;
      frames.push({
        users: [e.from],
        frame: {
          op: 'status',
          d: { message_id: e.message_id, conversation_id: e.conversation_id, recipient: e.recipient, channel: e.channel, status: e.status },
        },
      });
    }
    if (frames.length === 0) return;
    try {
      // One presence lookup for the batch; frames leave in the partition's order.
      await this.fanout.many(frames);
    } catch (err) {
      // Status frames are a courtesy: the status API has the truth. Don't hold the partition for them.
      this.logger.warn({ err: { message: (err as Error).message }, frames: frames.length }, 'status frames not sent');
    }
  }

  private advance(key: string, status: Status): boolean {
    const previous = this.last.get(key);
    if (!canTransition(previous, status)) return false;
    this.last.delete(key);
    this.last.set(key, status);
    if (this.last.size > this.remember) this.last.delete(this.last.keys().next().value!);
    return true;
  }
}
