import { ConfigError } from '@hub/platform';
import { describe, expect, it } from 'vitest';
import { loadRouterConfig } from './config';
import { ROUTER_WORKERS, workerNeeds } from './workers';

const base = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  MONGO_URL: 'mongodb://127.0.0.1:27017',
  ETCD_HOSTS: 'http://127.0.0.1:2379',
  REDIS_URL: 'redis://127.0.0.1:6379',
};
const problemsOf = (ROUTER_WORKERS: string) => {
  try {
    loadRouterConfig({ ...base, ROUTER_WORKERS });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('ROUTER_WORKERS', () => {
  it('runs every worker when unset', () => {
    expect(loadRouterConfig(base).ROUTER_WORKERS).toEqual(['route', 'retry', 'sweep', 'status', 'notify']);
  });

  it('takes a comma-separated subset, in the fixed order, without repeats', () => {
    expect(loadRouterConfig({ ...base, ROUTER_WORKERS: ' notify, route ,notify' }).ROUTER_WORKERS).toEqual(['route', 'notify']);
  });

  it('refuses an unknown name, naming it and every valid one', () => {
    expect(problemsOf('route,notfy,Status')).toEqual([
      'ROUTER_WORKERS is invalid ("route,notfy,Status"): unknown workers "notfy", "Status"; valid names: route, retry, sweep, status, notify (comma-separated; unset runs all)',
    ]);
  });

  it('refuses an empty list', () => {
    expect(problemsOf(' , ')[0]).toMatch(
      /^ROUTER_WORKERS is invalid \(" , "\): name at least one worker of route, retry, sweep, status, notify/,
    );
  });
});

describe('workerNeeds', () => {
  it('connects only what the chosen workers use', () => {
    expect(workerNeeds(['notify'])).toEqual({ producer: false, etcd: true, redis: false, outbound: false });
    expect(workerNeeds(['status'])).toEqual({ producer: true, etcd: false, redis: false, outbound: false });
    expect(workerNeeds(['sweep'])).toEqual({ producer: true, etcd: false, redis: false, outbound: false });
    expect(workerNeeds(['route'])).toEqual({ producer: true, etcd: true, redis: true, outbound: true });
    expect(workerNeeds([...ROUTER_WORKERS])).toEqual({ producer: true, etcd: true, redis: true, outbound: true });
  });
});
