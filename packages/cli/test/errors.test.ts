import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HubNetworkError, HubProblemError } from '@hub/sdk';
import { ConfigTokenStore, configPath, readConfig, writeConfig } from '../src/config.js';
import { describeError, ExitCode, UsageError } from '../src/errors.js';

describe('describeError', () => {
  const problem = (status: number) =>
    new HubProblemError({
      type: 'about:blank',
      title: 'Validation failed',
      status,
      detail: 'the body is wrong',
      errors: [{ field: 'payload.text', message: 'must not be empty' }],
    });

  it('renders a problem as error: <title>: <detail> with one line per field error', () => {
    expect(describeError(problem(400)).lines).toEqual(['error: Validation failed: the body is wrong', '  payload.text: must not be empty']);
  });

  it('maps refusals to the documented exit codes', () => {
    expect(describeError(problem(404)).code).toBe(ExitCode.api);
    expect(describeError(problem(409)).code).toBe(ExitCode.api);
    expect(describeError(problem(401)).code).toBe(ExitCode.auth);
    expect(describeError(problem(403)).code).toBe(ExitCode.auth);
    expect(describeError(problem(503)).code).toBe(ExitCode.server);
    expect(describeError(new HubNetworkError('connect ECONNREFUSED')).code).toBe(ExitCode.server);
    expect(describeError(new UsageError('give a text')).code).toBe(ExitCode.usage);
  });
});

describe('config file', () => {
  it('lives under XDG_CONFIG_HOME/hub and is written 0600, tokens included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-cli-config-'));
    try {
      const path = configPath({ XDG_CONFIG_HOME: dir });
      expect(path).toBe(join(dir, 'hub', 'config.json'));
      writeConfig(path, { base_url: 'http://127.0.0.1:8080' });
      new ConfigTokenStore(path).set({ accessToken: 'a', expiresAt: 1 });
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readConfig(path)).toEqual({ base_url: 'http://127.0.0.1:8080', tokens: { accessToken: 'a', expiresAt: 1 } });
      new ConfigTokenStore(path).set(undefined);
      expect(readConfig(path)).toEqual({ base_url: 'http://127.0.0.1:8080' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
