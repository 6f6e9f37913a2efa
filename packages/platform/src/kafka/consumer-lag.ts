import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { idLikeLabelValue } from '../metrics';

export interface ConsumerLagOptions {
  admin: Admin;
  /** The deployment's Kafka name prefix: only groups under it are measured, and it is cut from the labels. */
  namePrefix: string;
  logger: Logger;
  /** Scrapes closer together than this reuse the last reading (several Prometheus servers, or a fast test). */
  minIntervalMs?: number;
}

/**
 * `hub_consumer_lag{group, topic, partition}`: records between a group's
 * committed offset and the partition end, for every consumer group of the
 * deployment, read from Kafka itself (committed offsets, high watermarks) at
 * scrape time. Measured from outside the consumers on purpose: a group
 * whose every member is down (a stopped router) still shows its growing
 * lag, which a consumer reporting its own lag never could.
 */
export function registerConsumerLag(registry: Registry, opts: ConsumerLagOptions): void {
  const minIntervalMs = opts.minIntervalMs ?? 2_000;
  let last = 0;
  let reading: Promise<Map<string, number>> | undefined;
  let values = new Map<string, number>();

  const read = async (): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    const { groups } = await opts.admin.listGroups();
    const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(opts.namePrefix));
    const ends = new Map<string, Map<number, bigint>>();
    for (const groupId of ours) {
      const group = groupId.slice(opts.namePrefix.length);
      // A throwaway group (a test reader, a tool) named by an id would be a series per run.
      if (!group || idLikeLabelValue(group)) continue;
      const committed = await opts.admin.fetchOffsets({ groupId });
      for (const t of committed) {
        let end = ends.get(t.topic);
        if (!end) {
          end = new Map((await opts.admin.fetchTopicOffsets(t.topic)).map((p) => [p.partition, BigInt(p.high)]));
          ends.set(t.topic, end);
        }
        for (const p of t.partitions) {
          const high = end.get(p.partition);
          if (high === undefined) continue;
          // -1: nothing committed yet; the group will start from the end or the beginning, so lag is unknown: report none.
          if (Number(p.offset) < 0) continue;
          const lag = high - BigInt(p.offset);
          out.set(
            JSON.stringify([group, t.topic.slice(t.topic.startsWith(opts.namePrefix) ? opts.namePrefix.length : 0), String(p.partition)]),
            Number(lag > 0n ? lag : 0n),
          );
        }
      }
    }
    return out;
  };

  new Gauge({
    name: 'hub_consumer_lag',
    help: 'Records behind the partition end, by consumer group, topic and partition (read from the committed offsets)',
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      if (Date.now() - last >= minIntervalMs) {
        reading ??= read().finally(() => {
          reading = undefined;
        });
        try {
          values = await reading;
        } catch (err) {
          opts.logger.warn({ err }, 'consumer lag could not be read from Kafka');
          values = new Map();
        }
        last = Date.now();
      }
      this.reset();
      for (const [key, lag] of values) {
        const [group, topic, partition] = JSON.parse(key) as [string, string, string];
        this.set({ group, topic, partition }, lag);
      }
    },
  });
}
