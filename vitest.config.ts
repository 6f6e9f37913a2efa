import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '**/dist/**', '.stack/**'];
// @hub/sdk publishes dist/; tests use its source (as tsconfig.json's paths do for tsc and tsx).
const resolve = {
  alias: [
    { find: /^@hub\/sdk\/node$/, replacement: fileURLToPath(new URL('./packages/sdk/src/node.ts', import.meta.url)) },
    { find: /^@hub\/sdk$/, replacement: fileURLToPath(new URL('./packages/sdk/src/index.ts', import.meta.url)) },
  ],
};

// Two projects split by speed: unit tests need nothing running; integration
// tests (*.int.test.ts) run against the real local stack, started once by
// the global setup unless connection settings are already in the environment.
export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          // Units first (fast feedback), then the integration project with its own worker limit.
          sequence: { groupOrder: 0 },
          include: ['**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts'],
          environment: 'node',
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['**/*.int.test.ts'],
          exclude,
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          pool: 'forks',
          // One file at a time: the two cores also run Kafka, FerretDB and the
          // services under test, and the end-to-end files (SIGKILLed workers,
          // provider outages, latency comparisons) need the machine to themselves.
          maxWorkers: 1,
        },
      },
    ],
  },
});
