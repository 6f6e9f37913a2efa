import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../support/identity';
import { eventually } from '../support/spawn-service';
import { startPipeline, type Pipeline } from './harness';

const CONVERSATIONS = 20;
const PER_SENDER = 25; // two senders per conversation: 1,000 messages
const TOTAL = CONVERSATIONS * 2 * PER_SENDER;

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({ routers: 1 });
}, 180_000);
afterAll(async () => {
  await p?.stop();
});

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

describe('pipeline end to end (frontend + router on the real stack)', () => {
  it(
    'stores 1,000 messages exactly once, gap-free and in send order, through duplicates and a SIGKILLed router',
    { timeout: 600_000 },
    async () => {
      const t0 = Date.now();
      const phases: Record<string, number> = {};
      const users: TestUser[] = await mapLimit(Array.from({ length: 10 }), 4, () => p.user());
      const pairs: Array<[TestUser, TestUser]> = [];
      for (let i = 0; i < users.length && pairs.length < CONVERSATIONS; i++)
        for (let j = i + 1; j < users.length && pairs.length < CONVERSATIONS; j++) pairs.push([users[i]!, users[j]!]);
      const conversations = await mapLimit(pairs, 4, async ([a, b]) => ({
        id: await p.conversation(a.accessToken, 'direct', [a.username, b.username]),
        members: [a, b],
      }));

      // Each member of each conversation sends PER_SENDER messages one after another; every 10th is sent a second time two messages later.
      const sentBy = new Map<string, string[]>(); // `${conversation}|${sender}` → message ids in send order
      const accepted = new Set<string>();
      let resends = 0;
      const send = async (conv: string, sender: TestUser, id: string) => {
        const res = await p.api('POST', '/v1/messages', sender.accessToken, {
          message_id: id,
          conversation_id: conv,
          from: sender.username,
          payload: { type: 'text', text: `${sender.username} ${id}` },
        });
        if (res.status !== 202 || res.body.message_id !== id) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
      };
      const senders = conversations.flatMap((c) =>
        c.members.map(async (sender) => {
          const ids: string[] = [];
          sentBy.set(`${c.id}|${sender.username}`, ids);
          const again: string[] = [];
          for (let k = 0; k < PER_SENDER; k++) {
            const id = randomUUID();
            await send(c.id, sender, id);
            ids.push(id);
            accepted.add(id);
            if (k % 10 === 3) again.push(id);
            if (k % 10 === 5 && again.length > 0) {
              await send(c.id, sender, again.shift()!);
              resends++;
            }
          }
        }),
      );

      // Kill the router with SIGKILL in the middle of the run, once it has stored some, and start another.
      const crash = (async () => {
        await eventually(async () => accepted.size >= TOTAL * 0.3 && (await p.db.collection('messages').countDocuments()) >= 100, {
          timeoutMs: 120_000,
          intervalMs: 50,
          what: 'router mid-run',
        });
        const victim = p.routers[0]!;
        const code = await victim.stop('SIGKILL');
        expect(code).toBeNull();
        expect(victim.proc.signalCode).toBe('SIGKILL');
        await p.startRouter();
      })();
      await Promise.all([...senders, crash]);
      phases.send_s = (Date.now() - t0) / 1000;
      expect(accepted.size).toBe(TOTAL);
      expect(resends).toBeGreaterThanOrEqual(TOTAL / 10 - CONVERSATIONS * 2);

      await eventually(async () => (await p.db.collection('messages').countDocuments()) >= TOTAL, {
        timeoutMs: 180_000,
        intervalMs: 500,
        what: `${TOTAL} stored messages`,
      });
      phases.stored_s = (Date.now() - t0) / 1000;
      // Let any late duplicate land before counting.
      await new Promise((r) => setTimeout(r, 2_000));
      const stored = await p.db
        .collection('messages')
        .find({}, { projection: { message_id: 1, conversation_id: 1, sequence_number: 1, from: 1 } })
        .toArray();
      expect(stored).toHaveLength(TOTAL);
      expect(new Set(stored.map((m) => m.message_id))).toEqual(accepted);

      for (const c of conversations) {
        const mine = stored.filter((m) => m.conversation_id === c.id).sort((a, b) => a.sequence_number - b.sequence_number);
        expect(mine.map((m) => m.sequence_number)).toEqual(Array.from({ length: 2 * PER_SENDER }, (_, i) => i + 1));
        for (const sender of c.members) {
          const order = mine.filter((m) => m.from === sender.username).map((m) => m.message_id);
          expect(order).toEqual(sentBy.get(`${c.id}|${sender.username}`));
        }
      }

      // Every status query answers: each message is routed (pending: nobody is online) for its recipient.
      const byId = new Map(stored.map((m) => [m.message_id as string, m]));
      const reader = new Map(conversations.flatMap((c) => c.members.map((u) => [u.username, u])));
      const statuses = await mapLimit([...accepted], 8, async (id) => {
        const m = byId.get(id)!;
        const res = await eventually(
          async () => {
            const r = await p.api('GET', `/v1/messages/${id}/status`, reader.get(m.from)!.accessToken);
            return r.status === 200 && r.body.status === 'pending' ? r : undefined;
          },
          { timeoutMs: 30_000, what: `status of ${id}` },
        );
        return res.body as { sequence_number: number; status: string };
      });
      expect(statuses.every((s, i) => s.status === 'pending' && s.sequence_number === byId.get([...accepted][i]!)!.sequence_number)).toBe(
        true,
      );

      phases.statuses_s = (Date.now() - t0) / 1000;
      const metrics = await (await fetch(`${p.routers.at(-1)!.url}/metrics`)).text();
      expect(metrics).toMatch(/hub_messages_persisted_total\{[^}]*\} [1-9]/);
      expect(metrics).toMatch(/hub_router_sequence_anomalies_total\{[^}]*\} 0/);
      const dup = /hub_messages_duplicates_total\{[^}]*\} (\d+)/.exec(metrics)?.[1];
      console.log(
        `[e2e] resends ${resends}, duplicates skipped by the restarted router ${dup}, phases (s since start) ${JSON.stringify(phases)}`,
      );
    },
  );
});
