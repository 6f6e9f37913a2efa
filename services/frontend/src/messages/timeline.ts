import type { Channel, ExternalChannel, StoredMessage } from '@hub/domain';
import type { StatusRecord, StatusStore } from '@hub/messages';
import type { LedgerEntry } from '@hub/outbound';
import type { WebhookDeliveryRecord, WebhookDeliveryStore } from '@hub/webhooks';

/** Status changes and webhook deliveries read per message: a timeline is bounded whatever happened to the message. */
export const TIMELINE_STATUS_LIMIT = 500;
export const TIMELINE_WEBHOOK_LIMIT = 100;

/** Where a message's hops are recorded; each read is by the message's id or a delivery id made from it. */
export interface TimelineSources {
  statuses: Pick<StatusStore, 'records'>;
  /** The outbound ledger entry of one external delivery (`deliveryId(message, recipient, channel)`). */
  outbound(messageId: string, recipient: string, channel: ExternalChannel): Promise<LedgerEntry | undefined>;
  webhooks: Pick<WebhookDeliveryStore, 'forMessage'>;
}

export type HopKind = 'accepted' | 'stored' | 'status' | 'outbound' | 'webhook';

/** One hop of a message: when, how long since the hop before it on the same path, what came of it, and where its span is. */
export interface Hop {
  hop: HopKind;
  at: string;
  duration_ms?: number;
  outcome: string;
  channel?: string;
  recipient?: string;
  attempt?: number;
  trace_id?: string;
  span_id?: string;
  detail?: string;
  webhook_id?: string;
  event_type?: string;
  status_code?: number;
}

export interface Timeline {
  message_id: string;
  conversation_id: string;
  trace_id?: string;
  hops: Hop[];
}

/** Reads every record of the message's hops (a bounded number of lookups) and builds its timeline. */
export async function readTimeline(message: StoredMessage, src: TimelineSources): Promise<Timeline> {
  const external = message.to.flatMap((recipient) => message.channels.filter(isExternalChannel).map((channel) => ({ recipient, channel })));
  const [statuses, webhooks, ledger] = await Promise.all([
    src.statuses.records(message.message_id, TIMELINE_STATUS_LIMIT),
    src.webhooks.forMessage(message.message_id, TIMELINE_WEBHOOK_LIMIT),
    Promise.all(external.map((e) => src.outbound(message.message_id, e.recipient, e.channel))),
  ]);
  return buildTimeline(
    message,
    statuses,
    ledger.filter((e): e is LedgerEntry => e !== undefined),
    webhooks,
  );
}

/**
 * Every hop of one message in time order: accepted and stored; each status
 * change per recipient × channel (a retry shows as `retrying` with its
 * attempt number); each outbound delivery's ledger entry (attempts used,
 * last error); each webhook attempt. `duration_ms` is the time since the
 * previous hop on the same path (the message, the recipient × channel, or
 * the webhook delivery). Works with tracing off: trace and span ids are
 * simply absent then.
 */
