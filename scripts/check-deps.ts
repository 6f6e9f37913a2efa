/**
 * `npm test`: workspace boundaries (issue 15, item 3).
 *
 * - No workspace imports a service (`services/*`) other than itself, neither
 *   as `@hub/<service>` nor by a relative path into the service's folder:
 *   what two services share belongs in a package.
 * - A workspace that imports `@hub/x` declares it in its package.json
 *   (`"@hub/x": "*"`), so the graph of workspaces is written down where npm
 *   and the reader see it. The root package (test/, bench/, scripts/) too.
 *
 * Prints each offending file and import with what to do; exits 1 if any.
 * Usage: node --import tsx scripts/check-deps.ts [repo-root]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

interface Workspace {
  name: string;
  dir: string;
  service: boolean;
  declared: Set<string>;
}

export interface Violation {
  file: string;
  specifier: string;
  problem: string;
  fix: string;
}

function readPackage(dir: string): {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
} {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

function workspaceOf(root: string, dir: string): Workspace {
  const pkg = readPackage(dir);
  return {
    name: pkg.name,
    dir,
    service: relative(root, dir).split(sep)[0] === 'services',
    declared: new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]),
  };
}

function* sourceFiles(dir: string, skip: ReadonlySet<string>): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (skip.has(path)) continue;
    if (statSync(path).isDirectory()) yield* sourceFiles(path, skip);
    else if (/\.(ts|mts|js|mjs)$/.test(entry) && !entry.endsWith('.d.ts')) yield path;
  }
}

/**
 * Static imports and re-exports (at the start of a line, so import-like text
 * inside strings does not count), `import('x')` and `vi.mock('x')`.
 */
const IMPORT =
  /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bvi\.mock\(\s*['"]([^'"]+)['"]/gm;

export function importsOf(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4])!);
}

export function checkDeps(root: string): Violation[] {
  const rootPkg = readPackage(root);
  const workspaces = (rootPkg.workspaces ?? []).map((w) => workspaceOf(root, resolve(root, w)));
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const rootWs: Workspace = { ...workspaceOf(root, root), name: rootPkg.name };
  const skip = new Set([...workspaces.map((w) => w.dir), join(root, 'deploy')]);
  const owner = (path: string): Workspace => workspaces.find((w) => path === w.dir || path.startsWith(w.dir + sep)) ?? rootWs;
  const violations: Violation[] = [];

  for (const ws of [...workspaces, rootWs]) {
    for (const file of sourceFiles(ws.dir, ws === rootWs ? skip : new Set())) {
      const rel = relative(root, file);
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        let target: Workspace | undefined;
        if (spec.startsWith('@hub/')) {
          const name = spec.split('/').slice(0, 2).join('/');
          target = byName.get(name);
          if (!target) {
            violations.push({
              file: rel,
              specifier: spec,
              problem: `no workspace is named ${name}`,
              fix: 'import an existing @hub/* package (root package.json, "workspaces")',
            });
            continue;
          }
          if (target !== ws && !ws.declared.has(name)) {
            violations.push({
              file: rel,
              specifier: spec,
              problem: `${ws.name} imports ${name} without declaring it`,
              fix: `add "${name}": "*" to "dependencies" in ${relative(root, join(ws.dir, 'package.json')) || 'package.json'}, then run npm install`,
            });
          }
        } else if (spec.startsWith('.')) {
          target = owner(resolve(dirname(file), spec));
        } else continue;
        if (target.service && target !== ws && ws !== rootWs) {
          violations.push({
            file: rel,
            specifier: spec,
            problem: `${ws.name} imports service ${target.name}: services never import each other`,
            fix: `move what both need out of ${relative(root, target.dir)} into a package under packages/ (or test/support/ for test helpers) and import it from there`,
          });
        }
      }
    }
  }
  return violations;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), '..'));
  const violations = checkDeps(root);
  for (const v of violations) console.error(`${v.file}: import '${v.specifier}': ${v.problem}.\n  fix: ${v.fix}`);
  if (violations.length > 0) {
    console.error(`check-deps: ${violations.length} workspace boundary violation(s)`);
    process.exit(1);
  }
  console.log('check-deps: no service imports another, every @hub/* import is declared');
}
