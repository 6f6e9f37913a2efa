import { context, trace } from '@opentelemetry/api';
import { activeMessage } from './telemetry/spans';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that may carry credentials. pino removes them before serialising,
 * so a secret never reaches a log line even when a whole request or config
 * object is logged by mistake.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'client_secret',
  '*.client_secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'hash',
  '*.hash',
  'password_hash',
  '*.password_hash',
  'secret_hash',
  '*.secret_hash',
];

export interface LoggerSettings {
  service: string;
  level?: string;
  destination?: NodeJS.WritableStream;
}

/**
 * JSON logs with the service name and, inside a span, its trace_id and
 * span_id; inside work on one message (withMessage), its message_id and
 * conversation_id too. Fields a call passes itself win.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    mixinMergeStrategy: (mergeObject, mixinObject) => Object.assign(mixinObject, mergeObject),
    mixin() {
      const active = context.active();
      const sc = trace.getSpanContext(active);
      const message = activeMessage(active);
      if (!sc && !message) return {};
      return {
        ...(sc && trace.isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {}),
        ...(message
          ? { message_id: message.message_id, ...(message.conversation_id ? { conversation_id: message.conversation_id } : {}) }
          : {}),
      };
    },
  };
  return settings.destination ? pino(options, settings.destination as never) : pino(options);
}
