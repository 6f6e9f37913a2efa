import { statusRecord, type StatusEvent } from '@hub/domain';
import type { EventPublisher } from '@hub/platform';
import type { StatusRecorder } from '../ports/status-recorder';

/**
 * StatusRecorder that publishes StatusEvents on hub.status.v1 (key:
 * conversation_id), where webhooks and status readers take them from.
 */
export class PublishingStatusRecorder implements StatusRecorder {
  constructor(private readonly publisher: EventPublisher) {}

  async record(events: StatusEvent[]): Promise<void> {
    await this.publisher.publishMany(events.map((e) => statusRecord(e)));
  }
}
