import { MESSAGE_STATUS, type StatusEvent } from '@hub/domain';
import type { ConsumedRecord, Logger } from '@hub/platform';
import type { Fanout } from '../fanout';

/**
 * hub.status.v1 → `status` frames to the sender's connections. The presence
 * nodes share one consumer group, so each status reaches the sender once,
 * through whichever node consumed it. Only applied transitions are on the
 * topic, so a sender never sees a status go backwards.
 */
export class StatusRelay {
  constructor(
    private readonly fanout: Fanout,
    private readonly logger: Logger,
  ) {}

  async handle(records: ConsumedRecord[]): Promise<void> {
    const bySender = new Map<string, StatusEvent[]>();
    for (const r of records) {
      if (r.envelope?.type !== MESSAGE_STATUS) continue;
      const e = r.envelope.payload as StatusEvent;
      if (typeof e?.from !== 'string' || typeof e.message_id !== 'string') continue;
      const list = bySender.get(e.from);
      if (list) list.push(e);
      else bySender.set(e.from, [e]);
    }
    for (const [sender, events] of bySender) {
      for (const e of events) {
        try {
          await this.fanout.toUsers([sender], { op: 'status', d: { message_id: e.message_id, conversation_id: e.conversation_id, recipient: e.recipient, channel: e.channel, status: e.status } });
        } catch (err) {
          // Status frames are a courtesy: the status API has the truth. Don't hold the partition for them.
          this.logger.warn({ err: { message: (err as Error).message }, message_id: e.message_id }, 'status frame not sent');
        }
      }
    }
  }
}
