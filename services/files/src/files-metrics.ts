import { Counter, Histogram, type Registry } from '@hub/platform';

export type FilesMetrics = ReturnType<typeof createFilesMetrics>;

/** The files service's own figures, beside the HTTP metrics every service has. */
export function createFilesMetrics(registry: Registry) {
  return {
    initiated: new Counter({
      name: 'files_initiated_total',
      help: 'Uploads initiated, by mode (single PUT or multipart)',
      labelNames: ['mode'],
      registers: [registry],
    }),
    completed: new Counter({
      name: 'files_completed_total',
      help: 'Completed uploads by outcome: completed, or the reason verification failed (size_mismatch, checksum_mismatch)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    verifiedBytes: new Counter({
      name: 'files_verified_bytes_total',
      help: 'Bytes read back from object storage to verify SHA-256 digests',
      registers: [registry],
    }),
    verifyDuration: new Histogram({
      name: 'files_verify_duration_seconds',
      help: 'Time to verify an upload (stat and streaming SHA-256)',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    eventPublishFailures: new Counter({
      name: 'files_event_publish_failures_total',
      help: 'FileEvents the broker did not acknowledge (re-published later)',
      registers: [registry],
    }),
    housekeepingRemoved: new Counter({
      name: 'files_housekeeping_removed_total',
      help: 'Abandoned uploads cleaned up, by what was removed (upload: metadata and object; multipart: a server-side multipart upload)',
      labelNames: ['what'],
      registers: [registry],
    }),
    housekeepingErrors: new Counter({
      name: 'files_housekeeping_errors_total',
      help: 'Housekeeping passes or items that failed (retried on the next pass)',
      registers: [registry],
    }),
  };
}
