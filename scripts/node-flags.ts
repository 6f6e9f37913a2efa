/**
 * V8 flags each service process starts with. `npm start` (run-hub), the
 * tests' and benchmarks' spawner (test/support/spawn-service) and
 * docker-compose.yml (through NODE_OPTIONS) all use these.
 *
 * Router and frontend: a 64 MB young-generation semi-space instead of V8's
 * 16 MB. Both allocate a burst per request or batch (a router batch under
 * load is hundreds of records, decoded, validated, BSON-encoded and
 * re-encoded for Kafka; an accepted message costs the frontend tens of KB of
 * short-lived objects), and with 16 MB much of it lived through a scavenge
 * and was copied into the old generation only to die there: GC was the
 * router's largest single cost (15 % of its CPU under bench/pipeline's max
 * phase). Measured there (30 s runs, 16 / 32 / 64 / 128 MB for both):
 * router store rate 3,366-3,566 / 3,838 / 3,673-4,173 / 3,772 msg/s,
 * accepted 3,290-3,740 / 4,007 / 4,037-4,369 / 4,085 msg/s.
 *
 * The frontend's trade-off, measured alone (`BENCH_TRACE_GC=1`): with 64 MB
 * its scavenges are a third as many but two and a half times as long (p50
 * 9-10 ms against ~4 ms; 1.8 s of pauses in a 30 s run against 2.9 s), and
 * a pause holds every request in flight. Alternating max-phase runs, 64 MB
 * against the default: 3,797 and 3,632 against 3,508 and 3,026 msg/s with
 * accept p99 84 and 80 against 76 and 76 ms (60 s); 3,555-3,791 against
 * 3,330-3,659 msg/s with p99 76-94 against 64-72 ms (four 30 s runs each).
 * Kept at 64 MB: less GC work per request is the steadier gain; the tail
 * under saturation is mostly waiting for CPU (a bare Hono echo's own p99
 * was 40-98 ms in the same runs).
 *
 * It costs up to ~100 MB more resident memory per process under load.
 * Presence keeps the default: its figure of merit is memory per idle
 * connection.
 */
export const SERVICE_NODE_FLAGS: Record<'frontend' | 'router' | 'presence' | 'files', string[]> = {
  frontend: ['--max-semi-space-size=64'],
  router: ['--max-semi-space-size=64'],
  presence: [],
  files: [],
};
