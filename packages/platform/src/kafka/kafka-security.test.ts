import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';
import { kafkaConfigSchema } from '../infra-config';
import { describeKafkaSecurity, kafkaSecurity } from './kafka-security';

const base = { KAFKA_BROKERS: 'kafka-1.example:9093' };
const load = (vars: Record<string, string>) => loadConfig(kafkaConfigSchema, { ...base, ...vars });
const files: Record<string, string> = { '/ca.pem': 'CA PEM', '/cert.pem': 'CERT PEM', '/key.pem': 'KEY PEM' };
const readFile = (p: string) => {
  if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return files[p]!;
};
const problemsOf = (vars: Record<string, string>): string[] => {
  try {
    kafkaSecurity(load(vars), readFile);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('Kafka SASL and TLS settings', () => {
  it('nothing set: plaintext without SASL, as the local stack runs', () => {
    expect(kafkaSecurity(load({}), readFile)).toEqual({});
  });

  it('KAFKA_TLS=true alone: TLS verified against the system CAs', () => {
    expect(kafkaSecurity(load({ KAFKA_TLS: 'true' }), readFile)).toEqual({ ssl: true });
  });

  it('a private CA and a client certificate are read from their files at start', () => {
    const s = kafkaSecurity(
      load({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/ca.pem', KAFKA_TLS_CERT_FILE: '/cert.pem', KAFKA_TLS_KEY_FILE: '/key.pem' }),
      readFile,
    );
    expect(s.ssl).toEqual({ ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' });
  });

  it.each(['scram-sha-256', 'scram-sha-512'] as const)('SASL %s with user and password', (mechanism) => {
    const s = kafkaSecurity(load({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'hub', KAFKA_SASL_PASSWORD: 'pw-123' }), readFile);
    expect(s).toEqual({ sasl: { mechanism, username: 'hub', password: 'pw-123' } });
  });

  it('SASL PLAIN over TLS', () => {
    const s = kafkaSecurity(
      load({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'hub', KAFKA_SASL_PASSWORD: 'pw-123', KAFKA_TLS: 'true' }),
      readFile,
    );
    expect(s).toEqual({ ssl: true, sasl: { mechanism: 'plain', username: 'hub', password: 'pw-123' } });
  });

  it('an unknown mechanism is refused by the schema, naming the choices', () => {
    expect(() => load({ KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(/KAFKA_SASL_MECHANISM is invalid.*plain.*scram-sha-256.*scram-sha-512/s);
  });

  it('every rule across variables is reported at once, and the password never appears', () => {
    const problems = problemsOf({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'hunter2-secret', KAFKA_TLS_CERT_FILE: '/cert.pem' });
    expect(problems.join('\n')).toMatch(/KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required/);
    expect(problems.join('\n')).toMatch(/plain sends the password in clear/);
    expect(problems.join('\n')).toMatch(/KAFKA_TLS_CERT_FILE set but KAFKA_TLS is not true/);
    expect(problems.join('\n')).toMatch(/set both or neither/);
    expect(problems.join('\n')).not.toContain('hunter2-secret');
  });

  it('credentials without a mechanism are a mistake, not ignored', () => {
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'hub', KAFKA_SASL_PASSWORD: 'x' })).toEqual([
      expect.stringMatching(/KAFKA_SASL_MECHANISM is not/),
    ]);
  });

  it('a CA file that cannot be read fails start-up, naming it', () => {
    expect(problemsOf({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/missing.pem' })).toEqual([
      'KAFKA_TLS_CA_FILE (/missing.pem) cannot be read: ENOENT',
    ]);
  });

  it('a bad value next to the password: the message redacts the password', () => {
    expect(() => load({ KAFKA_SASL_PASSWORD: '', KAFKA_TLS: 'maybe' })).toThrow(/KAFKA_SASL_PASSWORD is invalid \("\*\*\*"\)/);
  });

  it('what is logged names mechanism and user, never the password', () => {
    const c = load({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'hub',
      KAFKA_SASL_PASSWORD: 'hunter2-secret',
      KAFKA_TLS: 'true',
    });
    const logged = JSON.stringify(describeKafkaSecurity(c));
    expect(logged).toContain('scram-sha-512');
    expect(logged).not.toContain('hunter2-secret');
  });
});
