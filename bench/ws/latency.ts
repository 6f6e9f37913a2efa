import { Agent, request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { registerAndLogin, type TestUser } from '../../test/support/identity';
import { cpuShares, type Watched } from '../pipeline/cpu';

export interface LatencyResult {
  offered: number;
  sent: number;
  accepted: number;
  refused: number;
  /** Why requests were refused: HTTP status or socket error code. */
  refusals: Record<string, number>;
  received: number;
  /** ms from sending the POST to the recipient's `message` frame */
  fromRequest: number[];
  /** ms from the 202 answer to the recipient's `message` frame */
  fromAccepted: number[];
  acceptMs: number[];
  /** ms from the server's accepted_at (frame `created_at`, wall clock) to the frame */
  fromAcceptedAt: number[];
  /** CPU by process over the measured sending window (when processes were given). */
  cpu?: string;
}

/**
 * REST accept → WebSocket frame at a fixed offered rate (open loop: a
 * request leaves on schedule whether or not earlier ones were answered),
 * over `pairs` direct conversations whose recipients are connected. The
 * first `warmupS` seconds run at the same rate unrecorded (cold JIT, new
 * connections, the router's first fetches), then `seconds` are measured.
 */
export async function measureLatency(opts: {
  frontendUrl: string;
  presenceUrl: string;
  rate: number;
  seconds: number;
  warmupS: number;
  pairs: number;
  say: (m: string) => void;
  watched?: Watched[];
}): Promise<LatencyResult> {
  const { say } = opts;
  say(`  registering ${opts.pairs * 2} users and ${opts.pairs} conversations…`);
  const pairs: Array<{ from: TestUser; to: TestUser; conversationId: string; ws: WebSocket }> = [];
  const sentAt = new Map<string, { request: number; accepted?: number; measured: boolean }>();
  const result: LatencyResult = {
    offered: Math.round(opts.rate * opts.seconds),
    sent: 0,
    accepted: 0,
    refused: 0,
    refusals: {},
    received: 0,
    fromRequest: [],
    fromAccepted: [],
    acceptMs: [],
    fromAcceptedAt: [],
  };
  for (let i = 0; i < opts.pairs; i++) {
    const [from, to] = await Promise.all([registerAndLogin(opts.frontendUrl), registerAndLogin(opts.frontendUrl)]);
    const res = await fetch(`${opts.frontendUrl}/v1/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${from.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'direct', members: [from.username, to.username] }),
    });
    const conversationId = ((await res.json()) as { conversation_id: string }).conversation_id;
    const ws = new WebSocket(`${opts.presenceUrl.replace('http', 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${to.accessToken}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString()) as { op: string; d: { payload?: { text?: string }; created_at?: string } };
        if (f.op === 'hello') return resolve();
        if (f.op !== 'message') return;
        const at = performance.now();
        const key = f.d.payload?.text ?? '';
        const t = sentAt.get(key);
        if (!t) return;
        sentAt.delete(key);
        if (!t.measured) return;
        result.received += 1;
        result.fromRequest.push(at - t.request);
        if (f.d.created_at) result.fromAcceptedAt.push(Date.now() - Date.parse(f.d.created_at));
        if (t.accepted !== undefined) result.fromAccepted.push(at - t.accepted);
      });
    });
    const ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"op":"ping"}'), 10_000);
    ws.once('close', () => clearInterval(ping));
    pairs.push({ from, to, conversationId, ws });
  }

  say(`  offering ${opts.rate} msg/s for ${opts.warmupS} s of warm-up, then ${opts.seconds} s measured, over ${opts.pairs} conversations…`);
  // node:http with a keep-alive pool: far less CPU per request than fetch, so the generator keeps the rate.
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(`${opts.frontendUrl}/v1/messages`);
  const post = (token: string, body: string) =>
    new Promise<number>((resolve, reject: (err: NodeJS.ErrnoException) => void) => {
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const refuse = (why: string) => {
    result.refused += 1;
    result.refusals[why] = (result.refusals[why] ?? 0) + 1;
  };
  const warmup = Math.round(opts.rate * opts.warmupS);
  const total = warmup + result.offered;
  const started = performance.now();
  const tickMs = 10;
  let n = 0;
  const inflight = new Set<Promise<void>>();
  let cpu: ReturnType<typeof cpuShares> | undefined;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      const due = Math.min(total, Math.floor((elapsed / 1000) * opts.rate));
      if (n >= warmup && !cpu && opts.watched) cpu = cpuShares(opts.watched);
      while (n < due) {
        const pair = pairs[n % pairs.length]!;
        const key = `lat-${n}`;
        const measured = n >= warmup;
        n += 1;
        // From the scheduled send time, so time queued in the generator counts too.
        const t = { request: started + ((n - 1) / opts.rate) * 1000, measured } as {
          request: number;
          accepted?: number;
          measured: boolean;
        };
        sentAt.set(key, t);
        if (measured) result.sent += 1;
        const p = post(
          pair.from.accessToken,
          JSON.stringify({ conversation_id: pair.conversationId, from: pair.from.username, payload: { type: 'text', text: key } }),
        )
          .then((status) => {
            if (status === 202) {
              t.accepted = performance.now();
              if (!measured) return;
              result.accepted += 1;
              result.acceptMs.push(t.accepted - t.request);
            } else {
              if (measured) refuse(`HTTP ${status}`);
              sentAt.delete(key);
            }
          })
          .catch((err: NodeJS.ErrnoException) => {
            if (measured) refuse(err.code ?? err.message);
            sentAt.delete(key);
          })
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (n >= total) {
        if (cpu) result.cpu = cpu.stop();
        clearInterval(timer);
        resolve();
      }
      if (Math.floor(elapsed / 5000) !== Math.floor((elapsed - tickMs) / 5000))
        say(`    t+${Math.round(elapsed / 1000)}s sent ${result.sent}, accepted ${result.accepted}, frames ${result.received}`);
    }, tickMs);
  });
  await Promise.all([...inflight]);
  // Frames still on their way after the last answer (bounded).
  const deadline = Date.now() + 60_000;
  while (result.received < result.accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const p of pairs) p.ws.terminate();
  agent.destroy();
  return result;
}

export function percentiles(values: number[]): string {
  if (values.length === 0) return 'n/a';
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1);
  return `p50 ${at(50)} ms, p95 ${at(95)} ms, p99 ${at(99)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`;
}
