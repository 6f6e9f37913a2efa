import { Option, type Command } from 'commander';
import { problemFromResponse, type ChannelName, type HubClient, type MessageData, type Schemas } from '@hub/sdk';
import { uploadFile } from '@hub/sdk/node';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { table } from '../output.js';
import { ProgressBar } from '../progress.js';
import { intOption } from './options.js';

const CHANNELS: ChannelName[] = ['internal', 'telegram', 'whatsapp', 'instagram', 'messenger'];

export function registerMessages(program: Command, ctx: () => Context): void {
  program
    .command('send')
    .description('send a text, or a file (uploaded first, with a progress bar on stderr), to a conversation')
    .argument('<conversation_id>')
    .argument('[text]', 'the text (or use --file)')
    .option('-f, --file <path>', 'upload this file and send it as a file message')
    .option('--caption <text>', 'caption of a file message')
    .option('--from <username>', 'sender (an API client sends on behalf of a member; a user sends as themself)')
    .option('--to <usernames...>', 'only these members')
    .addOption(new Option('--channel <channels...>', 'channels to reach the recipients on (default internal)').choices(CHANNELS))
    .option('--idempotency-key <key>', 'choose the key yourself to make a repeated command count once')
    .action(
      async (
        conversationId: string,
        text: string | undefined,
        o: { file?: string; caption?: string; from?: string; to?: string[]; channel?: ChannelName[]; idempotencyKey?: string },
      ) => {
        const c = ctx();
        if (Boolean(text) === Boolean(o.file)) throw new UsageError('give either a text or --file');
        const hub = await c.client();
        const login = c.config.login;
        const from = o.from ?? (login?.kind === 'user' ? login.username : undefined);
        if (!from) throw new UsageError('an API client sends on behalf of a member: give --from <username>');
        let payload: Schemas['SendMessageRequest']['payload'];
        let file: Schemas['File'] | undefined;
        if (o.file) {
          const bar = new ProgressBar('upload');
          file = await uploadFile(hub, o.file, { conversationId, onProgress: bar.onUpload });
          bar.done();
          payload = { type: 'file', file_id: file.file_id, ...(o.caption ? { caption: o.caption } : {}) };
        } else {
          payload = { type: 'text', text: text! };
        }
        const accepted = await hub.sendMessage(
          { conversation_id: conversationId, from, payload, ...(o.to ? { to: o.to } : {}), ...(o.channel ? { channels: o.channel } : {}) },
          o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {},
        );
        c.out.result({ ...accepted, ...(file ? { file } : {}) }, () => [
          ...(file ? [`uploaded ${file.filename} as ${file.file_id} (sha256 ${file.sha256})`] : []),
          `accepted ${accepted.message_id}`,
        ]);
      },
    );

  program
    .command('status')
    .description('delivery status of a message, per recipient and channel')
    .argument('<message_id>')
    .action(async (messageId: string) => {
      const c = ctx();
      const s = await (await c.client()).messageStatus(messageId);
      c.out.result(s, () => [
        `${s.message_id}  ${s.status}  (conversation ${s.conversation_id}, #${s.sequence_number})`,
        ...table(
          ['RECIPIENT', 'CHANNEL', 'STATUS', 'UPDATED', 'DETAIL'],
          s.recipients.map((r) => [r.recipient, r.channel, r.status, r.updated_at, r.detail]),
        ),
      ]);
    });

  program
    .command('timeline')
    .description('every hop of a message (GET /v1/messages/{id}/timeline)')
    .argument('<message_id>')
    .action(async (messageId: string) => {
      const c = ctx();
      const hub = await c.client();
      const timeline = await fetchTimeline(hub, c.baseUrl, messageId);
      const hops = (timeline.hops ?? timeline.timeline ?? timeline.events ?? []) as Record<string, unknown>[];
      c.out.result(timeline, () => [
        `${messageId}: ${hops.length} hop(s)`,
        ...table(
          ['AT', 'HOP', 'CHANNEL', 'RECIPIENT', 'OUTCOME', 'ATTEMPT', 'DURATION', 'TRACE'],
          hops.map((h) => [
            str(h.at ?? h.time ?? h.started_at),
            str(h.hop ?? h.name ?? h.stage),
            str(h.channel),
            str(h.recipient),
            str(h.outcome ?? h.status),
            str(h.attempt),
            h.duration_ms !== undefined ? `${String(h.duration_ms)} ms` : '',
            str(h.trace_id),
          ]),
        ),
      ]);
    });

  program
    .command('tail')
    .description('print the messages of a conversation as they arrive (WebSocket; resumes after a reconnect without gaps or repeats)')
    .argument('<conversation_id>')
    .option('--since <seq>', 'first replay the messages after this sequence number', intOption)
    .option('-n, --count <n>', 'exit after this many messages', intOption)
    .option('--statuses', 'also print delivery status changes')
    .action(async (conversationId: string, o: { since?: number; count?: number; statuses?: boolean }) => {
      const c = ctx();
      const hub = await c.client();
      const socket = hub.connect({ ...(o.since !== undefined ? { resumeFrom: { [conversationId]: o.since } } : {}) });
      let seen = 0;
      await new Promise<void>((resolve, reject) => {
        const stop = () => {
          socket.close();
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        socket.on('open', (hello) =>
          c.out.note(`connected as ${hello.user} (node ${hello.node}); waiting for messages in ${conversationId}`),
        );
        socket.on('reconnecting', ({ attempt, delayMs }) =>
          c.out.note(`connection lost; reconnecting (attempt ${attempt}, in ${delayMs} ms)`),
        );
        socket.on('close', (info) => {
          if (!info.willReconnect && socket.state === 'closed' && seen < (o.count ?? Infinity))
            reject(
              new UsageError(
                `the hub closed the connection (${info.code}${info.reason ? ` ${info.reason}` : ''})`,
                info.code === 4001 ? 4 : 3,
              ),
            );
        });
        socket.on('message', (m: MessageData) => {
          if (m.conversation_id !== conversationId) return;
          seen++;
          c.out.event(
            { type: 'message', ...m },
            `#${m.sequence_number} ${m.created_at} ${m.from}: ${m.payload.type === 'text' ? m.payload.text : `[file ${m.file?.filename ?? m.payload.file_id}${m.file ? `, ${m.file.size} bytes` : ''}]`}`,
          );
          if (o.count !== undefined && seen >= o.count) stop();
        });
        if (o.statuses)
          socket.on(
            'status',
            (s) =>
              s.conversation_id === conversationId &&
              c.out.event({ type: 'status', ...s }, `  ${s.message_id} → ${s.recipient} via ${s.channel}: ${s.status}`),
          );
      });
    });
}

/** The timeline, or a clear error when the hub does not serve that route (it answers 404 for a message it knows). */
async function fetchTimeline(hub: HubClient, baseUrl: string, messageId: string): Promise<Record<string, unknown>> {
  const res = await hub.fetch(new Request(`${baseUrl}/v1/messages/${encodeURIComponent(messageId)}/timeline`));
  if (res.ok) return (await res.json()) as Record<string, unknown>;
  const err = await problemFromResponse(res);
  if (res.status === 404) {
    // Unknown message → the status call throws its own 404. Known message → the route itself is missing.
    await hub.messageStatus(messageId);
    throw new UsageError(
      `this hub does not serve the timeline API (GET /v1/messages/{id}/timeline answered 404 for a message it knows); upgrade the hub`,
      2,
    );
  }
  throw err;
}

function str(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}
