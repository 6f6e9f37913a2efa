import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frontendConfigSchema } from '../services/frontend/src/config';
import { routerConfigSchema } from '../services/router/src/config';
import { presenceConfigSchema } from '../services/presence/src/config';
import { filesConfigSchema } from '../services/files/src/config';
import { REPO_ROOT } from './support/stack-env';

// Every knob a service reads must be documented in .env.example, so an
// operator never has to read the source to configure the hub.
describe('.env.example', () => {
  const documented = new Set(
    readFileSync(join(REPO_ROOT, '.env.example'), 'utf8')
      .split('\n')
      .map((l) => /^#?\s*([A-Z][A-Z0-9_]+)=/.exec(l)?.[1])
      .filter((k): k is string => Boolean(k)),
  );
  const schemas = { frontend: frontendConfigSchema, router: routerConfigSchema, presence: presenceConfigSchema, files: filesConfigSchema };
  for (const [service, schema] of Object.entries(schemas)) {
    it(`documents every variable the ${service} reads`, () => {
      const missing = Object.keys(schema.shape).filter((k) => !documented.has(k));
      expect(missing).toEqual([]);
    });
  }
});
