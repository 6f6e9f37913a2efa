import type { Envelope } from '@hub/domain';

export interface OutgoingEvent {
  topic: string;
  key: string;
  envelope: Envelope;
  headers?: Record<string, string>;
}

/**
 * Port: durable event publication. `publish` resolves only once the broker
 * acknowledged the write to all in-sync replicas; it rejects with
 * PublishUnavailableError when that cannot be confirmed.
 */
export interface EventPublisher {
  publish(event: OutgoingEvent): Promise<void>;
  publishMany(events: OutgoingEvent[]): Promise<void>;
}

export class PublishUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishUnavailableError';
  }
}
