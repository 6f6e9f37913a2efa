import { z } from 'zod';
import { env } from './config';
import { kafkaSecurityConfigSchema } from './kafka/kafka-security';

/** Connection settings per external system; services merge the ones they use into their config schema. */
export const kafkaConfigSchema = z.object({
  KAFKA_BROKERS: env.kafkaBrokers(),
  KAFKA_CLIENT_ID: z.string().min(1).default('messaging-hub'),
  /** How long an accept waits for the broker before answering 503. */
  KAFKA_SEND_TIMEOUT_MS: env.durationMs(5_000),
  /**
   * How long a batch's first record may wait for others to share its
   * sendBatch (0: at once). A sendBatch costs the client and the broker
   * about the same whatever its size, so at moderate rates batches of one or
   * two records cost more CPU than the rest of the accept path. 5 ms is the
   * Java client's default since Kafka 4.0 (figures: docs/performance.md).
   */
  KAFKA_PRODUCER_LINGER_MS: z.coerce.number().int().min(0).max(100).default(5),
  KAFKA_TOPIC_PARTITIONS: env.positiveInt(6),
  /** Prefix for every topic and consumer group (several hubs or test runs on one cluster). */
  KAFKA_NAME_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only')
    .default(''),
  ...kafkaSecurityConfigSchema.shape,
});

export const mongoConfigSchema = z.object({
  MONGO_URL: env.mongoUrl(),
  MONGO_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'letters, digits, _ and - only')
    .default('hub'),
  MONGO_WRITE_CONCERN: z.union([z.literal('majority'), z.coerce.number().int().min(0)]).default('majority'),
});

export const etcdConfigSchema = z.object({
  ETCD_HOSTS: env.etcdHosts(),
  ETCD_NAMESPACE: z.string().min(1).default('hub/'),
});

export const redisConfigSchema = z.object({
  REDIS_URL: env.redisUrl(),
  REDIS_KEY_PREFIX: z.string().default('hub:'),
});

const s3Endpoint = () =>
  z
    .url()
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// URL')
    .refine(
      (u) => new URL(u).pathname === '/' && !new URL(u).search,
      'scheme://host[:port] only: S3 clients cannot put a path in front of the bucket',
    );

export const s3ConfigSchema = z.object({
  S3_ENDPOINT: s3Endpoint(),
  /**
   * The same S3 server as clients outside the hub reach it (a public host
   * name, the gateway's object-storage server), for presigned URLs only;
   * unset: S3_ENDPOINT.
   */
  S3_PUBLIC_ENDPOINT: s3Endpoint().optional(),
  S3_ACCESS_KEY: z.string().min(1),
  S3_SECRET_KEY: z.string().min(1),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .default('hub-files'),
});
