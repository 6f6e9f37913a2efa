import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv } from '../../../../test/support/stack-env';
import { S3ObjectStore } from './s3-object-store';

describe('s3 client module (real S3 server)', () => {
  const env = stackEnv();
  const store = new S3ObjectStore({
    endpoint: env.S3_ENDPOINT!,
    accessKey: env.S3_ACCESS_KEY!,
    secretKey: env.S3_SECRET_KEY!,
    region: env.S3_REGION!,
    bucket: `t-${randomUUID()}`,
  });

  beforeAll(() => store.ensureBucket());
  afterAll(async () => {
    for (const key of await store.list('')) await store.remove(key);
    await store.client.removeBucket(store.bucket).catch(() => {});
  });

  it('presigned PUT then presigned GET returns the same bytes', async () => {
    const body = randomBytes(64 * 1024);
    const putUrl = await store.presignPut('a/one.bin', 900);
    const put = await fetch(putUrl, { method: 'PUT', body });
    expect(put.status).toBe(200);
    const getUrl = await store.presignGet('a/one.bin', 3600, { downloadName: 'résumé.bin' });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toContain('attachment');
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(body));
  });

  it('a tampered presigned URL is refused (the server checks signatures)', async () => {
    const url = new URL(await store.presignPut('a/tamper.bin', 900));
    url.pathname = url.pathname.replace('tamper', 'other');
    const res = await fetch(url, { method: 'PUT', body: 'x' });
    expect(res.status).toBe(403);
  });

  it('multipart upload of a file larger than 5 MiB through presigned part URLs', async () => {
    const partSize = 5 * 1024 * 1024;
    const body = randomBytes(partSize + 1024 * 1024 + 17);
    const key = 'a/big.bin';
    const uploadId = await store.startMultipart(key, 'application/octet-stream');
    const chunks = [body.subarray(0, partSize), body.subarray(partSize)];
    const parts = await Promise.all(
      chunks.map(async (chunk, i) => {
        const url = await store.presignPart(key, uploadId, i + 1, 900);
        const res = await fetch(url, { method: 'PUT', body: chunk });
        expect(res.status).toBe(200);
        return { partNumber: i + 1, etag: res.headers.get('etag') ?? '' };
      }),
    );
    await store.completeMultipart(key, uploadId, parts);
    const st = await store.stat(key);
    expect(st?.size).toBe(body.length);
    const res = await fetch(await store.presignGet(key, 600));
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(body));
  });

  it('copies server-side, and later writes to the source leave the copy alone', async () => {
    const body = randomBytes(32 * 1024);
    await fetch(await store.presignPut('c/src.bin', 900), { method: 'PUT', body });
    await store.copy('c/src.bin', 'c/dst.bin');
    await fetch(await store.presignPut('c/src.bin', 900), { method: 'PUT', body: 'overwritten' });
    const got = await fetch(await store.presignGet('c/dst.bin', 600));
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(body));
  });

  it('lists multipart uploads that were neither completed nor aborted', async () => {
    const open = await store.startMultipart('m/open.bin');
    const done = await store.startMultipart('m/aborted.bin');
    await store.abortMultipart('m/aborted.bin', done);
    const listed = await store.listIncompleteUploads('m/');
    expect(listed.map((u) => [u.key, u.uploadId])).toEqual([['m/open.bin', open]]);
    expect(Date.now() - listed[0]!.initiated.getTime()).toBeLessThan(60_000);
    await store.abortMultipart('m/open.bin', open);
    expect(await store.listIncompleteUploads('m/')).toEqual([]);
  });

  it('stat of a missing object is undefined, not an error', async () => {
    expect(await store.stat('nope/missing.bin')).toBeUndefined();
  });
});

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
