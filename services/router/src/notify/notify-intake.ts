import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { FILE_COMPLETED, MESSAGE_STATUS, newId, StatusEventSchema, statusRank, type FileEvent, type StatusEvent } from '@hub/domain';
import { SpanAttr, startProcessSpan, traceparentOf, type ConsumedRecord, type Logger } from '@hub/platform';
import { trace } from '@opentelemetry/api';
import {
  eventIdOf,
  eventTypeForStatus,
  filePayload,
  newWebhookDeliveryRecord,
  ownerOfSubmitter,
  statusPayload,
  type WebhookDeliveryRecord,
  type WebhookDeliveryStore,
  type NewWebhookDelivery,
  type WebhookRegistrations,
} from '@hub/webhooks';
import type { NotifyMetrics } from './notify-metrics';

/** Orders a message's events by status first, then by arrival, within one offset range of 2^40. */
const RANK_STRIDE = 2 ** 40;

// What the dispatcher relies on in a file event; the rest passes through to the payload.
const FileEventSchema = z.looseObject({
  file_id: z.string().min(1),
  uploaded_by: z.string().min(1),
  completed_at: z.string().min(1),
});

export interface IntakeDeps {
  store: WebhookDeliveryStore;
  registrations: WebhookRegistrations;
  /** Attempts per event (the retry schedule's length + 1). */
  maxAttempts: number;
  metrics: NotifyMetrics;
  logger: Logger;
  /** Recent (webhook, event) pairs remembered to drop repeats of an event (default 100,000). */
  recentEvents?: number;
  /** The in-process dispatcher the new deliveries are handed to. */
  dispatcher: {
    readonly owner: string;
    hasRoom(n: number): boolean;
    leaseFromNow(): Date;
    hold(records: readonly WebhookDeliveryRecord[]): void;
    /** Told every status event of a webhook owner's message, before the deliveries made of it are held (reorder window). */
    saw(event: StatusEvent): void;
    /** Called once a batch's deliveries are held: deliveries that waited for the statuses seen may go now. */
    releaseWaiting(): void;
  };
}

/**
 * The notify worker's Kafka handler (consumer group `notify`, topics
 * hub.status.v1 and hub.files.v1): turns each event into one delivery per
 * matching registration of the API client that submitted the message or
 * uploaded the file, stores them durably, hands them to the dispatcher, and
 * returns so the offsets are committed. It never calls a receiver itself, so
 * a slow receiver cannot hold a partition. A failed store write throws: the
 * batch is read again (already stored deliveries are not inserted twice).
 */
export function createNotifyIntake(d: IntakeDeps): (records: ConsumedRecord[]) => Promise<void> {
  // The same event can come twice (a producer's retry, a Kafka redelivery): the queue refuses a repeat while the
  // first is pending, this memory after it finished. Beyond both, receivers deduplicate on webhook-id.
  const recent = new LRUCache<string, true>({ max: d.recentEvents ?? 100_000 });
  const intake = async (records: ConsumedRecord[]) => {
    const deliveries: NewWebhookDelivery[] = [];
    const now = new Date();
    const inBatch = new Set<string>();
    for (const record of records) {
      // The event's trace continues here (one `process` span per record) and, through the stored traceparent, in every attempt.
      const span = startProcessSpan(record.topic, 'notify', record.traceContext, {
        [SpanAttr.partition]: String(record.partition),
        [SpanAttr.offset]: record.offset,
      });
      const traceparent = traceparentOf(trace.setSpan(record.traceContext, span));
      const made = deliveriesFor(record, d, now);
      span.setAttribute('hub.webhook_deliveries', made.length);
      if (made[0]?.message_id) span.setAttribute(SpanAttr.messageId, made[0].message_id);
      span.end();
      for (const nd of made) {
        if (traceparent) nd.traceparent = traceparent;
        const key = `${nd.webhook_id}|${nd.event_id}`;
        if (recent.has(key) || inBatch.has(key)) continue;
        inBatch.add(key);
        deliveries.push(nd);
      }
    }
    if (deliveries.length === 0) return;
    // Leased to this process and sent from memory at once; past the memory limit they stay in the store unleased
    // and the recovery scan takes them later.
    const hold = d.dispatcher.hasRoom(deliveries.length);
    const leaseUntil = hold ? d.dispatcher.leaseFromNow() : new Date(0);
    const { inserted, ownedAlready } = await d.store.enqueue(deliveries, leaseUntil, d.dispatcher.owner);
    // Remembered only once stored: a batch that failed to store is read again and must not be skipped then.
    for (const key of inBatch) recent.set(key, true);
    const fresh = deliveries.filter((nd) => inserted.has(nd.delivery_id));
    for (const nd of fresh) d.metrics.enqueued.inc({ event_type: nd.event_type });
    // ownedAlready: stored by an earlier try of this batch that then failed; this process still holds their lease.
    const toHold = [...fresh.map((nd) => newWebhookDeliveryRecord(nd, leaseUntil)), ...ownedAlready];
    if (hold && toHold.length > 0) d.dispatcher.hold(toHold);
  };
  return async (records) => {
    try {
      await intake(records);
    } finally {
      d.dispatcher.releaseWaiting();
    }
  };
}

