import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { compareRoutesWithDocument } from '@hub/platform';
import { createFilesApp } from './app';
import { ContentTypePolicy } from './content-type-policy';
import type { FileService } from './file-service';
import { filesSchemas } from './files.schemas';

/** Served without an OpenAPI entry on purpose: probes, metrics and the document itself. */
const NOT_IN_DOCUMENT = ['/health/live', '/health/ready', '/metrics', '/openapi.json'];

describe('files OpenAPI document', () => {
  it('documents every operation the app serves, and nothing it does not serve', async () => {
    // The app is only built and its router table listed; no route is called, so the service is never used.
    const app = createFilesApp({
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      checks: [],
      isDraining: () => false,
      service: {} as FileService,
      schemas: filesSchemas(
        { maxSize: 1 << 30, multipartThreshold: 1 << 24, partSize: 1 << 23, uploadUrlTtlS: 900, downloadUrlTtlS: 300 },
        new ContentTypePolicy(['*/*'], []),
      ),
      authenticate: () => {
        throw new Error('no request is made while listing routes');
      },
      maxBodyBytes: 65_536,
    });
    const document = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, object> };
    const { undocumented, notServed } = compareRoutesWithDocument(app, document, NOT_IN_DOCUMENT);
    expect(undocumented, 'served but missing from /openapi.json').toEqual([]);
    expect(notServed, 'in /openapi.json but not served').toEqual([]);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/files/initiate', '/v1/files/complete', '/v1/files/{file_id}']),
    );
  });
});
