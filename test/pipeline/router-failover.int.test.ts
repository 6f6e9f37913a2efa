import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../support/identity';
import { eventually, type ServiceProcess } from '../support/spawn-service';
import { startPipeline, type Pipeline } from './harness';

const PARTITIONS = 3;
let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline({ routers: 2 });
}, 180_000);
afterAll(async () => {
  await p?.stop();
});

const partitioner = Partitioners.DefaultPartitioner();
const partitionOf = (key: string) =>
  partitioner({
    topic: 't',
    partitionMetadata: Array.from({ length: PARTITIONS }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    })),
    message: { key, value: null },
  });

async function persisted(r: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  return Number(/hub_messages_persisted_total\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe('two router workers share the partitions', () => {
  it(
    'both store while both run; when one stops, the other takes its partitions without loss or duplicates',
    { timeout: 400_000 },
    async () => {
      const [alice, bob] = await Promise.all([p.user(), p.user()]);
      // Two conversations on every partition, so both workers have work.
      const convs: string[] = [];
      const perPartition = new Map<number, number>();
      while ([...Array(PARTITIONS).keys()].some((i) => (perPartition.get(i) ?? 0) < 2)) {
        const id = await p.conversation(alice.accessToken, 'group', [alice.username, bob.username]);
        const part = partitionOf(id);
        if ((perPartition.get(part) ?? 0) >= 2) continue;
        perPartition.set(part, (perPartition.get(part) ?? 0) + 1);
        convs.push(id);
      }
      const sentOrder = new Map<string, string[]>(convs.map((c) => [c, []]));
      const sendRound = async (perConversation: number, sender: TestUser, during?: () => Promise<void>) => {
        let sent = 0;
        const loops = convs.map(async (conv) => {
          for (let k = 0; k < perConversation; k++) {
            const id = randomUUID();
            const res = await p.api('POST', '/v1/messages', sender.accessToken, {
              message_id: id,
              conversation_id: conv,
              from: sender.username,
              payload: { type: 'text', text: `#${k}` },
            });
            expect(res.status).toBe(202);
            sentOrder.get(conv)!.push(id);
            sent++;
          }
        });
        const mid = during
          ? (async () => {
              await eventually(() => sent >= (perConversation * convs.length) / 2, { timeoutMs: 60_000, intervalMs: 20 });
              await during();
            })()
          : Promise.resolve();
        await Promise.all([...loops, mid]);
      };
      const storedCount = () => p.db.collection('messages').countDocuments();
      const [a, b] = p.routers as [ServiceProcess, ServiceProcess];

      await sendRound(20, alice);
      await eventually(async () => (await storedCount()) === 120, { timeoutMs: 60_000, what: '120 stored' });
      const [aBefore, bBefore] = [await persisted(a), await persisted(b)];
      expect(aBefore).toBeGreaterThan(0);
      expect(bBefore).toBeGreaterThan(0);
      expect(aBefore + bBefore).toBe(120);

      // Stop one (SIGTERM: it finishes its batch, commits and leaves the group) in the middle of a round.
      await sendRound(20, bob, async () => {
        expect(await a.stop('SIGTERM')).toBe(0);
      });
      await eventually(async () => (await storedCount()) === 240, { timeoutMs: 90_000, what: '240 stored' });

      // Every partition is now the survivor's: it alone stores the next round.
      const bMid = await persisted(b);
      await sendRound(5, alice);
      await eventually(async () => (await storedCount()) === 270, { timeoutMs: 60_000, what: '270 stored' });
      expect((await persisted(b)) - bMid).toBe(30);

      await new Promise((r) => setTimeout(r, 1_000));
      const stored = await p.db
        .collection('messages')
        .find({}, { projection: { message_id: 1, conversation_id: 1, sequence_number: 1 } })
        .toArray();
      expect(stored).toHaveLength(270);
      for (const conv of convs) {
        const mine = stored.filter((m) => m.conversation_id === conv).sort((x, y) => x.sequence_number - y.sequence_number);
        expect(mine.map((m) => m.sequence_number)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
        // One sender per round, rounds one after another: storage order is send order.
        expect(mine.map((m) => m.message_id)).toEqual(sentOrder.get(conv));
      }
    },
  );
});