function deliveriesFor(record: ConsumedRecord, d: IntakeDeps, now: Date): NewWebhookDelivery[] {
  const envelope = record.envelope;
  if (!envelope) {
    d.metrics.dropped.inc({ reason: 'poison' });
    d.logger.warn(
      { topic: record.topic, partition: record.partition, offset: record.offset, reason: record.poison?.reason },
      'undecodable record skipped by notify',
    );
    return [];
  }
  let owner: string | undefined;
  let eventType: string;
  let body: string;
  let messageId: string | undefined;
  let orderSeq: number | undefined;
  if (envelope.type === MESSAGE_STATUS) {
    const parsed = StatusEventSchema.safeParse(envelope.payload);
    if (!parsed.success) return invalid(record, d, parsed.error.issues[0]?.path.join('.') ?? '');
    const event: StatusEvent = parsed.data;
    owner = ownerOfSubmitter(event.submitted_by);
    if (owner) d.dispatcher.saw(event);
    eventType = eventTypeForStatus(event.status);
    body = JSON.stringify(statusPayload(event));
    messageId = event.message_id;
    // All events of a message share its conversation's partition, so the offset is their arrival order. Status
    // ranks first: a `delivered` that overtook its `sent` on the partition (they come from different producers)
    // still goes out after it when both are waiting.
    orderSeq = statusRank(event.status) * RANK_STRIDE + (Number(record.offset) % RANK_STRIDE);
  } else if (envelope.type === FILE_COMPLETED) {
    const parsed = FileEventSchema.safeParse(envelope.payload);
    if (!parsed.success) return invalid(record, d, parsed.error.issues[0]?.path.join('.') ?? '');
    const event = parsed.data as unknown as FileEvent;
    owner = ownerOfSubmitter(event.uploaded_by);
    eventType = FILE_COMPLETED;
    body = JSON.stringify(filePayload(event, FILE_COMPLETED));
  } else {
    return [];
  }
  // Messages and files of end users (user:…) have no webhook owner.
  if (!owner) return [];
  const hooks = d.registrations.matching(owner, eventType);
  return hooks.map((h) => ({
    delivery_id: newId(),
    webhook_id: h.webhook_id,
    owner,
    event_id: eventIdOf(envelope.id),
    event_type: eventType,
    body,
    ...(messageId !== undefined && orderSeq !== undefined ? { message_id: messageId, order_seq: orderSeq } : {}),
    created_at: now,
    max_attempts: d.maxAttempts,
  }));
}

function invalid(record: ConsumedRecord, d: IntakeDeps, field: string): [] {
  d.metrics.dropped.inc({ reason: 'invalid' });
  d.logger.warn(
    { topic: record.topic, partition: record.partition, offset: record.offset, type: record.envelope?.type, field },
    'event without the fields webhooks need skipped',
  );
  return [];
}
