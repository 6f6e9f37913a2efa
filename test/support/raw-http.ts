import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * An HTTP/1.1 client on a bare TCP socket, for tests that must control the
 * exact bytes of a request line (which node:http and fetch normalise) and see
 * how the server treats the connection afterwards.
 */
export class RawHttpClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  /** Set once the server has closed or reset the connection. */
  ended: 'open' | 'closed' | 'reset' = 'open';

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('error', () => {
      this.ended = 'reset';
      this.wake();
    });
    socket.on('close', () => {
      if (this.ended === 'open') this.ended = 'closed';
      this.wake();
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawHttpClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new RawHttpClient(s)));
      s.once('error', reject);
    });
  }

  /** Writes bytes as given; resolves once they are handed to the kernel (rejects if the socket is gone). */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** The next complete response (Content-Length or chunked body), or an error saying how the connection ended. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.tryParse();
      if (parsed) return parsed;
      if (this.ended !== 'open') throw new Error(`connection ${this.ended} before a complete response (${this.buf.length} bytes buffered)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete response within ${timeoutMs} ms (${this.buf.length} bytes buffered)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves with how the connection ended, or 'open' if it is still open after `ms`. */
  async endedWithin(ms: number): Promise<RawHttpClient['ended']> {
    if (this.ended !== 'open') return this.ended;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        if (this.ended === 'open') return;
        clearTimeout(t);
        resolve();
      });
    });
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private tryParse(): RawResponse | undefined {
    const headEnd = this.buf.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine, ...lines] = this.buf.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let rest = this.buf.subarray(headEnd + 4);
    let body: Buffer;
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        if (lineEnd < 0) return undefined;
        const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
        if (rest.length < lineEnd + 2 + size + 2) return undefined;
        if (size === 0) {
          rest = rest.subarray(lineEnd + 4);
          break;
        }
        parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        rest = rest.subarray(lineEnd + 2 + size + 2);
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (rest.length < length) return undefined;
      body = rest.subarray(0, length);
      rest = rest.subarray(length);
    }
    this.buf = rest;
    return { status, headers, body: body.toString('utf8') };
  }
}

/** A chunked body of `total` bytes of JSON whitespace in `chunkSize` chunks, with the final chunk. */
export function chunkedBody(total: number, chunkSize = 64 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let sent = 0; sent < total; sent += chunkSize) {
    const n = Math.min(chunkSize, total - sent);
    out.push(Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), Buffer.alloc(n, ' '), Buffer.from('\r\n')]));
  }
  out.push(Buffer.from('0\r\n\r\n'));
  return out;
}
