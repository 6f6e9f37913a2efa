import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/spawn-service';
import { sha256, startFilesHarness, uploadBytes, type FilesHarness } from './files-harness';

const MiB = 1024 * 1024;

describe('files: expiring upload URLs and housekeeping of abandoned uploads (real S3 server)', () => {
  let h: FilesHarness;
  let alice: string;

  beforeAll(async () => {
    h = await startFilesHarness({
      FILES_UPLOAD_URL_TTL_S: '2',
      FILES_ABANDONED_UPLOAD_TTL_S: '4',
      FILES_HOUSEKEEPING_INTERVAL_MS: '300',
      // Small multipart uploads keep this test light: parts of S3's minimum 5 MiB above 6 MiB.
      FILES_MULTIPART_THRESHOLD_BYTES: String(6 * MiB),
      FILES_PART_SIZE_BYTES: String(5 * MiB),
    });
    alice = await h.userToken('alice');
  });
  afterAll(() => h?.close());

  it('the storage server refuses an upload URL once it expired', async () => {
    const bytes = randomBytes(1000);
    const init = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'late.txt',
      size: bytes.length,
      content_type: 'text/plain',
      sha256: sha256(bytes),
    });
    expect(init.status).toBe(201);
    await new Promise((r) => setTimeout(r, 3_000));
    const res = await fetch(init.body.upload.url, { method: 'PUT', body: bytes });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/expired/i);
    expect(await h.store.list(`uploads/${init.body.file_id}`)).toEqual([]);
  });

  it('uploads never completed are removed with their objects, and their multipart uploads aborted on the server', async () => {
    // One single PUT that was uploaded but never completed, one that never got bytes, and a multipart upload with one part sent.
    const bytes = randomBytes(1000);
    const uploaded = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'a.txt',
      size: bytes.length,
      content_type: 'text/plain',
      sha256: sha256(bytes),
    });
    await uploadBytes(uploaded.body, bytes);
    const empty = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'b.txt',
      size: 10,
      content_type: 'text/plain',
      sha256: 'b'.repeat(64),
    });
    const big = randomBytes(11 * MiB);
    const multi = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'c.bin',
      size: big.length,
      content_type: 'application/octet-stream',
      sha256: sha256(big),
    });
    expect(multi.body.upload.parts).toHaveLength(3);
    const part = await fetch(multi.body.upload.parts[0].url, { method: 'PUT', body: big.subarray(0, 5 * MiB) });
    expect(part.status).toBe(200);

    // And a multipart upload no metadata knows of (a crash between starting it and recording the file).
    await h.store.startMultipart('files/0190f0a0-0000-7000-8000-00000000dead/multipart');

    expect(await h.store.list(`uploads/${uploaded.body.file_id}`)).toHaveLength(1);
    expect((await h.store.listIncompleteUploads('')).map((u) => u.key)).toContain(`files/${multi.body.file_id}/multipart`);

    const ids = [uploaded.body.file_id, empty.body.file_id, multi.body.file_id];
    await eventually(
      async () => {
        for (const id of ids) if ((await h.api('GET', `/v1/files/${id}`, alice)).status !== 404) return false;
        return true;
      },
      { what: 'abandoned uploads removed', timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(await h.store.list('')).toEqual([]);
    await eventually(async () => (await h.store.listIncompleteUploads('')).length === 0, {
      what: 'the unrecorded multipart upload aborted',
      timeoutMs: 10_000,
    });
    expect(await h.mongo.db.collection('files').countDocuments({ file_id: { $in: ids } })).toBe(0);
    // Completing one now finds nothing.
    expect((await h.api('POST', '/v1/files/complete', alice, { file_id: uploaded.body.file_id })).status).toBe(404);
    const metrics = await (await fetch(`${h.svc.url}/metrics`)).text();
    // The three above, and the expired one of the previous test.
    expect(metrics).toMatch(/files_housekeeping_removed_total\{[^}]*what="upload"[^}]*\} [34]\n/);
  });

  it('completed files are kept', async () => {
    const bytes = randomBytes(1000);
    const init = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'keep.txt',
      size: bytes.length,
      content_type: 'text/plain',
      sha256: sha256(bytes),
    });
    await uploadBytes(init.body, bytes);
    expect((await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id })).status).toBe(200);
    // Past the abandoned-upload time, several housekeeping passes later.
    await new Promise((r) => setTimeout(r, 5_000));
    const got = await h.api('GET', `/v1/files/${init.body.file_id}`, alice);
    expect(got.status).toBe(200);
    expect(sha256(Buffer.from(await (await fetch(got.body.download.url)).arrayBuffer()))).toBe(sha256(bytes));
  });
});
