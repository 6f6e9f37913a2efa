/**
 * Bundles each service's main.ts into dist/<service>.mjs for the container
 * image (Dockerfile, build stage), so the image runs plain `node` on
 * JavaScript and needs no dev dependency (tsx, TypeScript) at run time.
 * The hub's own workspaces (@hub/*) are compiled into the bundle, because
 * their package.json files point at TypeScript sources; every other package
 * stays an import resolved from node_modules, which the image installs with
 * `npm ci --omit=dev` (native addons and packages that read their own files
 * keep working that way). Also writes dist/hub.mjs (picks the service) and
 * dist/healthcheck.mjs (the image's HEALTHCHECK).
 *
 *   node --import tsx scripts/bundle-services.ts [outdir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const BUNDLED_SERVICES = ['frontend', 'router', 'presence', 'files'] as const;

/** Listen-port variable and default of each service, as in its config.ts. */
const PORTS: Record<(typeof BUNDLED_SERVICES)[number], { variable: string; port: number }> = {
  frontend: { variable: 'FRONTEND_PORT', port: 8081 },
  router: { variable: 'ROUTER_PORT', port: 8082 },
  presence: { variable: 'PRESENCE_PORT', port: 8083 },
  files: { variable: 'FILES_PORT', port: 8084 },
};

/** Bare imports other than the hub's own workspaces stay external (resolved from node_modules at run time). */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@hub/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

// Chooses the service by the first argument or SERVICE, then imports it in
// this process, so node stays PID 1 and receives SIGTERM itself (the
// services drain on it: packages/platform/src/lifecycle.ts).
const ENTRY = `const services = ${JSON.stringify(BUNDLED_SERVICES)};
const service = process.argv[2] ?? process.env.SERVICE;
if (!services.includes(service)) {
  process.stderr.write(\`hub: name the service to run (argument or SERVICE): one of \${services.join(', ')}; got \${JSON.stringify(service ?? null)}\\n\`);
  process.exit(64);
}
await import(\`./\${service}.mjs\`);
`;

// Asks the running service's /health/ready on loopback; exit 0 only on 200.
// The service is the one PID 1 runs (named on its command line, also under
// an init such as tini), else SERVICE.
const HEALTHCHECK = `import { readFileSync } from 'node:fs';
const ports = ${JSON.stringify(PORTS)};
let args = [];
try { args = readFileSync('/proc/1/cmdline', 'utf8').split('\\0'); } catch {}
const named = args.slice(args.findIndex((a) => a.endsWith('hub.mjs')) + 1).find((a) => Object.hasOwn(ports, a));
const service = process.argv[2] ?? named ?? process.env.SERVICE;
const p = ports[service];
if (!p) { process.stderr.write('healthcheck: unknown service\\n'); process.exit(2); }
const port = Number(process.env[p.variable] ?? p.port);
try {
  const res = await fetch(\`http://127.0.0.1:\${port}/health/ready\`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  process.stderr.write(\`healthcheck: \${err.message}\\n\`);
  process.exit(1);
}
`;

export async function bundleServices(outdir: string): Promise<void> {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(BUNDLED_SERVICES.map((s) => [s, join(REPO_ROOT, 'services', s, 'src', 'main.ts')])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // One copy of each shared workspace module per service file, not chunks shared between them.
    splitting: false,
    plugins: [externalPackages],
    logLevel: 'warning',
  });
  writeFileSync(join(outdir, 'hub.mjs'), ENTRY);
  writeFileSync(join(outdir, 'healthcheck.mjs'), HEALTHCHECK);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bundleServices(resolve(process.argv[2] ?? join(REPO_ROOT, 'dist')));
}
