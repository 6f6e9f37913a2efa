import { createRequire } from 'node:module';
import { tracingConfigSchema, tracingEnabled } from './tracing-config';

export interface Tracing {
  /** Spans are exported (an OTLP endpoint is set). */
  readonly enabled: boolean;
  /** Flushes the spans still buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

/** Paths polled by probes and Prometheus: a span each would drown the traces that matter. */
const UNTRACED_PATHS = new Set(['/health', '/healthz', '/ready', '/readyz', '/live', '/metrics']);

let started: Promise<Tracing> | undefined;

/**
 * Starts OpenTelemetry tracing for this process, once, configured by the
 * standard OTEL_* variables (endpoint, protocol, service name, sampler; the
 * SDK reads them itself). Without an endpoint nothing is loaded or
 * registered: the API stays a no-op and costs nothing.
 *
 * Each service's `tracing.ts` calls this as the very first import of its
 * main.ts, because instrumentation patches modules as they are loaded:
 * http, mongodb (its internals are required lazily) and ioredis. An ESM
 * import of a builtin or of a CommonJS package is not seen by the require
 * hooks the instrumentations use, so http, https and ioredis are required
 * here once the hooks are in place; the ESM imports then share those
 * patched modules. kafkajs is deliberately not instrumented: its
 * instrumentation wraps `sendBatch` and would stamp every record of a
 * coalesced batch (BatchingProducer) with the context of whichever request
 * started the flush; the hub makes its own producer and consumer spans and
 * carries each record's own context in its headers (kafka/trace-headers.ts).
 */
export function startTracing(service: string, source: Record<string, string | undefined> = process.env): Promise<Tracing> {
  started ??= start(service, source);
  return started;
}

async function start(service: string, source: Record<string, string | undefined>): Promise<Tracing> {
  const parsed = tracingConfigSchema.safeParse(source);
  // A bad value is reported by the service's own config check at boot (exit 78).
  if (!parsed.success || !tracingEnabled(parsed.data)) return { enabled: false, shutdown: async () => {} };
  const [{ NodeSDK }, { HttpInstrumentation }, { MongoDBInstrumentation }, { IORedisInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-mongodb'),
    import('@opentelemetry/instrumentation-ioredis'),
  ]);
  const sdk = new NodeSDK({
    serviceName: parsed.data.OTEL_SERVICE_NAME ?? service,
    // Traces only: metrics are scraped from /metrics, logs go to stdout.
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0]!),
        // Outgoing calls are traced only inside a trace of ours (no root span per poll or probe).
        requireParentforOutgoingSpans: true,
      }),
      new MongoDBInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  const load = createRequire(import.meta.url);
  for (const name of ['http', 'https', 'ioredis']) load(name);
  return { enabled: true, shutdown: () => sdk.shutdown() };
}
