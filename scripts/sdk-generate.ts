/**
 * Generates the @hub/sdk REST types from the services' OpenAPI documents,
 * built in-process from each app's own route registrations (no server,
 * no store: the apps are given inert dependencies that are never called).
 *
 *   npm run sdk:generate            writes packages/sdk/src/generated/
 *   node --import tsx scripts/sdk-generate.ts --check   exits 1 when the checked-in output differs
 *
 * The same merged document, completed (scripts/hub-openapi.ts), is the
 * gateway's: it is also written beside the frontend's API reference, with
 * the WebSocket protocol's AsyncAPI document (scripts/hub-asyncapi.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { z } from 'zod';
import pino from 'pino';
import openapiTS, { astToString } from 'openapi-typescript';
import { createFrontendApp, type FrontendDeps } from '../services/frontend/src/app';
import { frontendConfigSchema } from '../services/frontend/src/config';
import { createFilesApp } from '../services/files/src/app';
import { filesConfigSchema } from '../services/files/src/config';
import { createPresenceApp } from '../services/presence/src/app';
import { filesSchemas } from '../services/files/src/files.schemas';
import { ContentTypePolicy } from '../services/files/src/content-type-policy';
import { FRONTEND_OPENAPI_PATH } from '../services/frontend/src/api-reference/api-reference.routes';
import { REPO_ROOT } from '../test/support/stack-env';
import { completeHubDocument, presenceFallbackDocument, type OpenApiDoc } from './hub-openapi';
import { buildHubAsyncApi } from './hub-asyncapi';

export const GENERATED_DIR = join(REPO_ROOT, 'packages', 'sdk', 'src', 'generated');
export const SPEC_FILE = join(GENERATED_DIR, 'openapi.json');
export const TYPES_FILE = join(GENERATED_DIR, 'hub-api.ts');
/** The gateway's documents, served by the frontend (/openapi.json, /asyncapi.json). */
export const API_REFERENCE_DIR = join(REPO_ROOT, 'services', 'frontend', 'src', 'api-reference');
export const HUB_OPENAPI_FILE = join(API_REFERENCE_DIR, 'hub-openapi.json');
export const HUB_ASYNCAPI_FILE = join(API_REFERENCE_DIR, 'hub-asyncapi.json');

/**
 * A stand-in for a dependency that route registration may reference (a
 * middleware, a repository) but that building the document never calls:
 * every property is another inert value, and calling one throws.
 */
function inert(name: string, values: Record<string, unknown> = {}): never {
  const handler: ProxyHandler<() => void> = {
    get: (_t, prop) => {
      if (typeof prop === 'string' && Object.hasOwn(values, prop)) return values[prop];
      return prop === 'then' || typeof prop === 'symbol' ? undefined : inert(`${name}.${String(prop)}`);
    },
    apply: () => {
      throw new Error(`sdk-generate: ${name} was called while building the OpenAPI document`);
    },
  };
  return new Proxy(() => undefined, handler) as never;
}

async function documentOf(app: { request(path: string): Response | Promise<Response> }, path = '/openapi.json'): Promise<OpenApiDoc> {
  const res = await app.request(path);
  if (!res.ok) throw new Error(`/openapi.json answered ${res.status}`);
  return (await res.json()) as OpenApiDoc;
}

/**
 * The services' apps, built with inert dependencies: enough to serve their
 * documents and to list their routes (test/api-reference), never to answer
 * an operation.
 */
export function buildHubApps() {
  const logger = pino({ level: 'silent' });
  const base = () => ({ logger, registry: new Registry(), checks: [], isDraining: () => false });
  // Settings that documents state (body limits, quotas) come from the config's defaults.
  const f = frontendConfigSchema
    .pick({
      MAX_BODY_BYTES: true,
      LOGIN_MAX_ATTEMPTS_PER_IP: true,
      TRUST_PROXY: true,
      WEBHOOK_SECRET_GRACE_S: true,
      WEBHOOK_MAX_PER_CLIENT: true,
      UNKNOWN_MEMBER_LIMIT: true,
      TELEGRAM_WEBHOOK_MAX_BYTES: true,
    })
    .parse({});
  const frontendDeps: FrontendDeps = {
    ...base(),
    identity: inert('identity', {
      maxBodyBytes: f.MAX_BODY_BYTES,
      trustProxy: f.TRUST_PROXY,
      loginLimits: inert('identity.loginLimits', { maxAttemptsPerIp: f.LOGIN_MAX_ATTEMPTS_PER_IP }),
    }),
    webhooks: inert('webhooks', {
      maxBodyBytes: f.MAX_BODY_BYTES,
      defaultGraceMs: f.WEBHOOK_SECRET_GRACE_S * 1000,
      maxPerClient: f.WEBHOOK_MAX_PER_CLIENT,
    }),
    dlq: inert('dlq'),
    messages: inert('messages', {
      maxBodyBytes: f.MAX_BODY_BYTES,
      unknownMembers: inert('messages.unknownMembers', { limit: f.UNKNOWN_MEMBER_LIMIT }),
    }),
    telegram: inert('telegram', { maxWebhookBytes: f.TELEGRAM_WEBHOOK_MAX_BYTES, webhookSecret: 'x' }),
  };
  const frontend = createFrontendApp(frontendDeps);

  // The files API documents its limits; the defaults are what a generated client should state.
  // (A plain copy of the shape: pick() refuses schemas with cross-field refinements.)
  const c = z
    .object(filesConfigSchema.shape)
    .pick({
      FILES_MAX_SIZE_BYTES: true,
      FILES_MULTIPART_THRESHOLD_BYTES: true,
      FILES_PART_SIZE_BYTES: true,
      FILES_UPLOAD_URL_TTL_S: true,
      FILES_DOWNLOAD_URL_TTL_S: true,
      FILES_ALLOWED_CONTENT_TYPES: true,
      FILES_DENIED_CONTENT_TYPES: true,
    })
    .parse({});
  const schemas = filesSchemas(
    {
      maxSize: c.FILES_MAX_SIZE_BYTES,
      multipartThreshold: c.FILES_MULTIPART_THRESHOLD_BYTES,
      partSize: c.FILES_PART_SIZE_BYTES,
      uploadUrlTtlS: c.FILES_UPLOAD_URL_TTL_S,
      downloadUrlTtlS: c.FILES_DOWNLOAD_URL_TTL_S,
    },
    new ContentTypePolicy(c.FILES_ALLOWED_CONTENT_TYPES, c.FILES_DENIED_CONTENT_TYPES),
  );
  const files = createFilesApp({
    ...base(),
    service: inert('files.service'),
    schemas,
    authenticate: inert('files.authenticate'),
    maxBodyBytes: 1024 * 1024,
  });
  const presence = createPresenceApp({
    ...base(),
    presence: { authenticate: inert('presence.authenticate'), store: inert('presence.store'), members: inert('presence.members') },
  });
  return { frontend, files, presence };
}

