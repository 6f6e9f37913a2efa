import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_SERVICES } from '../../scripts/bundle-services';
import { REPO_ROOT } from '../support/stack-env';

interface Stage {
  name: string;
  lines: string[];
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), per stage. */
function stages(text: string): Stage[] {
  const joined = text.replace(/\\\n(\s*#.*\n)*/g, ' ');
  const out: Stage[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ name: from[1] ?? `stage${out.length}`, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

// The image installs dependencies from the workspaces' package.json files
// before the sources are copied (so that layer is cached). A workspace left
// out of that list makes `npm ci` fail or install a different tree than
// package-lock.json describes: the defect of issue 18.
describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const all = stages(dockerfile);
  const stage = (name: string) => {
    const s = all.find((x) => x.name === name);
    if (!s) throw new Error(`Dockerfile has no stage named ${name}`);
    return s;
  };
  const workspaces = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;

  it('copies every workspace package.json (and the lock file) before npm ci', () => {
    const copies = stage('manifests').lines.filter((l) => /^COPY\s/i.test(l));
    const copied = new Set(copies.flatMap((l) => l.split(/\s+/).slice(1, -1)));
    const missing = ['package.json', 'package-lock.json', ...workspaces.map((w) => `${w}/package.json`)].filter((f) => !copied.has(f));
    expect(missing).toEqual([]);
    for (const line of copies.filter((l) => /\/package\.json\s/.test(l))) {
      const [, src, dest] = line.split(/\s+/);
      expect(dest, line).toBe(`${src!.replace(/package\.json$/, '')}`);
    }
  });

  it('copies the source of every workspace into the build stage', () => {
    const copied = stage('build')
      .lines.filter((l) => /^COPY\s/i.test(l) && !l.includes('--from'))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    const uncovered = workspaces.filter((w) => !copied.some((c) => w === c || w.startsWith(`${c}/`)));
    expect(uncovered).toEqual([]);
  });

  it('installs production dependencies only into the runtime image', () => {
    expect(stage('deps').lines.join('\n')).toMatch(/npm ci --omit=dev/);
    const runtime = stage('runtime').lines;
    expect(runtime.filter((l) => /^COPY --from=/i.test(l)).map((l) => /--from=(\S+)/.exec(l)![1])).toEqual(['deps', 'build']);
    expect(runtime.join('\n')).toMatch(/--from=deps \S+ \/app\/node_modules node_modules/);
  });

  it('runs as an unprivileged user with a health check and node as PID 1 (exec form)', () => {
    const runtime = stage('runtime').lines;
    expect(runtime.filter((l) => /^USER\s/i.test(l))).toEqual(['USER node']);
    expect(runtime.some((l) => /^HEALTHCHECK\s.*CMD \["node", "\/app\/dist\/healthcheck\.mjs"\]/.test(l))).toBe(true);
    const entry = runtime.find((l) => /^ENTRYPOINT\s/i.test(l));
    expect(entry).toBeDefined();
    expect(JSON.parse(entry!.replace(/^ENTRYPOINT\s+/i, ''))[0]).toBe('node');
  });

  it('builds the hub image by default (the last stage) and the gateway as its own target', () => {
    expect(all.at(-1)!.name).toBe('runtime');
    const gateway = stage('gateway').lines;
    expect(gateway).toContain('COPY --chown=root:root deploy/gateway /opt/gateway');
    expect(gateway.some((l) => /^USER\s+(?!root)/.test(l))).toBe(true);
    expect(gateway.find((l) => l.startsWith('ENTRYPOINT'))).toMatch(/render\.sh .*exec nginx/);
  });

  it('bundles every service there is', () => {
    const services = readdirSync(join(REPO_ROOT, 'services'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect([...BUNDLED_SERVICES].sort()).toEqual(services);
  });
});
