import { Writable } from 'node:stream';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { withMessage } from './telemetry/spans';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 't', destination }) };
}

describe('log lines about a message', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('carry trace_id, span_id, message_id and conversation_id from the active context', () => {
    const { lines, logger } = capture();
    const ctx = withMessage(trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: 1 }), {
      message_id: 'm-1',
      conversation_id: 'c-1',
    });
    context.with(ctx, () => logger.info('handed over'));
    logger.info('outside');
    expect(lines[0]).toMatchObject({ msg: 'handed over', trace_id: TRACE, span_id: SPAN, message_id: 'm-1', conversation_id: 'c-1' });
    expect(lines[1]).not.toHaveProperty('trace_id');
    expect(lines[1]).not.toHaveProperty('message_id');
  });

  it('keep the fields a call passes itself', () => {
    const { lines, logger } = capture();
    context.with(withMessage(ROOT_CONTEXT, { message_id: 'm-1' }), () => logger.info({ message_id: 'm-2' }, 'other'));
    expect(lines[0]).toMatchObject({ message_id: 'm-2' });
  });
});
