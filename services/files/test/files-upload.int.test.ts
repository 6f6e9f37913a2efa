import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/spawn-service';
import { sha256, startFilesHarness, uploadBytes, type FilesHarness, type InitiatedUpload } from './files-harness';

const MiB = 1024 * 1024;

describe('files API: uploads and downloads through presigned URLs (real S3 server)', () => {
  let h: FilesHarness;
  let alice: string;

  beforeAll(async () => {
    // Housekeeping every half second so the stray-object sweep is observable; abandoned uploads keep the default 24 h.
    h = await startFilesHarness({ FILES_HOUSEKEEPING_INTERVAL_MS: '500' });
    alice = await h.userToken('alice');
  });
  afterAll(() => h?.close());

  it('single PUT: initiate, upload, complete; the download returns the same bytes under the original name', async () => {
    const bytes = randomBytes(300 * 1024 + 7);
    const init = await h.api<InitiatedUpload & Record<string, any>>('POST', '/v1/files/initiate', alice, {
      filename: 'Quarterly report.pdf',
      size: bytes.length,
      content_type: 'application/pdf',
      sha256: sha256(bytes).toUpperCase(),
    });
    expect(init.status).toBe(201);
    expect(init.headers.get('location')).toBe(`/v1/files/${init.body.file_id}`);
    expect(init.body).toMatchObject({
      status: 'uploading',
      filename: 'Quarterly report.pdf',
      size: bytes.length,
      sha256: sha256(bytes),
      uploaded_by: 'user:alice',
      upload: { mode: 'single', method: 'PUT' },
    });
    const expiresIn = Date.parse(init.body.upload.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(14 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);

    // Not downloadable before it is completed.
    const early = await h.api('GET', `/v1/files/${init.body.file_id}`, alice);
    expect(early.status).toBe(200);
    expect(early.body.status).toBe('uploading');
    expect(early.body.download).toBeUndefined();

    await uploadBytes(init.body, bytes);
    const done = await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ file_id: init.body.file_id, status: 'completed', size: bytes.length });
    expect(done.body.completed_at).toBeTruthy();

    const got = await h.api('GET', `/v1/files/${init.body.file_id}`, alice);
    expect(got.status).toBe(200);
    expect(got.body.status).toBe('completed');
    const expiresGet = Date.parse(got.body.download.expires_at) - Date.now();
    expect(expiresGet).toBeGreaterThan(59 * 60_000);
    expect(expiresGet).toBeLessThanOrEqual(60 * 60_000);
    const dl = await fetch(got.body.download.url);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-disposition')).toContain('filename="Quarterly report.pdf"');
    expect(dl.headers.get('content-type')).toBe('application/pdf');
    expect(sha256(Buffer.from(await dl.arrayBuffer()))).toBe(sha256(bytes));

    const event = await eventually(() => h.events.find((e) => e.payload.file_id === init.body.file_id), {
      what: 'FileEvent',
      timeoutMs: 20_000,
    });
    expect(event.type).toBe('file.completed');
    expect(event.payload).toMatchObject({
      status: 'completed',
      filename: 'Quarterly report.pdf',
      size: bytes.length,
      content_type: 'application/pdf',
      sha256: sha256(bytes),
      uploaded_by: 'user:alice',
    });
  });

  it('multipart: a 70 MiB file is uploaded in parallel parts through presigned part URLs and completes verified', async () => {
    const bytes = randomBytes(70 * MiB + 12_345);
    const init = await h.api<InitiatedUpload & Record<string, any>>('POST', '/v1/files/initiate', alice, {
      filename: 'big.bin',
      size: bytes.length,
      content_type: 'application/octet-stream',
      sha256: sha256(bytes),
    });
    expect(init.status).toBe(201);
    expect(init.body.upload.mode).toBe('multipart');
    if (init.body.upload.mode !== 'multipart') return;
    expect(init.body.upload.part_size).toBe(16 * MiB);
    expect(init.body.upload.parts.map((p) => p.part_number)).toEqual([1, 2, 3, 4, 5]);
    expect(init.body.upload.parts.reduce((n, p) => n + p.size, 0)).toBe(bytes.length);

    const parts = await uploadBytes(init.body, bytes);
    // Listed out of order on purpose: the service sorts them.
    const done = await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id, parts: [...parts!].reverse() });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('completed');

    const got = await h.api('GET', `/v1/files/${init.body.file_id}`, alice);
    const dl = await fetch(got.body.download.url);
    expect(sha256(Buffer.from(await dl.arrayBuffer()))).toBe(sha256(bytes));
    // No multipart upload is left open on the server.
    expect(await h.store.listIncompleteUploads('')).toEqual([]);
  });

  it('completing twice answers the same and publishes one FileEvent', async () => {
    const bytes = randomBytes(10_000);
    const init = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'twice.txt',
      size: bytes.length,
      content_type: 'text/plain',
      sha256: sha256(bytes),
    });
    await uploadBytes(init.body, bytes);
    const first = await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id });
    const second = await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    await eventually(() => h.events.some((e) => e.payload.file_id === init.body.file_id), { what: 'FileEvent', timeoutMs: 20_000 });
    // Give a duplicate time to show up.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(h.events.filter((e) => e.payload.file_id === init.body.file_id)).toHaveLength(1);
  });

  it('concurrent completes of one upload agree, and leave exactly one stored object', async () => {
    const bytes = randomBytes(200_000);
    const init = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'race.bin',
      size: bytes.length,
      content_type: 'application/octet-stream',
      sha256: sha256(bytes),
    });
    await uploadBytes(init.body, bytes);
    const results = await Promise.all([1, 2, 3].map(() => h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(results.map((r) => r.body.completed_at)).size).toBe(1);
    await eventually(
      async () =>
        (await h.store.list(`files/${init.body.file_id}/`)).length === 1 &&
        (await h.store.list(`uploads/${init.body.file_id}`)).length === 0,
      {
        what: 'one stored object for the file',
      },
    );
  });

  it("members of the file's conversation may download it; anyone else gets 404", async () => {
    const conversation = await h.addConversation(['alice', 'bob']);
    const bytes = randomBytes(4096);
    const init = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'shared.png',
      size: bytes.length,
      content_type: 'image/png',
      sha256: sha256(bytes),
      conversation_id: conversation,
    });
    expect(init.status).toBe(201);
    expect(init.body.conversation_id).toBe(conversation);
    await uploadBytes(init.body, bytes);
    expect((await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id })).status).toBe(200);

    const bob = await h.api('GET', `/v1/files/${init.body.file_id}`, await h.userToken('bob'));
    expect(bob.status).toBe(200);
    expect(sha256(Buffer.from(await (await fetch(bob.body.download.url)).arrayBuffer()))).toBe(sha256(bytes));

    const mallory = await h.api('GET', `/v1/files/${init.body.file_id}`, await h.userToken('mallory'));
    expect(mallory.status).toBe(404);
    expect(mallory.headers.get('content-type')).toContain('application/problem+json');
    expect(mallory.body.detail).toContain('not found');
    // The same answer as for a file that does not exist: nothing tells them it does.
    const none = await h.api('GET', '/v1/files/0190f0a0-0000-7000-8000-000000000000', await h.userToken('mallory'));
    expect(none.status).toBe(404);
    expect(none.body.detail.replace('0190f0a0-0000-7000-8000-000000000000', init.body.file_id)).toBe(mallory.body.detail);
  });

  it('a client re-using its upload URL after completion cannot change what is served; the stray object is swept', async () => {
    const bytes = randomBytes(50_000);
    const init = await h.api('POST', '/v1/files/initiate', alice, {
      filename: 'stable.bin',
      size: bytes.length,
      content_type: 'application/octet-stream',
      sha256: sha256(bytes),
    });
    await uploadBytes(init.body, bytes);
    expect((await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id })).status).toBe(200);
    // The URL is valid for 15 minutes; the client writes something else with it.
    expect((await fetch(init.body.upload.url, { method: 'PUT', body: 'something else entirely' })).status).toBe(200);
    const got = await h.api('GET', `/v1/files/${init.body.file_id}`, alice);
    expect(sha256(Buffer.from(await (await fetch(got.body.download.url)).arrayBuffer()))).toBe(sha256(bytes));
    await eventually(async () => (await h.store.list(`uploads/${init.body.file_id}`)).length === 0, {
      what: 'stray upload object removed',
      timeoutMs: 15_000,
    });
  });

  it('serves its OpenAPI document with the files operations and their limits', async () => {
    const doc = await h.api('GET', '/openapi.json', undefined);
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/files/initiate', '/v1/files/complete', '/v1/files/{file_id}']),
    );
    expect(doc.body.components.schemas.FileInitiateRequest.properties.size.maximum).toBe(100 * MiB);
  });

  it('exports upload metrics', async () => {
    const text = await (await fetch(`${h.svc.url}/metrics`)).text();
    expect(text).toMatch(/files_initiated_total\{[^}]*mode="multipart"[^}]*\} 1/);
    expect(text).toMatch(/files_completed_total\{[^}]*outcome="completed"[^}]*\} [1-9]/);
    expect(text).toMatch(/files_verified_bytes_total\{[^}]*\} [1-9]/);
  });
});
