import type { StoredMessage } from '@hub/domain';
import {
  SequenceConflictError,
  type ConversationSequences,
  type MessageWriter,
  type RejectedRecords,
  type SequenceSlots,
  type SequenceState,
} from '@hub/messages';
import {
  observeEndToEnd,
  type ConsumedRecord,
  type EventPublisher,
  type Logger,
  type MultiBatchHandler,
  type OutgoingEvent,
  type PartitionBatch,
} from '@hub/platform';
import type { HandOverRouter } from '../ports/hand-over';
import { decodeMessageRecord, poisonDeadLetter, recordDeadLetters } from './message-records';
import { admitNew, batchMessages, routingOrder, splitStored, unfinishedRouting, type Refusal } from './route-decisions';
import type { RouteMetrics } from './route-metrics';
import type { SenderAcceptances } from './sender-acceptances';
import { RouteTracing } from './route-tracing';
import { deliveryRequests, routingStatusEvent } from './routing-statuses';
import { SequenceAllocator } from './sequence-allocator';

export interface RouteWorkerDeps {
  messages: MessageWriter;
  sequences: ConversationSequences;
  slots: SequenceSlots;
  /** Where refused records are kept for operators (beside hub.dlq.v1). */
  rejected: RejectedRecords;
  handOver: HandOverRouter;
  /** Records that a message's sender accepted its conversation (presence privacy). */
  senders: SenderAcceptances;
  publisher: EventPublisher;
  logger: Logger;
  metrics: RouteMetrics;
  /** Conversation states kept in memory (members and last number). */
  sequenceCacheSize: number;
  now?: () => Date;
}

/**
 * The `route` worker's batch handler (consumer group `router`,
 * hub.messages.v1): the batches of one fetch, several partitions at once
 * (coalesceBatches), each partition's records in order; every step below is
 * one bulk operation for all of them.
 *
 *  1. decode; poison and invalid records → hub.dlq.v1 (never block the partition)
 *  2. dedup: first within the batch, then against the store (bulk claims;
 *     only re-seen ids are looked up)
 *  3. check conversation and membership; refusals → hub.dlq.v1
 *  4. number the new messages per conversation (SequenceAllocator: one
 *     bulk insert of sequence slots) and insert them with one insertMany
 *  5. route what was stored, plus stored messages whose routing may not
 *     have finished (first seen at or after the batch's first offset: an
 *     earlier attempt stopped after the insert), through the
 *     HandOverRouter; publish each outcome as a StatusEvent on hub.status.v1
 * Offsets are committed by the consumer only after this resolves; any
 * failure throws and the batch is redelivered, every step being idempotent.
 */
