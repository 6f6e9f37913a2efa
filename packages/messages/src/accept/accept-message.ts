import { trace, type Span } from '@opentelemetry/api';
import {
  fileUnusableReason,
  MESSAGE_ACCEPTED,
  makeEnvelope,
  newId,
  randomHex,
  Topics,
  principalRef,
  type FileCatalog,
  type FileInfo,
  type MessageEvent,
  type MessageSource,
  type Principal,
  type SendMessageRequest,
  type StoredMessage,
} from '@hub/domain';
import { maySendAs, sendAsRefusal } from '@hub/identity';
import {
  Counter,
  Histogram,
  inSpan,
  LATENCY_BUCKETS,
  ProblemError,
  PublishUnavailableError,
  SpanAttr,
  type EventPublisher,
  type FieldError,
  type Registry,
} from '@hub/platform';
import type { ClaimOutcome, MessageIdClaims } from '../ports/message-id-claims';
import type { MessageReader } from '../ports/message-store';
import type { ConversationLookup } from './conversation-lookup';
import { messageIdFromIdempotencyKey } from './idempotency';
import { requestFingerprint } from './request-fingerprint';
import { storedIdVerdict } from './stored-id-verdict';

/**
 * Who submits the message:
 * - `principal`: an authenticated caller (REST, WebSocket); it must be
 *   allowed to send as `from` (maySendAs).
 * - `bridge`: an inbound bridge that already established `from` itself
 *   (the Telegram webhook maps a verified chat to its linked user).
 */
export type AcceptOrigin = { kind: 'principal'; principal: Principal } | { kind: 'bridge'; name: string };

export interface AcceptInput {
  origin: AcceptOrigin;
  /** Already validated against SendMessageRequestSchema. */
  request: SendMessageRequest;
  source: MessageSource;
  /** The `Idempotency-Key` header; used when the body has no message_id. */
  idempotencyKey?: string;
  /** The WebSocket client's id for the message (stored with it). */
  clientMsgId?: string;
  /** trace_id of the accepting request; taken from the active span, else generated. */
  traceId?: string;
}

export interface AcceptResult {
  message_id: string;
  trace_id: string;
}

export interface MessageAcceptDeps {
  conversations: ConversationLookup;
  publisher: EventPublisher;
  /** Resolves file_id of file messages; without it file messages are refused. */
  files?: FileCatalog;
  /** Who used each client-chosen message id first (body message_id, Idempotency-Key, client_msg_id). */
  claims: MessageIdClaims;
  /** The message store, read by id when a claim cannot tell whether a client-chosen id is already stored (it expired, or Redis lost it). */
  messages: Pick<MessageReader, 'get'>;
  registry: Registry;
  /** Seconds a client is told to wait (Retry-After) when the event log does not acknowledge. */
  retryAfterS: number;
  now?: () => Date;
}

/**
 * The one accept path of the hub (REST `POST /v1/messages`, WebSocket
 * `send`, inbound bridges): checks the message against its conversation,
 * fixes its message_id and writes it to hub.messages.v1 keyed by
 * conversation. Resolves only after the broker acknowledged (acks=all);
 * rejects with a ProblemError naming what was wrong, or 503 with
 * Retry-After when the log is unavailable — never "accepted" for a message
 * it could lose. A client-chosen id (body message_id, Idempotency-Key,
 * WebSocket client_msg_id) is claimed for its caller before the answer:
 * the same caller repeating the same request is accepted again with the
 * same id (the router stores it once); the same caller sending something
 * else under it gets 422; another caller gets 409, never a 202 for a
 * message the router would drop as a duplicate of someone else's. Where
 * the claim cannot tell (a new claim, which may stand over an expired or
 * lost one), the message stored under the id decides.
 */
export class MessageAccept {
  private readonly accepted: Counter;
  private readonly refused: Counter;
  private readonly publishLatency: Histogram;
  private readonly now: () => Date;

  constructor(private readonly d: MessageAcceptDeps) {
    this.now = d.now ?? (() => new Date());
    this.accepted = new Counter({
      name: 'hub_messages_accepted_total',
      help: 'Messages acknowledged by the event log (202), by source',
      labelNames: ['source'],
      registers: [d.registry],
    });
    this.refused = new Counter({
      name: 'hub_messages_refused_total',
      help: 'Messages refused on accept, by reason',
      labelNames: ['reason'],
      registers: [d.registry],
    });
    this.publishLatency = new Histogram({
      name: 'hub_message_accept_publish_seconds',
      help: 'Time from handing a message to the producer to the broker acknowledgement',
      buckets: LATENCY_BUCKETS,
      registers: [d.registry],
    });
  }