/** Every service's document, merged into the gateway's one (served by the frontend at /openapi.json). */
export async function buildHubOpenApi(): Promise<OpenApiDoc> {
  const apps = buildHubApps();
  // The frontend serves the merged document at /openapi.json; its own is at FRONTEND_OPENAPI_PATH.
  const frontend = await documentOf(apps.frontend, FRONTEND_OPENAPI_PATH);
  const files = await documentOf(apps.files);
  // Presence documents its operation itself once its routes carry their OpenAPI entries; until then, the fallback.
  const presence = (await apps.presence.request('/openapi.json')).ok ? await documentOf(apps.presence) : presenceFallbackDocument();
  return completeHubDocument(mergeDocuments({ title: 'Messaging hub API', version: '1' }, [frontend, files, presence]));
}

/** Merges documents; the same path+method or component name defined differently in two of them is an error, not a silent overwrite. */
export function mergeDocuments(info: { title: string; version: string }, docs: OpenApiDoc[]): OpenApiDoc {
  const out: OpenApiDoc = { openapi: '3.1.0', info, servers: [{ url: '/' }], paths: {}, components: {} };
  for (const doc of docs) {
    for (const [path, ops] of Object.entries(doc.paths)) {
      const target = (out.paths[path] ??= {});
      for (const [method, op] of Object.entries(ops)) {
        if (method in target && JSON.stringify(target[method]) !== JSON.stringify(op))
          throw new Error(`sdk-generate: ${method.toUpperCase()} ${path} is defined differently in two documents`);
        target[method] = op;
      }
    }
    for (const [kind, entries] of Object.entries(doc.components ?? {})) {
      const target = (out.components![kind] ??= {});
      for (const [name, value] of Object.entries(entries)) {
        if (name in target && JSON.stringify(target[name]) !== JSON.stringify(value))
          throw new Error(`sdk-generate: components.${kind}.${name} is defined differently in two documents`);
        target[name] = value;
      }
    }
  }
  out.paths = Object.fromEntries(Object.entries(out.paths).sort(([a], [b]) => a.localeCompare(b)));
  return out;
}

const HEADER =
  "// Generated by scripts/sdk-generate.ts from the services' OpenAPI documents (openapi-typescript). Do not edit: run `npm run sdk:generate`.\n\n";

/** The generated files' contents: the merged document, its TypeScript types and the WebSocket protocol's AsyncAPI document. */
export async function renderGenerated(): Promise<{ spec: string; types: string; asyncapi: string }> {
  const doc = await buildHubOpenApi();
  const spec = `${JSON.stringify(doc, null, 2)}\n`;
  const ast = await openapiTS(doc as never, {
    alphabetize: true, // A field with a default is optional to send (the server fills it in).
    defaultNonNullable: false,
  });
  return { spec, types: HEADER + astToString(ast), asyncapi: `${JSON.stringify(buildHubAsyncApi(), null, 2)}\n` };
}

/** Names the generated files that differ from what the services document now (empty when up to date). */
export async function staleGeneratedFiles(): Promise<string[]> {
  const { spec, types, asyncapi } = await renderGenerated();
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  return [
    [SPEC_FILE, spec],
    [TYPES_FILE, types],
    [HUB_OPENAPI_FILE, spec],
    [HUB_ASYNCAPI_FILE, asyncapi],
  ]
    .filter(([file, content]) => read(file!) !== content)
    .map(([file]) => file!);
}

async function main(): Promise<void> {
  if (process.argv.includes('--check')) {
    const stale = await staleGeneratedFiles();
    if (stale.length) {
      console.error(`sdk: generated files are out of date (${stale.join(', ')}): run \`npm run sdk:generate\``);
      process.exit(1);
    }
    console.log('sdk: generated files are up to date');
    return;
  }
  const { spec, types, asyncapi } = await renderGenerated();
  writeFileSync(SPEC_FILE, spec);
  writeFileSync(TYPES_FILE, types);
  writeFileSync(HUB_OPENAPI_FILE, spec);
  writeFileSync(HUB_ASYNCAPI_FILE, asyncapi);
  console.log(`sdk: wrote ${SPEC_FILE}, ${TYPES_FILE}, ${HUB_OPENAPI_FILE} and ${HUB_ASYNCAPI_FILE}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
