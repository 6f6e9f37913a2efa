import { describe, expect, it } from 'vitest';
import { staleGeneratedFiles } from '../../../scripts/sdk-generate';

// The SDK's REST types are generated from the services' OpenAPI documents and
// checked in; a route or schema change without regenerating fails here.
describe('generated REST types', () => {
  it('match what the services document now', async () => {
    const stale = await staleGeneratedFiles();
    expect(stale, `generated files are out of date (${stale.join(', ')}): run \`npm run sdk:generate\``).toEqual([]);
  }, 60_000);
});
