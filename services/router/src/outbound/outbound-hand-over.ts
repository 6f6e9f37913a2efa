import { context } from '@opentelemetry/api';
import { deliveryId, laneOf, type OutboundLedger } from '@hub/outbound';
import type { ExternalChannel, StoredMessage } from '@hub/domain';
import type { Logger } from '@hub/platform';
import { attemptOutbound, type OutboundAttemptDeps } from './outbound-attempt';
import type { OutboundSteps, Step } from './outbound-steps';
import type { ChannelHandOver, DeliveryOutcome, DeliveryRequest } from '../ports/hand-over';

/**
 * ChannelHandOver for the external channels (Telegram and the mocks): the
 * first try happens right here in the routing loop, bounded by the
 * connector's deadline and answered at once while its breaker is open;
 * anything that does not succeed at once leaves for hub.retry.v1 (see
 * OutboundSteps), so a failing provider never holds the partition.
 *
 * Order per lane (conversation × recipient × channel): a message whose lane
 * still has an earlier message scheduled is queued behind it instead of
 * overtaking it. Lanes of one batch run concurrently, each in sequence order.
 * Requests whose delivery already ended (a re-run after a crash) are
 * answered from the ledger without sending again.
 */
export class OutboundHandOver implements ChannelHandOver {
  constructor(private readonly deps: { attempt: OutboundAttemptDeps; ledger: OutboundLedger; steps: OutboundSteps; logger: Logger }) {}

  async deliver(requests: readonly DeliveryRequest[]): Promise<DeliveryOutcome[]> {
    const reqs = requests.map((r) => ({
      ...r,
      channel: r.channel as ExternalChannel,
      id: deliveryId(r.message.message_id, r.recipient, r.channel as ExternalChannel),
      lane: laneOf(r.message.conversation_id, r.recipient, r.channel as ExternalChannel),
    }));
    const { byId, openTails } = await this.deps.ledger.startFirstTries(
      reqs.map((r) => r.id),
      [...new Set(reqs.map((r) => r.lane))],
    );
    const outcomes: DeliveryOutcome[] = new Array(reqs.length);
    const delivered: Array<{ message: StoredMessage; recipient: string; channel: ExternalChannel; externalId: string; at: Date }> = [];
    const lanes = new Map<string, number[]>();
    reqs.forEach((r, i) => lanes.set(r.lane, [...(lanes.get(r.lane) ?? []), i]));

    await Promise.all(
      [...lanes].map(async ([lane, indexes]) => {
        indexes.sort((a, b) => reqs[a]!.message.sequence_number - reqs[b]!.message.sequence_number);
        // The lane's newest open delivery: whatever comes later in the lane waits behind it.
        let tail = openTails.get(lane);
        for (const i of indexes) {
          const r = reqs[i]!;
          const existing = byId.get(r.id);
          if (existing) {
            outcomes[i] =
              existing.state === 'delivered'
                ? { kind: 'sent', ...(existing.external_id ? { externalId: existing.external_id } : {}) }
                : existing.state === 'failed'
                  ? { kind: 'failed', reason: existing.reason ?? 'failed', ...(existing.last_error ? { detail: existing.last_error } : {}) }
                  : { kind: 'retry', detail: 'already scheduled for another attempt' };
            if (existing.state === 'scheduled') tail = { delivery_id: r.id, seq: r.message.sequence_number };
            continue;
          }
          const waitFor = tail && tail.seq < r.message.sequence_number ? tail.delivery_id : undefined;
          const ctx = {
            message: r.message,
            recipient: r.recipient,
            channel: r.channel,
            attempts: 0,
            firstAttemptAt: new Date(),
            generation: 0,
            fresh: true,
            ...(waitFor ? { prev: waitFor } : {}),
          };
          try {
            // Inside the hand-over's span: the connector call and the retry scheduling nest below it.
            const step = await context.with(r.trace ?? context.active(), async () =>
              waitFor
                ? this.deps.steps.queue(ctx, 1)
                : this.deps.steps.afterAttempt(ctx, await attemptOutbound(this.deps.attempt, r.message, r.recipient, r.channel)),
            );
            if (step.step === 'sent')
              delivered.push({
                message: r.message,
                recipient: r.recipient,
                channel: r.channel,
                externalId: step.externalId,
                at: ctx.firstAttemptAt,
              });
            else if (step.step !== 'dead_letter') tail = { delivery_id: r.id, seq: r.message.sequence_number };
            outcomes[i] = toOutcome(step);
          } catch (err) {
            // The schedule could not be stored; the ledger sweeper finds what reached MongoDB.
            this.deps.logger.error(
              { err: { message: (err as Error).message }, message_id: r.message.message_id, channel: r.channel },
              'could not schedule an external delivery',
            );
            outcomes[i] = { kind: 'retry', detail: `could not schedule a retry: ${(err as Error).message}` };
            tail = { delivery_id: r.id, seq: r.message.sequence_number };
          }
        }
      }),
    );

    if (delivered.length > 0) {
      await this.deps.ledger
        .finish(
          delivered.map((d) => ({
            message: d.message,
            recipient: d.recipient,
            channel: d.channel,
            first_attempt_at: d.at,
            state: 'delivered' as const,
            attempts: 1,
            external_id: d.externalId,
          })),
          { fresh: true },
        )
        .catch((err: unknown) =>
          this.deps.logger.warn(
            { err: { message: (err as Error).message } },
            'could not record first-try deliveries (a re-run could send them again)',
          ),
        );
    }
    return outcomes;
  }
}

export function toOutcome(step: Step): DeliveryOutcome {
  switch (step.step) {
    case 'sent':
      return { kind: 'sent', externalId: step.externalId };
    case 'dead_letter':
      return { kind: 'failed', reason: step.reason, detail: step.detail };
    default:
      return {
        kind: 'retry',
        detail: step.detail,
        ...(step.retryAfterMs !== undefined ? { retryAfterMs: Math.round(step.retryAfterMs) } : {}),
      };
  }
}
