import { z } from 'zod';

/**
 * The standard OpenTelemetry variables the hub honours. The SDK reads them
 * itself; they are validated here so that a typo fails at boot like every
 * other setting instead of silently exporting nothing.
 */
export const tracingConfigSchema = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json', 'grpc']).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(['http/protobuf', 'http/json', 'grpc']).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).optional(),
});

export type TracingConfig = z.infer<typeof tracingConfigSchema>;

/** Tracing is on when an endpoint is set and the SDK is not disabled. */
export function tracingEnabled(c: TracingConfig): boolean {
  return (
    c.OTEL_SDK_DISABLED !== 'true' && (c.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined)
  );
}
