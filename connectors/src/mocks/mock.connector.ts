import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentError, TransientError, type ExternalChannel } from '@hub/domain';
import type { Connector, ConnectorCapabilities, InboundEvent, OutboundFile, OutboundText, SendOptions, SentMessage } from '../connector';
import { SeededRandom } from './seeded-random';

export interface MockBehaviour {
  /** Simulated provider latency per call, uniformly between min and max ms. */
  latencyMs?: { min: number; max: number };
  /** Share of calls (0..1) that fail as the provider being unreachable. */
  failureRate?: number;
  /** Share of calls (0..1) that the provider refuses for good. */
  permanentFailureRate?: number;
  seed?: number;
}

/** What the simulated provider accepted, in order. */
export interface MockSentRecord {
  externalId: string;
  to: string;
  kind: 'text' | 'file';
  text?: string;
  file?: OutboundFile['file'];
  caption?: string;
  at: number;
}

/** The channel-specific part of a mock: its limits and its webhook format. */
export interface MockChannelProfile {
  channel: Exclude<ExternalChannel, 'telegram'>;
  capabilities: ConnectorCapabilities;
  /** Accepts a recipient id in the channel's format (phone number, page-scoped id, …). */
  isValidRecipient(id: string): boolean;
  parseInbound(body: unknown): InboundEvent[];
  /** Builds the webhook body the real provider would post for one incoming text. */
  inboundText(from: string, text: string, eventId: string): unknown;
}

/**
 * An in-process stand-in for a provider without a real integration yet
 * (WhatsApp, Instagram, Messenger). Same Connector promises as Telegram,
 * checked by the same contract suite: latency and failure rates are drawn
 * from a seeded generator so tests are deterministic, and controls let
 * tests take a recipient or the whole provider down.
 */
export class MockConnector implements Connector {
  readonly sent: MockSentRecord[] = [];
  private readonly random: SeededRandom;
  private nextId = 1;
  private down = false;
  private readonly refused = new Map<string, string>();

  constructor(
    private readonly profile: MockChannelProfile,
    private readonly behaviour: MockBehaviour = {},
  ) {
    this.random = new SeededRandom(behaviour.seed ?? 1);
  }

  get channel(): MockChannelProfile['channel'] {
    return this.profile.channel;
  }

  get capabilities(): ConnectorCapabilities {
    return this.profile.capabilities;
  }

  /** While down, every call fails as unreachable (a provider outage). */
  setDown(down: boolean): void {
    this.down = down;
  }

  /** Makes the provider refuse this recipient for good (unknown number, user blocked the page, …). */
  refuseRecipient(id: string, reason = 'recipient_unknown'): void {
    this.refused.set(id, reason);
  }

  send(message: OutboundText, opts: SendOptions = {}): Promise<SentMessage> {
    if (message.text.length > this.capabilities.maxTextLength)
      return Promise.reject(new PermanentError(`text longer than ${this.capabilities.maxTextLength} characters`, 'message_too_long'));
    return this.simulate(message.to, opts, () => ({ to: message.to, kind: 'text', text: message.text }));
  }

  sendFile(message: OutboundFile, opts: SendOptions = {}): Promise<SentMessage> {
    const files = this.capabilities.files;
    if (!files)
      return this.send(
        { to: message.to, text: [message.caption, `${message.file.filename}: ${message.file.url}`].filter(Boolean).join('\n\n') },
        opts,
      );
    if (message.file.size > files.maxUploadBytes) {
      return this.send(
        { to: message.to, text: [message.caption, `${message.file.filename}: ${message.file.url}`].filter(Boolean).join('\n\n') },
        opts,
      );
    }
    return this.simulate(message.to, opts, () => ({
      to: message.to,
      kind: 'file',
      file: message.file,
      ...(message.caption ? { caption: message.caption } : {}),
    }));
  }

  parseInbound(body: unknown): InboundEvent[] {
    return this.profile.parseInbound(body);
  }

  /** The webhook body this provider would post when `from` writes `text` (the simulated inbound webhook). */
  simulateInbound(from: string, text: string, eventId = `${this.channel}-in-${this.nextId++}`): unknown {
    return this.profile.inboundText(from, text, eventId);
  }

  async health(): Promise<void> {
    if (this.down) throw new TransientError(`${this.channel} mock is down`);
  }

  private async simulate(to: string, opts: SendOptions, record: () => Omit<MockSentRecord, 'externalId' | 'at'>): Promise<SentMessage> {
    // Draws happen in call order whatever the outcome, so a seed replays the same sequence.
    const latency = this.behaviour.latencyMs ? this.random.between(this.behaviour.latencyMs.min, this.behaviour.latencyMs.max) : 0;
    const roll = this.random.next();
    if (latency > 0) {
      try {
        await sleep(latency, undefined, { signal: opts.signal });
      } catch {
        throw new TransientError(`${this.channel} mock: call aborted at its deadline`);
      }
    }
    if (opts.signal?.aborted) throw new TransientError(`${this.channel} mock: call aborted at its deadline`);
    if (this.down) throw new TransientError(`${this.channel} mock: provider unreachable`);
    if (!this.profile.isValidRecipient(to))
      throw new PermanentError(`${this.channel} mock: invalid recipient id ${JSON.stringify(to.slice(0, 40))}`, 'invalid_recipient');
    const refused = this.refused.get(to);
    if (refused) throw new PermanentError(`${this.channel} mock: recipient refused (${refused})`, refused);
    const permanentRate = this.behaviour.permanentFailureRate ?? 0;
    const failureRate = this.behaviour.failureRate ?? 0;
    if (roll < permanentRate) throw new PermanentError(`${this.channel} mock: simulated permanent failure`, 'simulated_permanent');
    if (roll < permanentRate + failureRate) throw new TransientError(`${this.channel} mock: simulated transient failure`);
    const externalId = `${this.channel}-${this.nextId++}`;
    this.sent.push({ ...record(), externalId, at: Date.now() });
    return { externalId };
  }
}
