// Lint rules that protect the architecture as much as the style: domain and
// route code must not import drivers (only adapters and the platform
// package talk to Kafka, MongoDB, etcd, Redis, S3 and Telegram).
import tseslint from 'typescript-eslint';

const DRIVERS = ['kafkajs', 'mongodb', 'etcd3', 'ioredis', 'minio', 'grammy'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.stack/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    // Type-aware rules: a promise nobody awaits loses its error (an unhandled
    // rejection stops the process) and its ordering; a promise where a
    // callback's void is expected is the same bug hidden in an argument.
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['web/vite.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['packages/domain/**/*.ts', 'services/*/src/**/*.ts', 'packages/identity/src/**/*.ts', 'connectors/src/**/*.ts'],
    ignores: ['**/adapters/**', '**/*.test.ts', '**/main.ts', 'connectors/src/telegram/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: DRIVERS.map((name) => ({
            name,
            message: `Domain and route code talks to ${name} only through a port; put the driver code in an adapters/ folder.`,
          })),
        },
      ],
    },
  },
  {
    // @hub/sdk's core entry runs in browsers too: Node-only code goes in src/node.ts (the @hub/sdk/node entry).
    files: ['packages/sdk/src/**/*.ts'],
    ignores: ['packages/sdk/src/node.ts', 'packages/sdk/src/node/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'stream', 'buffer', 'ws', 'http', 'https'],
              message: 'The SDK core runs in browsers: put Node-only code in src/node.ts.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'Browser-safe code: use Uint8Array.' },
        { name: 'process', message: 'Browser-safe code: take settings as options.' },
        { name: 'require', message: 'ESM only.' },
      ],
    },
  },
  {
    files: ['scripts/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
