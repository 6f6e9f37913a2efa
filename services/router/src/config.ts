import { z } from 'zod';
import {
  baseConfigSchema,
  env,
  loadConfig,
  kafkaConfigSchema,
  mongoConfigSchema,
  etcdConfigSchema,
  redisConfigSchema,
  s3ConfigSchema,
} from '@hub/platform';
import { webhookDispatchConfigSchema, webhookPolicyConfigSchema } from '@hub/webhooks';
import { routerOutboundConfigSchema } from './outbound/outbound-config';
import { routerWorkersSetting } from './workers';

export const routerConfigSchema = baseConfigSchema
  .extend(kafkaConfigSchema.shape)
  .extend(mongoConfigSchema.shape)
  .extend(etcdConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(webhookPolicyConfigSchema.shape)
  .extend(webhookDispatchConfigSchema.shape)
  .extend(routerOutboundConfigSchema.shape)
  // Optional here: only file messages to external channels need the object store (for download links).
  .extend(s3ConfigSchema.partial().shape)
  .extend({
    ROUTER_HOST: env.host(),
    ROUTER_PORT: env.port(8082),
    /** The workers this process runs, comma-separated (route, retry, sweep, status, notify); unset: all of them. */
    ROUTER_WORKERS: routerWorkersSetting,
    /** Partitions of hub.messages.v1 (and hub.status.v1) one router process works on at once; order within a partition always holds. At least the partitions a router owns, so a fetch's batches are written together. */
    ROUTER_PARTITION_CONCURRENCY: env.positiveInt(16),
    /** Conversations whose members and sequence counter the route worker keeps in memory. */
    ROUTER_SEQUENCE_CACHE_SIZE: env.positiveInt(100_000),
    /** Groups of partitions whose batches are written side by side (each group one round of bulk writes per fetch). */
    ROUTER_WRITE_GROUPS: env.positiveInt(2),
    // The route worker publishes a whole batch's statuses in one call and
    // waits for it before committing: lingering would only lengthen its cycle.
    KAFKA_PRODUCER_LINGER_MS: z.coerce.number().int().min(0).max(100).default(0),
  });

export type RouterConfig = z.infer<typeof routerConfigSchema>;

export function loadRouterConfig(source: Record<string, string | undefined> = process.env): RouterConfig {
  return loadConfig(routerConfigSchema, source);
}