  /** One `accept message` span (child of the HTTP request's, or a root for a WebSocket send): the trace every hop of the message joins. */
  accept(input: AcceptInput): Promise<AcceptResult> {
    return inSpan('accept message', { 'hub.source': input.source, [SpanAttr.conversationId]: input.request.conversation_id }, (span) =>
      this.acceptIn(input, span),
    );
  }

  private async acceptIn(input: AcceptInput, span: Span): Promise<AcceptResult> {
    const { request: req, origin } = input;
    const submittedBy = origin.kind === 'principal' ? principalRef(origin.principal) : `bridge:${origin.name}`;
    if (origin.kind === 'principal' && !maySendAs(origin.principal, req.from)) {
      throw this.refuse('forbidden', 'send_as', sendAsRefusal(origin.principal, req.from) ?? 'not allowed to send as this user');
    }
    const conversation = await this.d.conversations.get(req.conversation_id);
    if (!conversation) throw this.refuse('not_found', 'unknown_conversation', `conversation ${req.conversation_id} does not exist`);
    const members = new Set(conversation.members);
    if (!members.has(req.from))
      throw this.refuse('forbidden', 'sender_not_member', `"${req.from}" is not a member of conversation ${req.conversation_id}`);

    const to = req.to ?? conversation.members.filter((m) => m !== req.from);
    const errors: FieldError[] = [];
    const seen = new Set<string>();
    to.forEach((u, i) => {
      if (!members.has(u)) errors.push({ field: `to.${i}`, message: `"${u}" is not a member of the conversation` });
      else if (seen.has(u)) errors.push({ field: `to.${i}`, message: `"${u}" is listed twice` });
      seen.add(u);
    });
    if (to.length === 0) errors.push({ field: 'to', message: 'the conversation has no other member to send to' });
    if (errors.length > 0) throw this.refuse('validation_failed', 'recipients', `${errors[0]!.field}: ${errors[0]!.message}`, errors);

    let file: FileInfo | undefined;
    if (req.payload.type === 'file') file = await this.resolveFile(req.payload.file_id, req.conversation_id);

    const clientChosen =
      req.message_id ?? (input.idempotencyKey !== undefined ? messageIdFromIdempotencyKey(input.idempotencyKey, submittedBy) : undefined);
    // A server-made UUIDv7 is nobody else's; only ids a client chose are claimed.
    if (clientChosen !== undefined) await this.claim(clientChosen, submittedBy, req, input);
    const messageId = clientChosen ?? newId();
    span.setAttribute(SpanAttr.messageId, messageId);
    // The real trace id while tracing is on (sampled or not); a random one only when it is off.
    const traceId = currentTraceId() ?? input.traceId ?? randomHex(16);
    const event: MessageEvent = {
      message_id: messageId,
      conversation_id: req.conversation_id,
      from: req.from,
      to,
      channels: req.channels,
      payload: req.payload,
      source: input.source,
      accepted_at: this.now().toISOString(),
      trace_id: traceId,
      submitted_by: submittedBy,
    };
    if (file) event.file = file;
    if (input.clientMsgId !== undefined) event.client_msg_id = input.clientMsgId;

    const started = performance.now();
    try {
      await this.d.publisher.publish({
        topic: Topics.messages,
        key: req.conversation_id,
        envelope: makeEnvelope(MESSAGE_ACCEPTED, event),
        messageId,
      });
    } catch (err) {
      if (err instanceof PublishUnavailableError) {
        this.refused.inc({ reason: 'unavailable' });
        throw new ProblemError(
          'unavailable',
          'the message log did not acknowledge the message; it was not accepted, send it again (the same message_id or Idempotency-Key is safe to repeat)',
          {
            headers: { 'Retry-After': String(this.d.retryAfterS) },
          },
        );
      }
      throw err;
    }
    this.publishLatency.observe((performance.now() - started) / 1000);
    this.accepted.inc({ source: input.source });
    return { message_id: messageId, trace_id: traceId };
  }

