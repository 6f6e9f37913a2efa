import { statusEventId, statusRecord, type StatusEvent } from '@hub/domain';
import type { EventPublisher } from '@hub/platform';
import type { StatusRecorder } from '../ports/status-recorder';

/** Namespace of receipt status event ids. */
const RECEIPT_NAMESPACE = '8d2f4b6a-1c3e-5a7b-9d0f-2e4a6c8b0d1f';

/**
 * StatusRecorder on hub.status.v1 (key: conversation_id, so a conversation's
 * statuses stay in order). The envelope id is derived from (message,
 * recipient, channel, status): an ack sent twice is stored once.
 */
export class PublishingStatusRecorder implements StatusRecorder {
  constructor(private readonly publisher: EventPublisher) {}

  async record(events: StatusEvent[]): Promise<void> {
    await this.publisher.publishMany(events.map((e) => statusRecord(e, statusEventId(RECEIPT_NAMESPACE, e))));
  }
}
