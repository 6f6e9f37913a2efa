import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateS3 } from '../../../test/support/private-servers';
import { sha256, startFilesHarness, uploadBytes, type FilesHarness } from './files-harness';

const MiB = 1024 * 1024;

describe('files API when object storage stops answering (a private S3 server)', () => {
  let s3: Awaited<ReturnType<typeof startPrivateS3>>;
  let h: FilesHarness;
  let alice: string;

  beforeAll(async () => {
    s3 = await startPrivateS3();
    h = await startFilesHarness({ S3_ENDPOINT: s3.endpoint });
    alice = await h.userToken('alice');
  });
  afterAll(async () => {
    await h?.close();
    await s3?.stop();
  });

  it('answers 503 with Retry-After, never 500, and the upload stays pending for a later complete', async () => {
    const bytes = randomBytes(1000);
    const init = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'a.txt',
      size: bytes.length,
      content_type: 'text/plain',
      sha256: sha256(bytes),
    });
    await uploadBytes(init.body, bytes);
    await s3.stop();

    const complete = await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id });
    expect(complete.status).toBe(503);
    expect(complete.headers.get('content-type')).toContain('application/problem+json');
    expect(complete.headers.get('retry-after')).toBeTruthy();
    expect(complete.body.detail).toMatch(/storage/);

    const multipart = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'b.bin',
      size: 70 * MiB,
      content_type: 'application/octet-stream',
      sha256: 'c'.repeat(64),
    });
    expect(multipart.status).toBe(503);

    // Metadata is still there and still uploading: the client can complete later.
    const meta = await h.api('GET', `/v1/files/${init.body.file_id}`, alice);
    expect(meta.status).toBe(200);
    expect(meta.body.status).toBe('uploading');
    expect(h.svc.output.some((l) => l.includes('"level":"error"') && l.includes('unhandled error'))).toBe(false);
  });
});
