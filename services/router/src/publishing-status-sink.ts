import { makeEnvelope, MESSAGE_STATUS, Topics, type StatusEvent } from '@hub/domain';
import type { EventPublisher } from '@hub/platform';
import type { StatusSink } from './ports/status-sink';

/**
 * StatusSink that publishes StatusEvents on hub.status.v1 (key:
 * conversation_id), where webhooks and status readers take them from.
 */
export class PublishingStatusSink implements StatusSink {
  constructor(private readonly publisher: EventPublisher) {}

  async record(events: StatusEvent[]): Promise<void> {
    await this.publisher.publishMany(events.map((e) => ({ topic: Topics.status, key: e.conversation_id, envelope: makeEnvelope(MESSAGE_STATUS, e) })));
  }
}
