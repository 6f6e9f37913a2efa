import type { Context } from '@opentelemetry/api';
import type { Envelope } from '@hub/domain';

export interface OutgoingEvent {
  topic: string;
  key: string;
  envelope: Envelope;
  headers?: Record<string, string>;
  /**
   * The trace this record continues (its `send` span's parent); default
   * the caller's active context. Set it when one call publishes records of
   * several messages, each in its own trace.
   */
  traceContext?: Context;
  /** messaging.message.id of the `send` span (the hub's message_id, when the record is about one). */
  messageId?: string;
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
