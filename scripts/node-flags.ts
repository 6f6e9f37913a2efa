/**
 * V8 flags each service process starts with. `npm start` (run-hub), the
 * tests' and benchmarks' spawner (test/support/spawn-service) and
 * docker-compose.yml (through NODE_OPTIONS) all use these.
 *
 * Router and frontend: a 64 MB young-generation semi-space instead of V8's
 * 16 MB. Both allocate a burst per request or batch (a router batch under
 * load is hundreds of records, decoded, validated, BSON-encoded and
 * re-encoded for Kafka), and with 16 MB much of it lived through a
 * scavenge and was copied into the old generation only to die there: GC was
 * the router's largest single cost (15 % of its CPU under bench/pipeline's
 * max phase). Measured there (30 s runs, 16 / 32 / 64 / 128 MB): router
 * store rate 3,366-3,566 / 3,838 / 3,673-4,173 / 3,772 msg/s, accepted
 * 3,290-3,740 / 4,007 / 4,037-4,369 / 4,085 msg/s. It costs up to ~100 MB more
 * resident memory per process under load. Presence keeps the default: its
 * figure of merit is memory per idle connection.
 */
export const SERVICE_NODE_FLAGS: Record<'frontend' | 'router' | 'presence' | 'files', string[]> = {
  frontend: ['--max-semi-space-size=64'],
  router: ['--max-semi-space-size=64'],
  presence: [],
  files: [],
};
