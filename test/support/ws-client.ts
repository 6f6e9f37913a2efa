import WebSocket from 'ws';

export interface Frame {
  op: string;
  d: any;
}

/**
 * A real WebSocket client for tests: records every frame, waits for the
 * ones a test expects, and reports how the server closed the socket.
 */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Connects and resolves after the server's `hello`. Token in the Authorization header, or as `?access_token=` with `viaQuery`. */
  static async connect(baseUrl: string, token: string, opts: { viaQuery?: boolean; heartbeatMs?: number } = {}): Promise<TestClient> {
    const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/v1/ws${opts.viaQuery ? `?access_token=${encodeURIComponent(token)}` : ''}`;
    const ws = new WebSocket(wsUrl, opts.viaQuery ? {} : { headers: { authorization: `Bearer ${token}` } });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
    await client.next('hello');
    if (opts.heartbeatMs) {
      const timer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"op":"ping"}'), opts.heartbeatMs);
      ws.once('close', () => clearInterval(timer));
    }
    return client;
  }

  /** The HTTP answer to an upgrade the server refuses (status and problem+json body). */
  static async refused(
    baseUrl: string,
    opts: { token?: string; query?: string; path?: string } = {},
  ): Promise<{ status: number; body: any }> {
    const wsUrl = `${baseUrl.replace(/^http/, 'ws')}${opts.path ?? '/v1/ws'}${opts.query ?? ''}`;
    const ws = new WebSocket(wsUrl, opts.token ? { headers: { authorization: `Bearer ${opts.token}` } } : {});
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.terminate();
        reject(new Error('the upgrade was accepted'));
      });
      ws.once('error', () => {});
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      });
    });
  }

  send(op: string, d?: unknown): void {
    this.ws.send(JSON.stringify(d === undefined ? { op } : { op, d }));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Waits for the first frame (from `from` on) with this op matching `pred`. */
  async next(op: string, pred: (d: any) => boolean = () => true, opts: { timeoutMs?: number; from?: number } = {}): Promise<Frame> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    let from = opts.from ?? 0;
    for (;;) {
      for (; from < this.frames.length; from++) {
        const f = this.frames[from]!;
        if (f.op === op && pred(f.d)) return f;
      }
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`socket closed while waiting for ${op}; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${op} frame within ${opts.timeoutMs ?? 10_000} ms; last frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Frames with this op received so far. */
  all(op: string): Frame[] {
    return this.frames.filter((f) => f.op === op);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    return this.closed;
  }
}

export async function expectClose(client: TestClient, timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
  return Promise.race([
    client.closed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`socket not closed within ${timeoutMs} ms`)), timeoutMs)),
  ]);
}