export function buildTimeline(
  message: StoredMessage,
  statuses: readonly StatusRecord[],
  ledger: readonly LedgerEntry[],
  webhooks: readonly WebhookDeliveryRecord[],
): Timeline {
  const acceptedAt = Date.parse(message.accepted_at);
  const storedAt = Date.parse(message.stored_at);
  const hops: Hop[] = [
    { hop: 'accepted', at: message.accepted_at, outcome: 'accepted', ...(message.trace_id ? { trace_id: message.trace_id } : {}) },
    {
      hop: 'stored',
      at: message.stored_at,
      duration_ms: Math.max(0, storedAt - acceptedAt),
      outcome: 'stored',
      ...(message.trace_id ? { trace_id: message.trace_id } : {}),
    },
  ];

  const byPath = new Map<string, StatusRecord[]>();
  for (const s of statuses) {
    const key = `${s.recipient}|${s.channel}`;
    byPath.set(key, [...(byPath.get(key) ?? []), s]);
  }
  const ledgerOf = new Map(ledger.map((e) => [`${e.recipient}|${e.channel}`, e]));
  for (const [path, list] of byPath) {
    list.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || statusOrder(a.status) - statusOrder(b.status));
    let previous = storedAt;
    let retrying = 0;
    const entry = ledgerOf.get(path);
    for (const s of list) {
      const at = Date.parse(s.at);
      // `retrying` is recorded once per failed run of attempts, so the
      // attempt that ended a delivery is the ledger's count; without an
      // entry (yet), the one after the retries seen.
      if (s.status === 'retrying') retrying++;
      const ended = s.status === 'sent' || s.status === 'failed';
      const tries = s.status === 'retrying' ? retrying : ended && entry && entry.state !== 'scheduled' ? entry.attempts : retrying + 1;
      hops.push({
        hop: 'status',
        at: s.at,
        duration_ms: Math.max(0, at - previous),
        outcome: s.status,
        channel: s.channel,
        recipient: s.recipient,
        ...(isExternalChannel(s.channel) && s.status !== 'delivered' && s.status !== 'read' ? { attempt: tries } : {}),
        ...(s.trace_id ? { trace_id: s.trace_id } : {}),
        ...(s.span_id ? { span_id: s.span_id } : {}),
        ...(s.detail ? { detail: s.detail } : {}),
      });
      previous = at;
    }
  }

  for (const e of ledger) {
    hops.push({
      hop: 'outbound',
      at: e.updated_at.toISOString(),
      duration_ms: Math.max(0, e.updated_at.getTime() - e.first_attempt_at.getTime()),
      outcome: e.state,
      channel: e.channel,
      recipient: e.recipient,
      attempt: e.attempts,
      ...(e.last_error ? { detail: e.last_error } : e.reason ? { detail: e.reason } : {}),
    });
  }

  for (const w of webhooks) {
    const trace = parseTraceparent(w.traceparent);
    const base = {
      hop: 'webhook' as const,
      webhook_id: w.webhook_id,
      event_type: w.event_type,
      ...(trace ? { trace_id: trace.traceId, span_id: trace.spanId } : {}),
    };
    if (w.attempts.length === 0) {
      hops.push({ ...base, at: w.created_at.toISOString(), outcome: w.state, attempt: 0 });
      continue;
    }
    for (const a of w.attempts) {
      const ok = a.status_code !== undefined && a.status_code >= 200 && a.status_code < 300;
      hops.push({
        ...base,
        at: a.at.toISOString(),
        duration_ms: a.latency_ms,
        outcome: ok ? 'delivered' : 'failed',
        attempt: a.attempt,
        ...(a.status_code !== undefined ? { status_code: a.status_code } : {}),
        ...(a.error ? { detail: a.error } : {}),
      });
    }
  }

  hops.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || kindOrder(a.hop) - kindOrder(b.hop));
  return {
    message_id: message.message_id,
    conversation_id: message.conversation_id,
    ...(message.trace_id ? { trace_id: message.trace_id } : {}),
    hops,
  };
}

const STATUS_ORDER = ['pending', 'retrying', 'sent', 'delivered', 'read', 'failed'];
function statusOrder(s: string): number {
  const i = STATUS_ORDER.indexOf(s);
  return i < 0 ? STATUS_ORDER.length : i;
}

const KIND_ORDER: HopKind[] = ['accepted', 'stored', 'status', 'outbound', 'webhook'];
function kindOrder(k: HopKind): number {
  return KIND_ORDER.indexOf(k);
}

function isExternalChannel(c: Channel | string): c is ExternalChannel {
  return c !== 'internal';
}

/** trace and span id of a W3C traceparent (`00-{trace}-{span}-{flags}`). */
export function parseTraceparent(tp: string | undefined): { traceId: string; spanId: string } | undefined {
  const m = tp ? /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(tp) : null;
  return m ? { traceId: m[1]!, spanId: m[2]! } : undefined;
}
