import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// @hub/sdk publishes dist/; the monorepo builds from its source (as tsconfig paths do).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: [{ find: /^@hub\/sdk$/, replacement: fileURLToPath(new URL('../packages/sdk/src/index.ts', import.meta.url)) }] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, modulePreload: { polyfill: false } },
});
