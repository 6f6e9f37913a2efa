/**
 * V8 flags each service process starts with. `npm start` (run-hub), the
 * tests' and benchmarks' spawner (test/support/spawn-service) and
 * docker-compose.yml (through NODE_OPTIONS) all use these.
 *
 * Router: a 64 MB young-generation semi-space instead of V8's 16 MB. A
 * router batch under load is hundreds of records, decoded, validated,
 * BSON-encoded and re-encoded for Kafka, and with 16 MB much of it lived
 * through a scavenge and was copied into the old generation only to die
 * there: GC was the router's largest single cost (15 % of its CPU under
 * bench/pipeline's max phase). Measured there (30 s runs, 16 / 32 / 64 /
 * 128 MB): router store rate 3,366-3,566 / 3,838 / 3,673-4,173 / 3,772
 * msg/s. It costs up to ~100 MB more resident memory under load.
 *
 * Frontend: V8's default. With 64 MB its scavenges were a third as many
 * but two and a half times as long (p50 9-10 ms against ~4 ms,
 * `BENCH_TRACE_GC=1`), and every pause holds every request in flight:
 * accept p99 under wrk 76-94 ms against 64-72 ms with the default (four
 * alternating 30 s runs each), for 4 % more accepted msg/s (3,555-3,791
 * against 3,330-3,659). The accept latency is the figure clients see.
 *
 * Presence keeps the default too: its figure of merit is memory per idle
 * connection.
 */
export const SERVICE_NODE_FLAGS: Record<'frontend' | 'router' | 'presence' | 'files', string[]> = {
  frontend: [],
  router: ['--max-semi-space-size=64'],
  presence: [],
  files: [],
};
