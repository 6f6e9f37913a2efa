import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '@hub/domain';
import { InboundParseError, type Connector } from '../src/connector';

/** What the provider side recorded for one recipient, in order. */
export interface ProviderRecord {
  kind: 'text' | 'file';
  externalId: string;
  text?: string;
  filename?: string;
}

/** How the contract drives one implementation and looks at its provider. */
export interface ContractHarness {
  connector: Connector;
  /** A recipient id the provider accepts. */
  recipient: string;
  /** A second one, for "other recipients are unaffected" checks. */
  otherRecipient: string;
  /** A well-formed id of someone the provider does not know. */
  unknownRecipient: string;
  /** An id that is not even in the channel's format. */
  malformedRecipient: string;
  delivered(to: string): ProviderRecord[];
  /** The provider refuses this recipient for good from now on. */
  refuseRecipient(to: string): void;
  /** The provider fails every call (outage) until `restoreProvider`. */
  breakProvider(): void;
  restoreProvider(): void;
  /** The webhook body the provider posts when `from` writes `text`. */
  inboundText(from: string, text: string, eventId: string): unknown;
  /** A well-formed webhook body of a kind the hub does not handle. */
  inboundUnsupported(eventId: string): unknown;
  close(): Promise<void>;
}

const FILE_BYTES = Buffer.from('%PDF-1.4 contract test file\n');

/**
 * The promises every Connector keeps (see `Connector`), run against each
 * implementation so Telegram and the mocks cannot drift apart.
 */
export function runConnectorContract(name: string, create: () => Promise<ContractHarness>): void {
  describe(`Connector contract: ${name}`, () => {
    let h: ContractHarness;
    let files: Server;
    let fileUrl: string;

    beforeAll(async () => {
      h = await create();
      files = createServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/pdf', 'Content-Length': FILE_BYTES.byteLength });
        res.end(FILE_BYTES);
      });
      await new Promise<void>((r) => files.listen(0, '127.0.0.1', () => r()));
      fileUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/report.pdf`;
    });
    afterAll(async () => {
      await h?.close();
      await new Promise<void>((r) => files?.close(() => r()));
    });

    it('names its channel and states usable limits', () => {
      expect(['telegram', 'whatsapp', 'instagram', 'messenger']).toContain(h.connector.channel);
      expect(h.connector.capabilities.maxTextLength).toBeGreaterThanOrEqual(1000);
      const f = h.connector.capabilities.files;
      if (f) expect(f.maxUploadBytes).toBeGreaterThan(0);
    });

    it('delivers a text once and returns the provider id', async () => {
      const sent = await h.connector.send({ to: h.recipient, text: 'hello from the contract' });
      expect(sent.externalId).toMatch(/\S/);
      const records = h.delivered(h.recipient).filter((r) => r.text === 'hello from the contract');
      expect(records).toHaveLength(1);
      expect(records[0]!.externalId).toBe(sent.externalId);
    });

    it('keeps the order of consecutive sends and gives each its own id', async () => {
      const a = await h.connector.send({ to: h.otherRecipient, text: 'first' });
      const b = await h.connector.send({ to: h.otherRecipient, text: 'second' });
      expect(a.externalId).not.toBe(b.externalId);
      expect(
        h
          .delivered(h.otherRecipient)
          .map((r) => r.text)
          .filter((t) => t === 'first' || t === 'second'),
      ).toEqual(['first', 'second']);
    });

    it('delivers a file, with its caption', async () => {
      const sent = await h.connector.sendFile({
        to: h.recipient,
        file: { filename: 'report.pdf', size: FILE_BYTES.byteLength, contentType: 'application/pdf', url: fileUrl },
        caption: 'the report',
      });
      expect(sent.externalId).toMatch(/\S/);
      const rec = h.delivered(h.recipient).find((r) => r.externalId === sent.externalId);
      expect(rec).toBeDefined();
      if (h.connector.capabilities.files) expect(rec!.kind).toBe('file');
      else expect(rec!.text).toContain(fileUrl);
    });

    it('refuses a text over its length limit as permanent, without sending', async () => {
      const before = h.delivered(h.recipient).length;
      await expect(
        h.connector.send({ to: h.recipient, text: 'x'.repeat(h.connector.capabilities.maxTextLength + 1) }),
      ).rejects.toBeInstanceOf(PermanentError);
      expect(h.delivered(h.recipient)).toHaveLength(before);
    });

    it('reports a recipient the provider refuses as a permanent error with a reason', async () => {
      h.refuseRecipient(h.unknownRecipient);
      const err = await h.connector.send({ to: h.unknownRecipient, text: 'anyone there?' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).reason).toMatch(/\w/);
      expect(h.delivered(h.unknownRecipient)).toHaveLength(0);
    });

    it('reports a recipient id in the wrong format as permanent (invalid_recipient)', async () => {
      const err = await h.connector.send({ to: h.malformedRecipient, text: 'hi' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).reason).toBe('invalid_recipient');
    });

    it('reports an outage as transient, and works again once the provider is back', async () => {
      h.breakProvider();
      try {
        await expect(h.connector.send({ to: h.recipient, text: 'during outage' })).rejects.toBeInstanceOf(TransientError);
        await expect(h.connector.health()).rejects.toThrow();
      } finally {
        h.restoreProvider();
      }
      await h.connector.health();
      const sent = await h.connector.send({ to: h.recipient, text: 'after outage' });
      expect(h.delivered(h.recipient).find((r) => r.externalId === sent.externalId)?.text).toBe('after outage');
      expect(h.delivered(h.recipient).some((r) => r.text === 'during outage')).toBe(false);
    });

    it('gives up on an aborted call with a transient error', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(h.connector.send({ to: h.recipient, text: 'aborted' }, { signal: controller.signal })).rejects.toBeInstanceOf(
        TransientError,
      );
    });

    it('parses an inbound text into a text event with a stable event id', () => {
      const body = h.inboundText(h.recipient, 'hi hub', '1001');
      const [event, ...rest] = h.connector.parseInbound(body);
      expect(rest).toHaveLength(0);
      expect(event).toMatchObject({ kind: 'text', text: 'hi hub', from: { externalId: h.recipient } });
      // The same body delivered twice yields the same id: the bridge deduplicates on it.
      expect(h.connector.parseInbound(body)[0]!.eventId).toBe(event!.eventId);
      expect(h.connector.parseInbound(h.inboundText(h.recipient, 'hi hub', '1002'))[0]!.eventId).not.toBe(event!.eventId);
    });

    it('acknowledges well-formed events it does not handle as ignored', () => {
      const events = h.connector.parseInbound(h.inboundUnsupported('2001'));
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.kind === 'ignored')).toBe(true);
    });

    it.each([
      ['null', null],
      ['a string', 'update'],
      ['an empty object', {}],
      ['an array', [1, 2]],
      ['wrong field types', { update_id: 'x', object: 7, entry: 'no' }],
    ])('rejects a malformed inbound body (%s) with InboundParseError', (_label, body) => {
      expect(() => h.connector.parseInbound(body)).toThrow(InboundParseError);
    });
  });
}
