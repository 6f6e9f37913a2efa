import type { ExternalChannel } from '@hub/domain';

/** What a provider accepts; the router checks these before it calls, so a known misfit fails as permanent at once. */
export interface ConnectorCapabilities {
  /** Longest text the provider takes in one message (characters). */
  maxTextLength: number;
  /** False when the channel cannot carry files (the router then sends a download link as text). */
  files: false | FileCapabilities;
}

export interface FileCapabilities {
  /** Largest file the provider fetches itself from a URL we give it. */
  maxUrlBytes: number;
  /** Largest file we may upload to the provider; above this only a download link is sent. */
  maxUploadBytes: number;
}

/** A text message to one recipient, addressed by their id on the channel (a Telegram chat id, a phone number, …). */
export interface OutboundText {
  to: string;
  text: string;
}

/** A file to one recipient. `url` is a short-lived presigned GET URL the provider (or the connector) downloads from. */
export interface OutboundFile {
  to: string;
  file: { filename: string; size: number; contentType: string; url: string };
  caption?: string;
}

export interface SendOptions {
  /** Aborted when the caller's deadline passed; connectors stop waiting for the provider. */
  signal?: AbortSignal;
}

/** The provider accepted the message; `externalId` is its id there (e.g. the Telegram message id). */
export interface SentMessage {
  externalId: string;
}

/** The sender of an inbound message as the channel knows them. */
export interface ExternalSender {
  /** Where a reply goes (a Telegram chat id, a phone number, a page-scoped id); channel mappings store this. */
  externalId: string;
  displayName?: string;
}

/**
 * A provider webhook turned into hub terms. `eventId` is the provider's
 * unique id for the event (Telegram `update_id`), the key for deduplicating
 * redelivered webhooks.
 */
export type InboundEvent =
  | { kind: 'text'; eventId: string; from: ExternalSender; externalMessageId: string; text: string; replyTo?: string }
  | {
      kind: 'file';
      eventId: string;
      from: ExternalSender;
      externalMessageId: string;
      file: InboundFileRef;
      caption?: string;
      replyTo?: string;
    }
  | { kind: 'command'; eventId: string; from: ExternalSender; externalMessageId: string; command: string; argument: string }
  /** Well-formed, but nothing the hub handles (edits, reactions, stickers, …): acknowledged and dropped. */
  | { kind: 'ignored'; eventId: string; reason: string; from?: ExternalSender };

/** On text and file events, `replyTo` is the provider's id of the message being answered (one the hub sent), when the user used "reply". */
export interface InboundFileRef {
  /** The provider's handle for downloading the file. */
  providerFileId: string;
  filename?: string;
  contentType?: string;
  size?: number;
}

/** The webhook body is not what the provider sends (malformed or missing required fields). */
export class InboundParseError extends Error {
  constructor(
    message: string,
    readonly issues: Array<{ field: string; message: string }> = [],
  ) {
    super(message);
    this.name = 'InboundParseError';
  }
}

/**
 * Port: one external channel. Every implementation (Telegram through grammY,
 * the WhatsApp/Instagram/Messenger mocks, real ones later) keeps the same
 * promises, checked by `runConnectorContract`:
 *
 * - `send`/`sendFile` resolve with the provider's id once it accepted the
 *   message, and otherwise throw `TransientError` (unreachable, 5xx, flood
 *   control with `retryAfterMs`: trying again later may work) or
 *   `PermanentError` (unknown recipient, blocked, invalid request: it never
 *   will). Nothing else escapes, so callers can decide retries by type.
 * - `parseInbound` turns a provider webhook body into events, or throws
 *   `InboundParseError` for a body the provider would never send.
 * - `health` resolves when the provider answers.
 *
 * Connectors do no retrying, rate limiting or circuit breaking of their own:
 * `ResilientConnector` adds those, the same for all of them.
 */
export interface Connector {
  readonly channel: ExternalChannel;
  readonly capabilities: ConnectorCapabilities;
  send(message: OutboundText, opts?: SendOptions): Promise<SentMessage>;
  sendFile(message: OutboundFile, opts?: SendOptions): Promise<SentMessage>;
  parseInbound(body: unknown): InboundEvent[];
  health(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * The outcome of one delivery through the resilience wrapper; it never throws.
 * - `delivered`: the provider accepted it.
 * - `retryable`: try again later, not before `retryAfterMs` when given.
 *   `attempted` is false when the provider was not called at all (breaker
 *   open, local rate limit), so callers may choose not to count it as an attempt.
 * - `permanent`: it will never work as it is (reason e.g. `chat_not_found`).
 */
export type DeliveryResult =
  | { outcome: 'delivered'; externalId: string }
  | { outcome: 'retryable'; reason: RetryReason; error: string; retryAfterMs?: number; attempted: boolean }
  | { outcome: 'permanent'; reason: string; error: string };

export type RetryReason = 'provider_error' | 'timeout' | 'breaker_open' | 'rate_limited' | 'provider_rate_limited';