export function createRouteHandler(deps: RouteWorkerDeps): RouteHandler {
  const now = deps.now ?? (() => new Date());
  const allocator = new SequenceAllocator(deps.sequences, deps.slots, deps.logger, {
    cacheSize: deps.sequenceCacheSize,
    onAnomaly: () => deps.metrics.anomalies.inc(),
  });
  const log = deps.logger;

  const handler = async (batches: PartitionBatch[]) => {
    const records = batches.flatMap((b) => b.records);
    const tracing = new RouteTracing(records);
    try {
      await route(batches, records, tracing);
      tracing.end();
    } catch (err) {
      tracing.fail(err);
      throw err;
    }
  };

  const route = async (batches: PartitionBatch[], records: ConsumedRecord[], tracing: RouteTracing) => {
    const started = performance.now();
    const heartbeat = () => Promise.all(batches.map((b) => b.ctx.heartbeat())).then(() => {});
    // Everything before a partition's first offset in this call was processed to the end (or it would be redelivered).
    const firstOffsets = new Map(batches.map((b) => [b.ctx.partition, b.records[0]!.offset]));
    for (const b of batches) deps.metrics.batchSize.observe(b.records.length);
    const deadLetters: OutgoingEvent[] = [];
    const refuse = ({ record, reason, label, messageId }: Refusal) => {
      deadLetters.push(poisonDeadLetter(record, reason, messageId, now()));
      deps.metrics.deadLettered.inc({ reason: label });
      tracing.finish(messageId, `dead_lettered: ${label}`);
      log.warn(
        { topic: record.topic, partition: record.partition, offset: record.offset, reason, message_id: messageId },
        'record dead-lettered',
      );
    };

    // 1–2: decode and dedup within the batch (a re-send may sit next to its original), then against the store
    // (bulk claims; only re-seen ids are looked up).
    const batch = batchMessages(records.map(decodeMessageRecord));
    const events = batch.events;
    for (const e of events) tracing.begin(batch.byId.get(e.message_id)!.record, e);
    let duplicates = batch.duplicates;
    const timeStep = stepTimer(deps.metrics.step);
    const step = (name: string) => {
      timeStep(name);
      tracing.step(name);
    };
    const claimedBefore = await deps.messages.claim(
      events.map((e) => ({
        message_id: e.message_id,
        conversation_id: e.conversation_id,
        partition: batch.byId.get(e.message_id)!.record.partition,
        offset: batch.byId.get(e.message_id)!.record.offset,
      })),
    );
    await heartbeat();
    const stored = claimedBefore.size > 0 ? await deps.messages.findStored([...claimedBefore]) : new Map<string, StoredMessage>();
    const { again, taken } = splitStored(stored, batch);
    // Seen again and first seen in this batch's range: an earlier attempt at it may have stopped before routing.
    const unfinished =
      again.length > 0 ? unfinishedRouting(again, await deps.messages.sightings(again.map((m) => m.message_id)), firstOffsets, batch) : [];
    duplicates += again.length - unfinished.length;
    // Claimed but not stored: an earlier attempt stopped between claim and insert; numbered now (or given back its number).
    const fresh = events.filter((e) => !stored.has(e.message_id));
    step('dedup');

    // 3: the conversation must exist and sender and recipients be members.
    const states = new Map<string, SequenceState | undefined>();
    const ids = [...new Set(fresh.map((e) => e.conversation_id))];
    // Mostly cache hits; misses are point reads, a few at a time.
    for (let i = 0; i < ids.length; i += STATE_LOAD_CONCURRENCY) {
      const chunk = ids.slice(i, i + STATE_LOAD_CONCURRENCY);
      const loaded = await Promise.all(chunk.map((id) => allocator.state(id)));
      chunk.forEach((id, j) => states.set(id, loaded[j]));
    }
    step('conversations');
    const { byConversation, refusals } = admitNew(fresh, states, batch, claimedBefore);
    for (const r of [...batch.refusals, ...taken, ...refusals]) refuse(r);

    // 4: number and store.
    const touched = [...byConversation.keys()];
    const toRoute: StoredMessage[] = [];
    try {
      const numbered = await allocator.number(firstOffsets, byConversation, now);
      step('sequence');
      await heartbeat();
      await deps.messages.insert(numbered);
      // Before the statuses: once the sender sees their reply stored, their presence is shared in that conversation.
      await deps.senders.record(numbered);
      step('insert');
      await heartbeat();
      const persistedAt = Date.now();
      for (const m of numbered) {
        toRoute.push(m);
        tracing.event(m.message_id, 'stored', { 'hub.sequence_number': m.sequence_number });
        deps.metrics.endToEnd.observe(Math.max(0, persistedAt - Date.parse(m.accepted_at)) / 1000);
      }
      deps.metrics.persisted.inc(toRoute.length);
      if (log.isLevelEnabled('debug')) {
        for (const m of toRoute)
          log.debug(
            { message_id: m.message_id, trace_id: m.trace_id, conversation_id: m.conversation_id, sequence_number: m.sequence_number },
            'message stored',
          );
      }
    } catch (err) {
      allocator.forget(touched);
      if (err instanceof SequenceConflictError) {
        // The slot was ours, yet another message is stored under the number: only data written outside the slots can do that.
        deps.metrics.anomalies.inc();
        log.error(
          { conversations: err.conversationIds, message_ids: err.messageIds.slice(0, 20) },
          "a stored message holds a number whose slot is another message's; the batch is retried",
        );
      }
      throw err;
    }
    deps.metrics.duplicates.inc(duplicates);

    // 5: route what was stored now, and stored messages whose routing an earlier attempt may have cut short.
    toRoute.push(...unfinished);
    for (const m of unfinished) tracing.event(m.message_id, 'routing resumed', { 'hub.sequence_number': m.sequence_number });
    const routedIds = new Set(toRoute.map((m) => m.message_id));
    for (const e of events) if (!routedIds.has(e.message_id)) tracing.finish(e.message_id, 'duplicate');
    const handOver = tracing.handOver(routingOrder(toRoute).flatMap(deliveryRequests));
    const requests = handOver.requests;
    await heartbeat();
    const outcomes = requests.length > 0 ? await deps.handOver.deliver(requests) : [];
    handOver.done(outcomes);
    step('deliver');
    await heartbeat();
    const at = now();
    const statusEvents = requests.map((r, i) => routingStatusEvent(r, outcomes[i]!, at));
    requests.forEach((r, i) => {
      if (r.channel === 'internal' && outcomes[i]!.kind === 'sent')
        observeEndToEnd(deps.metrics.handedOver, r.channel, r.message.accepted_at, at.getTime());
    });
    await recordDeadLetters(deps.rejected, deps.publisher, deadLetters, statusEvents);
    step('publish');
    await heartbeat();
    for (const e of statusEvents) deps.metrics.statuses.inc({ status: (e.envelope.payload as { status: string }).status });

    for (const b of batches) {
      const lag = Number(b.ctx.highWatermark) - (Number(b.records[b.records.length - 1]!.offset) + 1);
      deps.metrics.lag.set({ topic: b.ctx.topic, partition: String(b.ctx.partition) }, Math.max(0, lag));
    }
    deps.metrics.batchDuration.observe((performance.now() - started) / 1000);
    if (toRoute.length > 0 || duplicates > 0) {
      log.debug(
        {
          partitions: batches.map((b) => b.ctx.partition),
          records: records.length,
          stored: toRoute.length,
          duplicates,
          dead_letters: deadLetters.length,
          ms: Math.round(performance.now() - started),
        },
        'route batch done',
      );
    }
  };
  return Object.assign(handler, { rebalanced: () => allocator.forgetAll() });
}

/** The route batch handler, told when the group rebalanced (its counters may be stale: other workers may have numbered its conversations). */
export type RouteHandler = MultiBatchHandler & { rebalanced(): void };

const STATE_LOAD_CONCURRENCY = 16;

/** Observes the time since the previous step (or the start) under the step's name. */
function stepTimer(histogram: RouteMetrics['step']): (name: string) => void {
  let last = performance.now();
  return (name) => {
    const t = performance.now();
    histogram.observe({ step: name }, (t - last) / 1000);
    last = t;
  };
}
