import { afterEach, describe, expect, it } from 'vitest';
import { startPrivateRedis, startPrivateS3 } from './support/private-servers';
import { isolatedServiceEnv } from './support/service-env';
import { eventually, spawnService, type ServiceName, type ServiceProcess } from './support/spawn-service';

interface ReadyBody {
  status: string;
  checks: Record<string, { status: string; error?: string }>;
}

const running: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

async function ready(svc: ServiceProcess): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`${svc.url}/health/ready`);
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

// Each service is pointed at a private server for one of its dependencies,
// which the test then stops: the shared stack stays up for everyone else.
const cases: Array<{ service: ServiceName; dependency: string; expected: string[] }> = [
  { service: 'frontend', dependency: 'redis', expected: ['kafka', 'mongodb', 'etcd', 'redis'] },
  { service: 'router', dependency: 'redis', expected: ['kafka', 'mongodb', 'etcd', 'redis'] },
  { service: 'presence', dependency: 'redis', expected: ['kafka', 'mongodb', 'etcd', 'redis'] },
  { service: 'files', dependency: 's3', expected: ['kafka', 'mongodb', 'etcd', 's3'] },
];

describe('service lifecycle against the real stack', () => {
  for (const { service, dependency, expected } of cases) {
    it(`${service}: ready when its dependencies answer, 503 naming ${dependency} when it stops, clean exit on SIGTERM`, async () => {
      const env = isolatedServiceEnv();
      let stopDependency: () => Promise<void>;
      if (dependency === 'redis') {
        const redis = await startPrivateRedis();
        env.REDIS_URL = redis.url;
        stopDependency = redis.stop;
      } else {
        const s3 = await startPrivateS3();
        env.S3_ENDPOINT = s3.endpoint;
        stopDependency = s3.stop;
      }
      running.push({ stop: stopDependency });
      const svc = await spawnService(service, env);
      running.push({ stop: () => svc.stop('SIGKILL') });

      expect((await fetch(`${svc.url}/health/live`)).status).toBe(200);
      const up = await ready(svc);
      expect(up.status).toBe(200);
      expect(up.body.status).toBe('ok');
      for (const name of expected) expect(up.body.checks[name]?.status, `${name} check`).toBe('ok');

      const metrics = await (await fetch(`${svc.url}/metrics`)).text();
      expect(metrics).toContain('process_cpu_user_seconds_total');

      await stopDependency();
      const down = await eventually(
        async () => {
          const r = await ready(svc);
          return r.status === 503 ? r : undefined;
        },
        { what: `${service} readiness to fail`, timeoutMs: 15_000 },
      );
      expect(down.body.status).toBe('unavailable');
      expect(down.body.checks[dependency]?.status).toBe('fail');
      expect(down.body.checks[dependency]?.error).toBeTruthy();
      // The other dependencies are still reported healthy: the report says which one failed.
      for (const name of expected.filter((n) => n !== dependency)) expect(down.body.checks[name]?.status).toBe('ok');

      const code = await svc.stop('SIGTERM');
      expect(code).toBe(0);
      expect(svc.output.some((l) => l.includes(`${service} stopped`))).toBe(true);
    });
  }

  it('a missing or malformed config variable stops the process with a message naming it', async () => {
    const env = isolatedServiceEnv({ KAFKA_BROKERS: 'not-a-broker', FRONTEND_PORT: 'eighty' });
    delete env.JWT_SECRET;
    await expect(spawnService('frontend', env, { timeoutMs: 30_000 })).rejects.toThrow(/exited with 78/);
    const err = await spawnService('frontend', env, { timeoutMs: 30_000 }).catch((e: Error) => e.message);
    expect(err).toMatch(/KAFKA_BROKERS is invalid/);
    expect(err).toMatch(/JWT_SECRET is missing/);
    expect(err).toMatch(/FRONTEND_PORT is invalid/);
  });
});
