import { createReadStream, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from '../packages/platform/src/http/security-headers';

/**
 * The web client's files (web/dist, built by scripts/build-web.sh), served
 * by the local gateway at `/` as the production gateway serves them
 * (deploy/gateway, docs/gateway.md). Only what the build wrote is served:
 * the normalised path is joined under the root and must stay inside it.
 */

/**
 * Only the page's own origin: scripts, styles, images (blob: for previews
 * of files being sent) and connections (REST, `ws:`/`wss:` for /v1/ws on the
 * same host). No CDN, no external font, no inline script.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** Paths the API owns: never answered from the web client's files, even when missing there. */
export function isWebPath(path: string): boolean {
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  return !under('/v1') && !under('/docs') && path !== '/openapi.json' && !under('/health') && !under('/metrics');
}

/** Vite names built assets `name-<hash>.ext` under /assets/: their content never changes under that name. */
function isHashedAsset(path: string): boolean {
  return path.startsWith('/assets/') && /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(path);
}

/**
 * Answers a GET/HEAD for a web path: the file, or index.html for a path
 * without a file extension (the app's own routes, a single-page fallback);
 * a missing file with an extension is 404. Other methods get 405.
 */
export function serveWeb(root: string, path: string, req: IncomingMessage, res: ServerResponse): void {
  const base = { ...SECURITY_HEADERS, 'content-security-policy': WEB_CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD', 'content-type': 'application/problem+json' });
    res.end(
      JSON.stringify({
        type: 'https://hub.example/problems/method-not-allowed',
        title: 'Method not allowed',
        status: 405,
        detail: `${req.method} is not allowed on the web client's files; use GET or HEAD`,
      }),
    );
    return;
  }
  const rootDir = resolve(root);
  let file = resolve(join(rootDir, path));
  if (file !== rootDir && !file.startsWith(rootDir + sep)) return notFound(res, path);
  let stat = statOrUndefined(file);
  if (stat?.isDirectory()) {
    file = join(file, 'index.html');
    stat = statOrUndefined(file);
  }
  if (!stat?.isFile()) {
    if (extname(path) !== '') return notFound(res, path);
    file = join(rootDir, 'index.html');
    stat = statOrUndefined(file);
    if (!stat?.isFile()) return notFound(res, path, 'the web client is not built (run scripts/build-web.sh)');
  }
  const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const cache = file.endsWith('index.html')
    ? 'no-cache'
    : isHashedAsset(path)
      ? 'public, max-age=31536000, immutable'
      : 'public, max-age=300';
  res.writeHead(200, {
    ...base,
    'content-type': type,
    'content-length': String(stat.size),
    'cache-control': cache,
    'last-modified': stat.mtime.toUTCString(),
  });
  if (req.method === 'HEAD') return void res.end();
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function statOrUndefined(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function notFound(res: ServerResponse, path: string, why = 'no such file in the web client'): void {
  res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'https://hub.example/problems/not-found', title: 'Not found', status: 404, detail: `${path}: ${why}` }));
}
