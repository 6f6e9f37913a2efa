import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES, FRAME_ERROR_CODES, SERVER_FRAMES } from '../../scripts/hub-asyncapi';
import { HUB_ASYNCAPI_FILE } from '../../scripts/sdk-generate';
import { ClientFrames } from '../../services/presence/src/ws/frames';
import { CloseCodes } from '../../services/presence/src/ws/close-codes';
import { REPO_ROOT } from '../support/stack-env';

describe('the WebSocket protocol documents (issue 19, items 1 and 5)', () => {
  it('the AsyncAPI document served at /asyncapi.json is valid AsyncAPI 3', async () => {
    const text = readFileSync(HUB_ASYNCAPI_FILE, 'utf8');
    const { document, diagnostics } = await new Parser().parse(text);
    expect(diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    expect(document?.operations().length).toBe(Object.keys(ClientFrames).length + Object.keys(SERVER_FRAMES).length);
  }, 60_000);

  it('docs/websocket.md names every op, error code and close code the code has', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'websocket.md'), 'utf8');
    const missing = [
      ...Object.keys(ClientFrames)
        .map((op) => `client op ${op}`)
        .filter((s) => !doc.includes(`\`${s.split(' ')[2]}\``)),
      ...Object.keys(SERVER_FRAMES)
        .map((op) => `server op ${op}`)
        .filter((s) => !doc.includes(`\`${s.split(' ')[2]}`)),
      ...Object.keys(FRAME_ERROR_CODES)
        .filter((c) => !doc.includes(`\`${c}\``))
        .map((c) => `error code ${c}`),
      ...[...new Set([...Object.values(CloseCodes), ...CLOSE_CODES.map((c) => c.code)])]
        .filter((code) => !new RegExp(`^\\| ${code} \\|`, 'm').test(doc))
        .map((c) => `close code ${c}`),
    ];
    expect(missing).toEqual([]);
  });
});
