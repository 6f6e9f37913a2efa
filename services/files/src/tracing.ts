import { startTracing } from '@hub/platform/tracing';

// main.ts imports this first: instrumentation has to be in place before
// http, mongodb and ioredis are loaded (packages/platform/src/telemetry/start-tracing.ts).
await startTracing('files');
