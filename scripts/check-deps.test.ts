import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDeps, importsOf } from './check-deps';

let root: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function pkg(dir: string, name: string, dependencies: Record<string, string> = {}): void {
  write(join(dir, 'package.json'), JSON.stringify({ name, dependencies }));
}

/** A small monorepo: a package and two services, with clean imports. */
function fixture(): void {
  root = mkdtempSync(join(tmpdir(), 'check-deps-'));
  write(
    'package.json',
    JSON.stringify({
      name: 'root',
      workspaces: ['packages/push', 'services/router', 'services/presence'],
      devDependencies: { '@hub/push': '*' },
    }),
  );
  pkg('packages/push', '@hub/push');
  pkg('services/router', '@hub/router', { '@hub/push': '*' });
  pkg('services/presence', '@hub/presence', { '@hub/push': '*' });
  write('packages/push/src/index.ts', 'export const x = 1;\n');
  write('services/router/src/main.ts', "import { x } from '@hub/push';\nimport { y } from './local';\n");
  write('services/presence/src/main.ts', "import { x } from '@hub/push';\n");
  write('test/e2e.test.ts', "import { x } from '@hub/push';\nimport { main } from '../services/router/src/main';\n");
}

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('workspace boundary check', () => {
  it('passes a tree where services import only declared packages', () => {
    fixture();
    expect(checkDeps(root)).toEqual([]);
  });

  it('fails on a service importing another service by name, naming file, import and the way out', () => {
    fixture();
    write('services/router/src/main.ts', "import { createLivePush } from '@hub/presence';\n");
    const [v, ...rest] = checkDeps(root);
    // Undeclared too: both problems are reported.
    expect(rest).toHaveLength(1);
    expect(v?.file).toBe(join('services', 'router', 'src', 'main.ts'));
    expect(v?.specifier).toBe('@hub/presence');
    expect([v, ...rest].map((x) => x?.problem).join('\n')).toMatch(/services never import each other/);
    expect([v, ...rest].map((x) => x?.fix).join('\n')).toMatch(/into a package under packages\//);
  });

  it('fails on a relative import into another service', () => {
    fixture();
    write('services/presence/test/t.test.ts', "import { main } from '../../router/src/main';\n");
    expect(checkDeps(root)).toEqual([
      expect.objectContaining({
        file: join('services', 'presence', 'test', 't.test.ts'),
        problem: expect.stringMatching(/imports service @hub\/router/),
      }),
    ]);
  });

  it('fails on an @hub import the workspace does not declare, and says where to declare it', () => {
    fixture();
    pkg('services/presence', '@hub/presence');
    const violations = checkDeps(root);
    expect(violations).toEqual([
      expect.objectContaining({ specifier: '@hub/push', problem: '@hub/presence imports @hub/push without declaring it' }),
    ]);
    expect(violations[0]?.fix).toContain(join('services', 'presence', 'package.json'));
  });

  it('reads static, dynamic, type-only and re-export imports', () => {
    expect(
      importsOf(
        "import a from 'a';\nimport type { B } from \"b\";\nexport * from './c';\nconst d = await import('d');\nimport 'e';\nvi.mock('f');",
      ),
    ).toEqual(['a', 'b', './c', 'd', 'e', 'f']);
  });

  it('passes on this repository', () => {
    root = mkdtempSync(join(tmpdir(), 'check-deps-'));
    expect(checkDeps(resolve(import.meta.dirname, '..'))).toEqual([]);
  });
});
