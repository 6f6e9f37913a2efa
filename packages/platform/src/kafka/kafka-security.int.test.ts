import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateKafka, type PrivateKafka } from '../../../../test/support/private-kafka';
import { REPO_ROOT } from '../../../../test/support/stack-env';
import { loadConfig } from '../config';
import { kafkaConfigSchema } from '../infra-config';
import { createLogger } from '../logger';
import { createKafka } from './kafka';
import { kafkaSecurity } from './kafka-security';

/**
 * The SASL and TLS settings against a real broker: a private Kafka with a
 * SASL_SSL listener (certificate from the gateway's development CA, PLAIN
 * and SCRAM users), since the shared stack's broker is plaintext.
 */
const USER = 'hub';
const PASSWORD = `pw-${randomUUID()}`;
const certDir = join(REPO_ROOT, 'deploy/gateway/.certs');
let kafka: PrivateKafka;
const logger = createLogger({ service: 'kafka-security-test', level: 'silent' });

beforeAll(async () => {
  const made = spawnSync('bash', [join(REPO_ROOT, 'deploy/gateway/dev-cert.sh'), certDir], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(made.stderr);
  kafka = await startPrivateKafka({
    secured: { certFile: join(certDir, 'server.crt'), keyFile: join(certDir, 'server.key'), username: USER, password: PASSWORD },
  });
}, 120_000);
afterAll(async () => {
  await kafka?.stop();
});

async function roundTrip(vars: Record<string, string>): Promise<number> {
  const config = loadConfig(kafkaConfigSchema, { KAFKA_BROKERS: kafka.securedBrokers!, ...vars });
  const client = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: 't-secured',
    logger,
    security: kafkaSecurity(config),
    connectionTimeoutMs: 5_000,
    requestTimeoutMs: 5_000,
  });
  const topic = `t-${randomUUID()}`;
  const admin = client.admin();
  const producer = client.producer({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'over SASL_SSL' }] });
    const offsets = await admin.fetchTopicOffsets(topic);
    return Number(offsets[0]!.high);
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

const tls = { KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: join(certDir, 'ca.crt') };

describe('Kafka SASL and TLS against a real broker', () => {
  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])(
    'SASL %s over TLS (private CA): produce and read back the offset',
    { timeout: 60_000 },
    async (mechanism) => {
      expect(await roundTrip({ ...tls, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: USER, KAFKA_SASL_PASSWORD: PASSWORD })).toBe(
        1,
      );
    },
  );

  it('a wrong password is refused by the broker', { timeout: 60_000 }, async () => {
    await expect(
      roundTrip({ ...tls, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: USER, KAFKA_SASL_PASSWORD: 'wrong-password' }),
    ).rejects.toThrow(/SASL|authentication/i);
  });

  it('TLS without the private CA does not trust the broker (verification stays on)', { timeout: 60_000 }, async () => {
    await expect(
      roundTrip({ KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: USER, KAFKA_SASL_PASSWORD: PASSWORD }),
    ).rejects.toThrow(/certificate|self.signed|issuer/i);
  });
});
