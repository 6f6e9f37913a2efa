import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv } from '../../../../test/support/stack-env';
import { S3ObjectStore } from './s3-object-store';

/**
 * S3_PUBLIC_ENDPOINT: presigned URLs name the host outside clients reach,
 * and are signed for it. The "public" host here is a plain TCP forwarder to
 * the same S3 server under another name and port (what a gateway or load
 * balancer in front of S3 is to a client).
 */
describe('S3 public endpoint for presigned URLs (real S3 server)', () => {
  const env = stackEnv();
  const internal = new URL(env.S3_ENDPOINT!);
  const sockets = new Set<Socket>();
  let forwarded = 0;
  let forwarder: Server;
  let publicEndpoint: string;
  let store: S3ObjectStore;
  let internalOnly: S3ObjectStore;
  const bucket = `t-${randomUUID()}`;

  beforeAll(async () => {
    forwarder = createServer((client) => {
      forwarded++;
      const upstream = connect(Number(internal.port), internal.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r));
    const port = (forwarder.address() as { port: number }).port;
    publicEndpoint = `http://localhost:${port}`;
    const settings = {
      endpoint: env.S3_ENDPOINT!,
      accessKey: env.S3_ACCESS_KEY!,
      secretKey: env.S3_SECRET_KEY!,
      region: env.S3_REGION!,
      bucket,
    };
    store = new S3ObjectStore({ ...settings, publicEndpoint });
    internalOnly = new S3ObjectStore(settings);
    await store.ensureBucket();
  });
  afterAll(async () => {
    for (const key of await store.list('')) await store.remove(key);
    await store.client.removeBucket(bucket).catch(() => {});
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => forwarder.close(() => r()));
  });

  it('presigned PUT, part and GET URLs name the public host, and work through it', async () => {
    const body = randomBytes(4096);
    const putUrl = new URL(await store.presignPut('p/one.bin', 900));
    expect(putUrl.origin).toBe(publicEndpoint);
    expect((await fetch(putUrl, { method: 'PUT', body })).status).toBe(200);
    const getUrl = new URL(await store.presignGet('p/one.bin', 900, { downloadName: 'one.bin' }));
    expect(getUrl.origin).toBe(publicEndpoint);
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);
    const uploadId = await store.startMultipart('p/multi.bin');
    const partUrl = new URL(await store.presignPart('p/multi.bin', uploadId, 1, 900));
    expect(partUrl.origin).toBe(publicEndpoint);
    expect((await fetch(partUrl, { method: 'PUT', body })).status).toBe(200);
    await store.abortMultipart('p/multi.bin', uploadId);
  });

  it('the store itself still talks to the internal endpoint (stat, read)', async () => {
    const before = forwarded;
    await store.client.putObject(bucket, 'p/internal.bin', Buffer.from('x'));
    expect((await store.stat('p/internal.bin'))?.size).toBe(1);
    expect((await store.list('p/')).length).toBeGreaterThan(0);
    expect(forwarded).toBe(before);
  });

  it('why the public host must be signed: an internal URL with its host swapped is refused', async () => {
    const url = new URL(await internalOnly.presignPut('p/swapped.bin', 900));
    expect(url.origin).toBe(env.S3_ENDPOINT!.replace(/\/$/, ''));
    const swapped = new URL(url.pathname + url.search, publicEndpoint);
    expect((await fetch(swapped, { method: 'PUT', body: 'x' })).status).toBe(403);
  });
});
