import { describe, expect, it } from 'vitest';
import type { FileCatalog, FileView } from '@hub/domain';
import { ProblemError } from '@hub/platform';
import { resolveMessageFile } from './message-file';

const files = new Map<string, FileView>([
  ['f-done', { file_id: 'f-done', filename: 'a.pdf', size: 3, content_type: 'application/pdf', sha256: 'a'.repeat(64), status: 'completed', conversation_id: 'c1', uploaded_by: 'user:alice' }],
  ['f-busy', { file_id: 'f-busy', filename: 'b.pdf', size: 3, content_type: 'application/pdf', sha256: 'b'.repeat(64), status: 'uploading', conversation_id: 'c1', uploaded_by: 'user:alice' }],
]);
const catalog: FileCatalog = { getFile: async (id) => files.get(id) };

describe('resolveMessageFile', () => {
  it('gives the file details a message carries, without storage or ownership fields', async () => {
    expect(await resolveMessageFile(catalog, 'c1', 'f-done')).toEqual({ file_id: 'f-done', filename: 'a.pdf', size: 3, content_type: 'application/pdf', sha256: 'a'.repeat(64) });
  });

  it('refuses with a 422 naming payload.file_id', async () => {
    for (const [conversation, id, why] of [
      ['c1', 'f-busy', /uploading/],
      ['c2', 'f-done', /no such file/],
      ['c1', 'f-none', /no such file/],
    ] as const) {
      const err = await resolveMessageFile(catalog, conversation, id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProblemError);
      expect((err as ProblemError).status).toBe(422);
      expect((err as ProblemError).options.errors?.[0]).toMatchObject({ field: 'payload.file_id', message: expect.stringMatching(why) });
    }
  });
});
