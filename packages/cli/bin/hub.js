#!/usr/bin/env node
// The `hub` command. Inside the monorepo it runs the TypeScript source through
// tsx, with the repository's tsconfig so that @hub/sdk resolves to its source.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
