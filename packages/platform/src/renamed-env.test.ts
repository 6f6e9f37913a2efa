import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { loadConfig } from './config';
import { RENAMED_ENV, withRenamedEnv } from './renamed-env';

const renames = { OLD_LIMIT: 'NEW_LIMIT' };

describe('withRenamedEnv', () => {
  it('reads the old name when the new one is absent, and warns naming the new one', () => {
    const warn = vi.fn();
    const env = { OLD_LIMIT: '7' };
    expect(withRenamedEnv(env, renames, warn)).toEqual({ OLD_LIMIT: '7', NEW_LIMIT: '7' });
    expect(warn).toHaveBeenCalledExactlyOnceWith('OLD_LIMIT', 'NEW_LIMIT');
    expect(env).toEqual({ OLD_LIMIT: '7' });
  });

  it('lets the new name win when both are set (and still warns about the old one)', () => {
    const warn = vi.fn();
    expect(withRenamedEnv({ OLD_LIMIT: '7', NEW_LIMIT: '9' }, renames, warn)).toEqual({ OLD_LIMIT: '7', NEW_LIMIT: '9' });
    expect(warn).toHaveBeenCalledOnce();
  });

  it('neither copies nor warns when the old name is unset', () => {
    const warn = vi.fn();
    const env = { NEW_LIMIT: '9' };
    expect(withRenamedEnv(env, renames, warn)).toBe(env);
    expect(warn).not.toHaveBeenCalled();
  });

  it('is applied by loadConfig, warning once per old name per process', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const schema = z.object({ OUTBOUND_MAX_ATTEMPTS: z.coerce.number().default(5) });
      expect(loadConfig(schema, { DELIVERY_MAX_ATTEMPTS: '3' }).OUTBOUND_MAX_ATTEMPTS).toBe(3);
      expect(loadConfig(schema, { DELIVERY_MAX_ATTEMPTS: '4' }).OUTBOUND_MAX_ATTEMPTS).toBe(4);
      expect(loadConfig(schema, { DELIVERY_MAX_ATTEMPTS: '4', OUTBOUND_MAX_ATTEMPTS: '6' }).OUTBOUND_MAX_ATTEMPTS).toBe(6);
      const calls = emit.mock.calls.filter(([msg]) => String(msg).startsWith('DELIVERY_MAX_ATTEMPTS'));
      expect(calls).toHaveLength(1);
      expect(String(calls[0]![0])).toContain('set OUTBOUND_MAX_ATTEMPTS instead');
    } finally {
      emit.mockRestore();
    }
  });

  it('maps every old name to a distinct new name', () => {
    const news = Object.values(RENAMED_ENV);
    expect(new Set(news).size).toBe(news.length);
    for (const [oldName, newName] of Object.entries(RENAMED_ENV)) expect(oldName).not.toBe(newName);
  });
});
