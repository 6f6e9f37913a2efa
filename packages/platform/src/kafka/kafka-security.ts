import { readFileSync } from 'node:fs';
import type { SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { z } from 'zod';
import { ConfigError, env } from '../config';

/**
 * How the hub authenticates to Kafka and encrypts the connection, for a
 * managed or secured cluster. Nothing set: plaintext without SASL (the
 * local stack). A SASL mechanism without TLS is allowed (a private
 * network's SCRAM) but PLAIN sends the password as it is, so PLAIN requires
 * KAFKA_TLS=true.
 */
export const kafkaSecurityConfigSchema = z.object({
  /** plain, scram-sha-256 or scram-sha-512; unset: no SASL. */
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /** TLS to the brokers, verified against the system's CAs or KAFKA_TLS_CA_FILE. */
  KAFKA_TLS: env.bool(false),
  /** PEM file of the CA(s) that signed the brokers' certificates (a private CA). */
  KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
  /** Client certificate and key (PEM) for mutual TLS; set both or neither. */
  KAFKA_TLS_CERT_FILE: z.string().min(1).optional(),
  KAFKA_TLS_KEY_FILE: z.string().min(1).optional(),
});

export type KafkaSecurityConfig = z.infer<typeof kafkaSecurityConfigSchema>;

export interface KafkaSecurity {
  ssl?: ConnectionOptions | boolean;
  sasl?: SASLOptions;
}

/**
 * The kafkajs `ssl` and `sasl` options for a config, after the rules that
 * span several variables; throws ConfigError listing every problem (never
 * the password). Reads the PEM files, so a missing file fails start-up
 * rather than the first connection.
 */
export function kafkaSecurity(c: KafkaSecurityConfig, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): KafkaSecurity {
  const problems: string[] = [];
  const mech = c.KAFKA_SASL_MECHANISM;
  if (mech && (!c.KAFKA_SASL_USERNAME || !c.KAFKA_SASL_PASSWORD))
    problems.push(`KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM=${mech}`);
  if (!mech && (c.KAFKA_SASL_USERNAME || c.KAFKA_SASL_PASSWORD))
    problems.push(
      'KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is not (plain, scram-sha-256 or scram-sha-512)',
    );
  if (mech === 'plain' && !c.KAFKA_TLS)
    problems.push('KAFKA_SASL_MECHANISM=plain sends the password in clear: set KAFKA_TLS=true (or use scram-sha-256/512)');
  const files = (['KAFKA_TLS_CA_FILE', 'KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE'] as const).filter((k) => c[k]);
  if (!c.KAFKA_TLS && files.length > 0) problems.push(`${files.join(', ')} set but KAFKA_TLS is not true`);
  if (Boolean(c.KAFKA_TLS_CERT_FILE) !== Boolean(c.KAFKA_TLS_KEY_FILE))
    problems.push('KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together (mutual TLS): set both or neither');
  const pem: Partial<Record<(typeof files)[number], string>> = {};
  if (problems.length === 0) {
    for (const key of files) {
      try {
        pem[key] = readFile(c[key]!);
      } catch (err) {
        problems.push(`${key} (${c[key]}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const out: KafkaSecurity = {};
  if (c.KAFKA_TLS) {
    // rejectUnauthorized stays on (Node's default): there is no setting to turn verification off.
    out.ssl = files.length === 0 ? true : { ca: pem.KAFKA_TLS_CA_FILE, cert: pem.KAFKA_TLS_CERT_FILE, key: pem.KAFKA_TLS_KEY_FILE };
  }
  if (mech) out.sasl = { mechanism: mech, username: c.KAFKA_SASL_USERNAME!, password: c.KAFKA_SASL_PASSWORD! } as SASLOptions;
  return out;
}

/** Settings safe to log: the mechanism and user, never the password or key material. */
export function describeKafkaSecurity(c: KafkaSecurityConfig): Record<string, unknown> {
  return {
    tls: c.KAFKA_TLS,
    ca_file: c.KAFKA_TLS_CA_FILE,
    mutual_tls: Boolean(c.KAFKA_TLS_CERT_FILE),
    sasl: c.KAFKA_SASL_MECHANISM ?? 'none',
    sasl_user: c.KAFKA_SASL_USERNAME,
  };
}
