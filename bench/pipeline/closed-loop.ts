import { Agent, request } from 'node:http';
import type { WrkResult } from './wrk';

/**
 * A closed-loop load generator in this process, for when wrk is not
 * installed: `connections` loops, each sending its next request as soon as
 * the previous one answered, for `seconds`. Same result shape as wrk's.
 * Heavier on CPU per request than wrk (it is Node), so compare its figures
 * only with runs made with it.
 */
export function runClosedLoop(opts: {
  url: string;
  seconds: number;
  connections: number;
  path: string;
  headers: Record<string, string>;
  body: () => string;
}): { result: Promise<WrkResult>; pid: undefined } {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const target = new URL(opts.path, opts.url);
  const latencies: number[] = [];
  let non2xx = 0;
  let socketErrors = 0;
  const started = performance.now();
  const until = started + opts.seconds * 1000;
  const once = () =>
    new Promise<void>((resolve) => {
      const body = opts.body();
      const t0 = performance.now();
      const req = request(
        target,
        { method: 'POST', agent, headers: { ...opts.headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - t0);
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        socketErrors++;
        resolve();
      });
      req.end(body);
    });
  const loop = async () => {
    while (performance.now() < until) await once();
  };
  const result = Promise.all(Array.from({ length: opts.connections }, loop)).then((): WrkResult => {
    agent.destroy();
    const seconds = (performance.now() - started) / 1000;
    const sorted = latencies.sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
    return {
      requests: latencies.length,
      seconds,
      rps: latencies.length / seconds,
      non2xx,
      socketErrors,
      p50: q(0.5),
      p95: q(0.95),
      p99: q(0.99),
      max: sorted.at(-1) ?? NaN,
    };
  });
  return { result, pid: undefined };
}
