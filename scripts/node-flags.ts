/**
 * V8 flags each service process starts with. `npm start` (run-hub), the
 * tests' and benchmarks' spawner (test/support/spawn-service) and
 * docker-compose.yml (through NODE_OPTIONS) all use these.
 *
 * Router and frontend: a 64 MB young-generation semi-space instead of V8's
 * 16 MB. Both allocate a burst of short-lived objects per batch or request;
 * with 16 MB much of it was copied into the old generation only to die
 * there, and GC was the router's largest single cost. Presence keeps the
 * default: its figure of merit is memory per idle connection. Figures and
 * the frontend's latency trade-off: docs/performance.md, "V8 young
 * generation".
 */
export const SERVICE_NODE_FLAGS: Record<'frontend' | 'router' | 'presence' | 'files', string[]> = {
  frontend: ['--max-semi-space-size=64'],
  router: ['--max-semi-space-size=64'],
  presence: [],
  files: [],
};
