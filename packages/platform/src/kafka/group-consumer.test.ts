import type { ConsumerConfig, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { groupConsumer } from './event-consumer';

function capturingKafka(): { kafka: Kafka; configs: ConsumerConfig[] } {
  const configs: ConsumerConfig[] = [];
  return { kafka: { consumer: (cfg: ConsumerConfig) => (configs.push(cfg), {}) } as unknown as Kafka, configs };
}

describe('groupConsumer', () => {
  it('gives every consumer the same liveness and fetch defaults', () => {
    const { kafka, configs } = capturingKafka();
    groupConsumer(kafka, 'router');
    expect(configs[0]).toMatchObject({
      groupId: 'router',
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 50,
      retry: { retries: 10 },
    });
  });

  it('lets a consumer change a default, but not its group', () => {
    const { kafka, configs } = capturingKafka();
    groupConsumer(kafka, 'notify', { sessionTimeout: 30_000, groupId: 'other' });
    expect(configs[0]).toMatchObject({ groupId: 'notify', sessionTimeout: 30_000, heartbeatInterval: 1_000 });
  });
});