  /**
   * Claims a client-chosen id for this caller and request, then, where the
   * claim alone cannot tell, checks the message store by id (one point read
   * on `_id`).
   *
   * Claim first, then read: the claim is atomic, so of callers racing for
   * an id only the winner (and its own retries) reads the store, and while
   * it reads no other caller can be answered 202 for the id (they find the
   * claim and are refused, or read the store themselves). What the read
   * finds was therefore stored before the claim, and an answer built on it
   * cannot be undone by a concurrent accept. Reading first would let two
   * callers both find the id free and leave the decision to the claim
   * anyway, with every caller paying the read.
   *
   * Who reads the store:
   * - `claimed`: Redis had no claim. New ids and expired or lost claims look
   *   alike, so the store says whether the id is already someone's message.
   * - `repeat`: a retry. It may be the retry of a send that got 503 before
   *   its store check finished, or the owner of a message whose claim was
   *   set from the store (STORED_FINGERPRINT): compared with the store.
   * - `taken`: another caller's claim made at send time may be a new claim
   *   over this caller's expired one, set moments before its holder reads
   *   the store and hands it back with `hold`. The store decides, so the
   *   owner's retry in that moment is not told 409 for its own message.
   * `mismatch` and `taken_stored` are refusals the store cannot turn into
   * a 202 (nor make a loss of): one Redis call, as is every 409 after `hold`.
   * Server-made ids are never claimed, so they never pay the read.
   */
  private async claim(messageId: string, caller: string, req: SendMessageRequest, input: AcceptInput): Promise<void> {
    const field = idField(req, input);
    let outcome: ClaimOutcome;
    try {
      outcome = await this.d.claims.claim(messageId, { caller, fingerprint: requestFingerprint(req) });
    } catch {
      this.refused.inc({ reason: 'claims_unavailable' });
      throw new ProblemError(
        'unavailable',
        `could not check that ${field} is yours (the claim store is unavailable); the message was not accepted, send it again`,
        {
          headers: { 'Retry-After': String(this.d.retryAfterS) },
        },
      );
    }
    if (outcome === 'taken_stored') throw this.taken(field);
    if (outcome === 'mismatch') throw this.reused(field);

    let stored: StoredMessage | undefined;
    try {
      stored = await this.d.messages.get(messageId);
    } catch {
      // The claim stays as it was: this caller's retry is a `repeat` (or
      // `taken`) and reads the store again. Nothing was published.
      this.refused.inc({ reason: 'message_store_unavailable' });
      throw new ProblemError(
        'unavailable',
        `could not check that ${field} is not already used (the message store is unavailable); the message was not accepted, send it again`,
        {
          headers: { 'Retry-After': String(this.d.retryAfterS) },
        },
      );
    }
    switch (storedIdVerdict(stored, caller, req)) {
      case 'free':
        // Nothing stored: a live claim of another caller stands (its message may be on its way to the store).
        if (outcome === 'taken') throw this.taken(field);
        return;
      case 'repeat':
        // This caller's stored message, sent again. Where another caller's claim stood over it, give the id back.
        if (outcome === 'taken') await this.holdQuietly(messageId, caller);
        return;
      case 'mismatch':
        // The claim may now hold this request's fingerprint: set it back, so the original request still repeats.
        await this.holdQuietly(messageId, caller);
        throw this.reused(field);
      case 'taken': {
        const owner = stored?.submitted_by as string | undefined;
        if (owner !== undefined) await this.holdQuietly(messageId, owner);
        throw this.taken(field);
      }
    }
  }

  /**
   * Sets the claim to the stored message's owner, so the next send under the
   * id is decided by one Redis call. Best effort: if it fails the claim
   * stays as it was, and the next send reads the store again (every claim
   * outcome that could wrongly lead to 202 or 409 does), so answers stay right.
   */
  private async holdQuietly(messageId: string, owner: string): Promise<void> {
    await this.d.claims.hold(messageId, owner).catch(() => undefined);
  }

  private taken(field: string): ProblemError {
    this.refused.inc({ reason: 'message_id_taken' });
    return new ProblemError('conflict', `${field}: another sender already used this id; choose a new one`, {
      errors: [{ field, message: 'already used by another sender' }],
    });
  }

  private reused(field: string): ProblemError {
    this.refused.inc({ reason: 'message_id_reused' });
    return new ProblemError(
      'unprocessable',
      `${field}: you already sent a different message with this id; a retry must repeat the original request, a new message needs a new id`,
      {
        errors: [{ field, message: 'already used for a different message' }],
      },
    );
  }

  private async resolveFile(fileId: string, conversationId: string): Promise<FileInfo> {
    if (!this.d.files)
      throw this.refuse('validation_failed', 'file', 'payload.type: file messages are not available on this server', [
        { field: 'payload.type', message: 'file messages are not available on this server' },
      ]);
    const view = await this.d.files.getFile(fileId);
    const why = fileUnusableReason(view, conversationId);
    if (why || !view)
      throw this.refuse('validation_failed', 'file', `payload.file_id: ${why}`, [
        { field: 'payload.file_id', message: why ?? 'no such file' },
      ]);
    return { file_id: view.file_id, filename: view.filename, size: view.size, content_type: view.content_type, sha256: view.sha256 };
  }

  private refuse(
    code: 'forbidden' | 'not_found' | 'validation_failed',
    reason: string,
    detail: string,
    errors?: FieldError[],
  ): ProblemError {
    this.refused.inc({ reason });
    return new ProblemError(code, detail, errors ? { errors } : {});
  }
}

/** The field that carried the client's id, as a problem names it. */
function idField(req: SendMessageRequest, input: AcceptInput): string {
  if (req.message_id !== undefined) return 'message_id';
  return input.clientMsgId !== undefined ? 'client_msg_id' : 'header.Idempotency-Key';
}

function currentTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  const id = span?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
}
