import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, startFilesHarness, uploadBytes, type ApiResponse, type FilesHarness } from './files-harness';

const MiB = 1024 * 1024;

/** A problem+json answer with this status whose `errors` (or detail) names the field. */
function expectProblem(res: ApiResponse, status: number, field?: string, message?: RegExp): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({
    status,
    type: expect.stringMatching(/^https:\/\//),
    title: expect.any(String),
    detail: expect.any(String),
  });
  if (field)
    expect(
      res.body.errors?.map((e: { field: string }) => e.field),
      JSON.stringify(res.body),
    ).toContain(field);
  if (message) expect(JSON.stringify(res.body)).toMatch(message);
}

describe('files API: bad input, integrity failures and access (real S3 server)', () => {
  let h: FilesHarness;
  let alice: string;
  const good = () => {
    const bytes = randomBytes(2048);
    return { bytes, body: { filename: 'ok.txt', size: bytes.length, content_type: 'text/plain', sha256: sha256(bytes) } };
  };

  beforeAll(async () => {
    h = await startFilesHarness();
    alice = await h.userToken('alice');
  });
  afterAll(() => h?.close());

  describe('initiate refuses bad input with a problem naming the field', () => {
    const cases: Array<[string, (b: Record<string, unknown>) => unknown, string, RegExp]> = [
      ['negative size', (b) => ({ ...b, size: -1 }), 'size', /must not be negative/],
      ['huge size', (b) => ({ ...b, size: 5 * 1024 * MiB }), 'size', /at most 104857600 bytes/],
      ['fractional size', (b) => ({ ...b, size: 10.5 }), 'size', /whole number/],
      ['size as a string', (b) => ({ ...b, size: '100' }), 'size', /number/],
      ['missing checksum', ({ sha256: _, ...b }) => b, 'sha256', /sha256/],
      ['checksum of the wrong length', (b) => ({ ...b, sha256: 'ab'.repeat(31) }), 'sha256', /64 hexadecimal/],
      ['checksum that is not hex', (b) => ({ ...b, sha256: 'zz'.repeat(32) }), 'sha256', /64 hexadecimal/],
      ['disallowed content type', (b) => ({ ...b, content_type: 'application/x-msdownload' }), 'content_type', /not accepted/],
      ['content type that is not a media type', (b) => ({ ...b, content_type: 'text' }), 'content_type', /media type/],
      ['path traversal in the filename', (b) => ({ ...b, filename: '../../etc/passwd' }), 'filename', /not a path/],
      ['a Windows path as the filename', (b) => ({ ...b, filename: 'C:\\Windows\\evil.exe' }), 'filename', /not a path/],
      ['control characters in the filename', (b) => ({ ...b, filename: 'a\u0007b.txt' }), 'filename', /control characters/],
      ['empty filename', (b) => ({ ...b, filename: '   ' }), 'filename', /empty/],
      ['conversation id that is not a UUID', (b) => ({ ...b, conversation_id: 'general' }), 'conversation_id', /UUID/],
      ['an unknown field', (b) => ({ ...b, path: '/tmp' }), 'path', /unknown field/],
    ];
    for (const [name, mutate, field, message] of cases) {
      it(name, async () => {
        expectProblem(await h.api('POST', '/v1/files/initiate', alice, mutate(good().body)), 400, field, message);
      });
    }

    it('a body that is not JSON, or not declared as JSON', async () => {
      expectProblem(await h.api('POST', '/v1/files/initiate', alice, '{"filename": '), 400, undefined, /not valid JSON/);
      const res = await fetch(`${h.svc.url}/v1/files/initiate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'text/plain' },
        body: JSON.stringify(good().body),
      });
      expect(res.status).toBe(415);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    });

    it('a conversation the user is not a member of', async () => {
      const conversation = await h.addConversation(['bob', 'carol']);
      expectProblem(
        await h.api('POST', '/v1/files/initiate', alice, { ...good().body, conversation_id: conversation }),
        404,
        'conversation_id',
        /not found/,
      );
    });
  });

  describe('authentication and scopes', () => {
    it('no token: 401', async () => {
      expectProblem(await h.api('POST', '/v1/files/initiate', undefined, good().body), 401);
      expectProblem(await h.api('GET', '/v1/files/0190f0a0-0000-7000-8000-000000000000', undefined), 401);
    });
    it('a token signed with another key: 401', async () => {
      const [head, payload] = alice.split('.');
      expectProblem(await h.api('POST', '/v1/files/initiate', `${head}.${payload}.${'A'.repeat(43)}`, good().body), 401);
    });
    it('a token without files:write may not upload: 403', async () => {
      const readOnly = await h.userToken('alice', ['messages:read']);
      expectProblem(await h.api('POST', '/v1/files/initiate', readOnly, good().body), 403, undefined, /files:write/);
      expectProblem(
        await h.api('POST', '/v1/files/complete', readOnly, { file_id: '0190f0a0-0000-7000-8000-000000000000' }),
        403,
        undefined,
        /files:write/,
      );
    });
  });

  describe('complete', () => {
    it('wrong checksum: the file fails, its object is removed, and completing again says the same', async () => {
      const { bytes, body } = good();
      const init = await h.api('POST', '/v1/files/initiate', alice, { ...body, sha256: sha256(Buffer.from('something else')) });
      await uploadBytes(init.body, bytes);
      expect(await h.store.list(`uploads/${init.body.file_id}`)).toHaveLength(1);
      const res = await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id });
      expectProblem(res, 422, undefined, /SHA-256/);
      expect(res.body).toMatchObject({ file_id: init.body.file_id, file_status: 'failed', reason: 'checksum_mismatch' });
      expect(await h.store.list(`uploads/${init.body.file_id}`)).toEqual([]);
      expect(await h.store.list(`files/${init.body.file_id}/`)).toEqual([]);
      const again = await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id });
      expect(again.status).toBe(422);
      expect(again.body.reason).toBe('checksum_mismatch');
      const meta = await h.api('GET', `/v1/files/${init.body.file_id}`, alice);
      expect(meta.body).toMatchObject({ status: 'failed', failure: { reason: 'checksum_mismatch' } });
      expect(meta.body.download).toBeUndefined();
      expect(h.events.some((e) => e.payload.file_id === init.body.file_id)).toBe(false);
    });

    it('wrong size: the file fails with size_mismatch and its object is removed', async () => {
      const { bytes, body } = good();
      const init = await h.api('POST', '/v1/files/initiate', alice, { ...body, size: bytes.length + 1 });
      await uploadBytes(init.body, bytes);
      const res = await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id });
      expectProblem(res, 422, undefined, new RegExp(`declared ${bytes.length + 1} bytes.*has ${bytes.length}`));
      expect(res.body.reason).toBe('size_mismatch');
      expect(await h.store.list(`uploads/${init.body.file_id}`)).toEqual([]);
    });

    it('before anything was uploaded: 409, and the upload can still be finished', async () => {
      const { bytes, body } = good();
      const init = await h.api('POST', '/v1/files/initiate', alice, body);
      expectProblem(
        await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id }),
        409,
        undefined,
        /nothing has been uploaded/,
      );
      await uploadBytes(init.body, bytes);
      expect((await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id })).status).toBe(200);
    });

    it('an unknown file id: 404; a malformed one: 400', async () => {
      expectProblem(await h.api('POST', '/v1/files/complete', alice, { file_id: '0190f0a0-0000-7000-8000-000000000000' }), 404, 'file_id');
      expectProblem(await h.api('POST', '/v1/files/complete', alice, { file_id: 'nope' }), 400, 'file_id', /UUID/);
      expectProblem(await h.api('GET', '/v1/files/0190f0a0-0000-7000-8000-000000000000', alice), 404);
      expectProblem(await h.api('GET', '/v1/files/nope', alice), 400, 'file_id', /UUID/);
    });

    it("someone else's upload: 404, and it stays theirs to finish", async () => {
      const { bytes, body } = good();
      const init = await h.api('POST', '/v1/files/initiate', alice, body);
      await uploadBytes(init.body, bytes);
      expectProblem(
        await h.api('POST', '/v1/files/complete', await h.userToken('mallory'), { file_id: init.body.file_id }),
        404,
        'file_id',
        /only the uploader/,
      );
      expect((await h.api('GET', `/v1/files/${init.body.file_id}`, alice)).body.status).toBe('uploading');
      expect((await h.api('POST', '/v1/files/complete', alice, { file_id: init.body.file_id })).status).toBe(200);
    });

    it('parts are refused for a single PUT, required and checked for multipart', async () => {
      const { bytes, body } = good();
      const single = await h.api('POST', '/v1/files/initiate', alice, body);
      await uploadBytes(single.body, bytes);
      expectProblem(
        await h.api('POST', '/v1/files/complete', alice, { file_id: single.body.file_id, parts: [{ part_number: 1, etag: 'x' }] }),
        400,
        'parts',
        /only for multipart/,
      );

      const size = 65 * MiB;
      const multi = await h.api('POST', '/v1/files/initiate', alice, {
        filename: 'm.bin',
        size,
        content_type: 'application/octet-stream',
        sha256: 'a'.repeat(64),
      });
      expect(multi.body.upload.parts).toHaveLength(5);
      expectProblem(await h.api('POST', '/v1/files/complete', alice, { file_id: multi.body.file_id }), 400, 'parts', /required/);
      expectProblem(
        await h.api('POST', '/v1/files/complete', alice, { file_id: multi.body.file_id, parts: [{ part_number: 1, etag: 'x' }] }),
        400,
        'parts',
        /1\.\.5/,
      );
      const bogus = [1, 2, 3, 4, 5].map((n) => ({ part_number: n, etag: `"${'0'.repeat(32)}"` }));
      expectProblem(
        await h.api('POST', '/v1/files/complete', alice, { file_id: multi.body.file_id, parts: bogus }),
        400,
        'parts',
        /InvalidPart/,
      );
      expectProblem(
        await h.api('POST', '/v1/files/complete', alice, { file_id: multi.body.file_id, parts: [{ part_number: 0, etag: 'x' }] }),
        400,
        'parts.0.part_number',
      );
      // Still uploading: the client can fix its list and retry.
      expect((await h.api('GET', `/v1/files/${multi.body.file_id}`, alice)).body.status).toBe('uploading');
    });
  });

  it('leaves no orphan objects: what is stored is exactly the completed files plus uploads still in progress', async () => {
    const files = await h.mongo.db
      .collection('files')
      .find({}, { projection: { _id: 0 } })
      .toArray();
    const expected = new Set<string>();
    for (const f of files) {
      if (f.status === 'completed') expected.add(f.object_key as string);
      if (f.status === 'uploading' && f.upload.mode === 'single') {
        // Uploads in progress keep what the client PUT (if it did).
        for (const key of await h.store.list(f.upload.key as string)) expected.add(key);
      }
    }
    expect(files.some((f) => f.status === 'completed')).toBe(true);
    expect(files.some((f) => f.status === 'failed')).toBe(true);
    expect(new Set(await h.store.list(''))).toEqual(expected);
    const openUploads = files
      .filter((f) => f.status === 'uploading' && f.upload.mode === 'multipart')
      .map((f) => f.upload.upload_id as string);
    expect((await h.store.listIncompleteUploads('')).map((u) => u.uploadId).sort()).toEqual(openUploads.sort());
  });
});
