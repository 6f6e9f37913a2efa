import type { Context, MiddlewareHandler } from 'hono';
import {
  problemResponses,
  ProblemError,
  readJson,
  requireScope,
  validationProblem,
  RouteGroup,
  type AuthVariables,
  type HubEnv,
  type OpenAPIRegistry,
} from '@hub/platform';
import type { Principal } from '@hub/domain';
import type { FileService } from './file-service';
import type { FilesSchemas } from './files.schemas';
import { unavailableOnOutage } from './outage';

export interface FilesRoutesDeps {
  service: FileService;
  schemas: FilesSchemas;
  /** Authenticates the caller and sets `principal` (and applies rate limits, where the stack has them). */
  authenticate: MiddlewareHandler;
  maxBodyBytes: number;
}

const security = [{ bearer: [] }];

/** `/v1/files`, with each operation's entry in the service's OpenAPI registry. */
export function filesRoutes(d: FilesRoutesDeps, openapi: OpenAPIRegistry): RouteGroup<HubEnv> {
  const { schemas: s, service } = d;
  const principal = (c: Context) => (c.get('principal') as AuthVariables['principal'] | undefined) ?? missingPrincipal();
  const routes = new RouteGroup<HubEnv>(openapi, '/v1/files');
  routes.app.use('*', d.authenticate);

  routes.route({
    method: 'post',
    path: '/initiate',
    tags: ['files'],
    summary: 'Start an upload',
    description:
      'Records the file as `uploading` and returns presigned URLs: one PUT for files up to the multipart threshold, else one PUT per part. The client uploads straight to object storage, then calls complete. Needs the `files:write` scope. With `conversation_id`, an end user must be a member of that conversation.',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: s.InitiateRequest } } } },
    responses: {
      201: { description: 'Upload started', content: { 'application/json': { schema: s.InitiateResponse } } },
      ...problemResponses(400, 401, 403, 404, 413, 415, 429, 503),
    },
    use: [requireScope('files:write') as MiddlewareHandler],
    handler: async (c) => {
      const body = await readJson(c, s.InitiateRequest, { limitBytes: d.maxBodyBytes });
      const { file, upload } = await unavailableOnOutage(() => service.initiate(principal(c), body));
      c.header('Location', `/v1/files/${file.file_id}`);
      return c.json({ ...file, upload }, 201);
    },
  });

  routes.route({
    method: 'post',
    path: '/complete',
    tags: ['files'],
    summary: 'Finish an upload',
    description:
      'Assembles a multipart upload, then verifies the stored object against the declared size and SHA-256. On success the file is `completed` and a `file.completed` FileEvent is published on hub.files.v1; on a mismatch it is `failed` (422), and its object is removed. Idempotent: completing again answers with the same outcome. Only the uploader may complete. 409 when nothing was uploaded yet.',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: s.CompleteRequest } } } },
    responses: {
      200: { description: 'Completed (also when it already was)', content: { 'application/json': { schema: s.FileResource } } },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
      422: {
        description: 'The upload does not match its declared size or SHA-256; the file is failed and its object removed',
        content: { 'application/problem+json': { schema: s.VerificationProblem } },
      },
    },
    use: [requireScope('files:write') as MiddlewareHandler],
    handler: async (c) => {
      const body = await readJson(c, s.CompleteRequest, { limitBytes: d.maxBodyBytes });
      return c.json(await unavailableOnOutage(() => service.complete(principal(c), body.file_id, body.parts)));
    },
  });

  routes.route({
    method: 'get',
    path: '/{file_id}',
    tags: ['files'],
    summary: 'File metadata and a download URL',
    description:
      "For the uploader and for members of the file's conversation; anyone else gets 404. Completed files carry a presigned download URL served with the original filename as Content-Disposition.",
    security,
    request: { params: s.FileIdParams },
    responses: {
      200: { description: 'The file', content: { 'application/json': { schema: s.DownloadResource } } },
      ...problemResponses(400, 401, 404, 429, 503),
    },
    handler: async (c) => {
      const params = s.FileIdParams.safeParse(c.req.param());
      if (!params.success) throw validationProblem(params.error, 'path');
      return c.json(await unavailableOnOutage(() => service.get(principal(c), params.data.file_id)));
    },
  });
  return routes;
}

function missingPrincipal(): Principal {
  throw new ProblemError('unauthorized');
}
