import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { EtcdKeys } from '@hub/domain';
import { createLogger, EtcdStore } from '@hub/platform';
import { stackEnv } from '../../../test/support/stack-env';
import type { WebhookRecord } from './registration';
import { SecretBox, WebhookSecretCodec } from './secret-box';
import { WatchedWebhooks } from './watched-webhooks';
import { WebhooksRepository } from './webhooks.repository';

const env = stackEnv();
const logger = createLogger({ service: 'test', level: 'silent' });

describe('webhook secrets at rest (real etcd)', () => {
  const namespace = `t-${randomUUID()}/`;
  const kv = new EtcdStore({ hosts: env.ETCD_HOSTS!.split(','), namespace });
  const codec = new WebhookSecretCodec(SecretBox.fromBase64(randomBytes(32).toString('base64')));
  const repo = new WebhooksRepository(kv, codec);
  const mirrors: WatchedWebhooks[] = [];
  const raw = (owner: string, id: string) => kv.get<WebhookRecord>(EtcdKeys.webhook(owner, id));

  afterAll(async () => {
    await Promise.all(mirrors.map((m) => m.stop()));
    await kv.client.delete().prefix(namespace);
    kv.close();
  });

  it('stores secrets sealed and hands them out readable, through create, get, list, rotation and the watched cache', async () => {
    const created = await repo.create('client-a', { url: 'https://example.test/a', events: ['*'] });
    expect(created.secret).toMatch(/^whsec_/);
    const stored = await raw('client-a', created.webhook_id);
    expect(JSON.stringify(stored)).not.toContain(created.secret);
    expect(stored!.secret).toMatch(/^sealed:v1:/);
    expect((await repo.get('client-a', created.webhook_id))!.secret).toBe(created.secret);
    expect((await repo.list('client-a')).map((r) => r.secret)).toEqual([created.secret]);

    const rotated = await repo.rotateSecret('client-a', created.webhook_id, 60_000);
    expect(rotated!.previous_secret).toBe(created.secret);
    const afterRotation = await raw('client-a', created.webhook_id);
    expect(JSON.stringify(afterRotation)).not.toMatch(/whsec_/);

    const mirror = new WatchedWebhooks(kv, logger, codec);
    mirrors.push(mirror);
    await mirror.ready();
    expect(mirror.get(created.webhook_id)).toMatchObject({ secret: rotated!.secret, previous_secret: created.secret });
  });

  it('keeps a registration stored before the key was set working, and seals it at its next change', async () => {
    const legacy: WebhookRecord = {
      webhook_id: randomUUID(),
      owner: 'client-b',
      url: 'https://example.test/b',
      events: ['*'],
      active: true,
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      secret: 'whsec_legacy',
    };
    await kv.createIfAbsent(EtcdKeys.webhook('client-b', legacy.webhook_id), legacy);
    expect((await repo.get('client-b', legacy.webhook_id))!.secret).toBe('whsec_legacy');
    await repo.update('client-b', legacy.webhook_id, (r) => ({ ...r, description: 'touched' }));
    const stored = await raw('client-b', legacy.webhook_id);
    expect(stored!.secret).toMatch(/^sealed:v1:/);
    expect((await repo.get('client-b', legacy.webhook_id))!.secret).toBe('whsec_legacy');
  });

  it('a process with another key skips the registrations it cannot open instead of signing with garbage', async () => {
    const created = await repo.create('client-c', { url: 'https://example.test/c', events: ['*'] });
    const wrongKey = new WatchedWebhooks(kv, logger, new WebhookSecretCodec(SecretBox.fromBase64(randomBytes(32).toString('base64'))));
    mirrors.push(wrongKey);
    await wrongKey.ready();
    expect(wrongKey.get(created.webhook_id)).toBeUndefined();
  });
});
