import { NodeSDK } from '@opentelemetry/sdk-node';

/**
 * Starts OpenTelemetry tracing when an OTLP endpoint is configured
 * (OTEL_EXPORTER_OTLP_ENDPOINT, read by the SDK itself). Without one the
 * API stays a no-op, but W3C context still propagates through Kafka headers.
 */
export function startTelemetry(service: string, endpoint: string | undefined): { shutdown(): Promise<void> } {
  if (!endpoint) return { shutdown: async () => {} };
  const sdk = new NodeSDK({ serviceName: service });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
