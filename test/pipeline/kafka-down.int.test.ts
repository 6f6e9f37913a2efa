import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Topics } from '@hub/domain';
import { startPrivateKafka, type PrivateKafka } from '../support/private-kafka';
import { eventually } from '../support/spawn-service';
import { startPipeline, type Pipeline } from './harness';

let kafka: PrivateKafka;
let p: Pipeline;

beforeAll(async () => {
  kafka = await startPrivateKafka();
  // The frontend's only broker is the private one; everything else is the shared stack.
  p = await startPipeline({ env: { KAFKA_BROKERS: kafka.brokers, KAFKA_SEND_TIMEOUT_MS: '2000', ACCEPT_RETRY_AFTER_S: '3' } });
}, 180_000);
afterAll(async () => {
  await p?.stop();
  await kafka?.stop();
});

async function topicMessageIds(): Promise<string[]> {
  const client = new Kafka({ brokers: [kafka.brokers], clientId: 't-read', logLevel: logLevel.NOTHING });
  const consumer = client.consumer({ groupId: `t-${randomUUID()}` });
  const ids: string[] = [];
  let last = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [p.env.KAFKA_NAME_PREFIX + Topics.messages], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      last = Date.now();
      ids.push(JSON.parse(message.value!.toString()).payload.message_id);
    },
  });
  await eventually(() => ids.length > 0 && Date.now() - last > 1_500, { timeoutMs: 40_000, what: 'topic read' });
  await consumer.disconnect();
  return ids;
}

describe('accept while the message log is down', () => {
  it('answers 503 with Retry-After, never 202, and accepts again once the broker is back', async () => {
    const alice = await p.user();
    const bob = await p.user();
    const conv = await p.conversation(alice.accessToken, 'direct', [alice.username, bob.username]);
    let lastId = '';
    const send = (text: string) => {
      lastId = randomUUID();
      return p.api('POST', '/v1/messages', alice.accessToken, {
        message_id: lastId,
        conversation_id: conv,
        from: alice.username,
        payload: { type: 'text', text },
      });
    };

    const before = await send('before');
    expect(before.status).toBe(202);

    await kafka.kill();
    const started = Date.now();
    const during = await send('during');
    const duringId = lastId;
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('3');
    expect(during.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(during.body.detail).toMatch(/not accepted/);
    // Bounded by KAFKA_SEND_TIMEOUT_MS, not by kafkajs' own retries.
    expect(Date.now() - started).toBeLessThan(10_000);
    const ready = await fetch(`${p.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, { status: string }> }).checks.kafka?.status).toBe('fail');

    await kafka.restart();
    const after = await eventually(
      async () => {
        const r = await send('after');
        return r.status === 202 ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'accept after the broker is back' },
    );
    const ids = await topicMessageIds();
    expect(ids).toContain(before.body.message_id);
    expect(ids).toContain(after.body.message_id);
    // The refused message is not in the log: nothing was accepted behind the client's back.
    expect(ids).not.toContain(duringId);
    expect(ids).toHaveLength(new Set(ids).size);
  });
});
