import { ResumeTracker } from './resume-tracker.js';
import { backoffDelay, type BackoffOptions } from './retry.js';
import {
  CloseCodes,
  type AcceptedData,
  type ClientFrame,
  type ErrorData,
  type FrameErrorCode,
  type HelloData,
  type MessageData,
  type MessagePayload,
  type PresenceData,
  type ServerFrame,
  type StatusData,
  type TypingData,
} from './ws-frames.js';

/** The event shapes the client reads; the browser's and `ws`'s events both fit. */
export interface WebSocketEventLike {
  data?: unknown;
  code?: number;
  reason?: string;
  message?: string;
}

/** The part of the WebSocket API the client uses (the browser's, Node ≥ 22's global, or the `ws` package's). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: WebSocketEventLike) => void): void;
}

export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocketLike;

/** Supplies access tokens; `renewAccessToken` is asked after the hub closed with 4010 or refused the handshake. */
export interface SocketAuth {
  getAccessToken(): Promise<string | undefined>;
  renewAccessToken?(rejected: string): Promise<string | undefined>;
}

export interface HubSocketOptions {
  /** `ws(s)://host/v1/ws`. */
  url: string;
  /** Where access tokens come from (HubClient.connect() wires its TokenManager here). Or pass `token`. */
  auth?: SocketAuth;
  token?: string;
  /** Default: globalThis.WebSocket (browsers, Node ≥ 22). Node 20: `import WebSocket from 'ws'`. */
  WebSocket?: WebSocketConstructor;
  /**
   * How the token travels: `query` (`?access_token=`, the only way a
   * browser can) or `header` (`Authorization`, needs a constructor that
   * takes headers such as `ws`; keeps tokens out of proxy logs). Default:
   * `header` when a constructor is injected, else `query`.
   */
  tokenIn?: 'query' | 'header';
  /** Acknowledge each message once every `message` listener ran (default true). With false, call `ack(message)` yourself, in order. */
  autoAck?: boolean;
  /** Per conversation, the last sequence this device has (e.g. persisted from `positions()`): resumed after connecting. */
  resumeFrom?: Record<string, number>;
  /** Reconnect backoff (defaults: 500 ms doubling to 30 s, half jitter). */
  reconnect?: BackoffOptions & { maxAttempts?: number };
  /** A `send` not accepted within this time rejects with code `timeout` (default 30 000 ms). */
  sendTimeoutMs?: number;
  /** How many message ids are remembered for de-duplication (default 10 000). */
  dedupCapacity?: number;
  /** Source of client_msg_id values (default crypto.randomUUID). */
  newId?: () => string;
}

export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface CloseInfo {
  code: number;
  reason: string;
  /** False when the client stops: closed by you, session revoked (4001), or out of attempts. */
  willReconnect: boolean;
}

export interface HubSocketEvents {
  open: HelloData;
  message: MessageData;
  status: StatusData;
  typing: TypingData;
  presence: PresenceData;
  accepted: AcceptedData;
  error: ErrorData | HubSocketError;
  close: CloseInfo;
  reconnecting: { attempt: number; delayMs: number };
  state: SocketState;
}

/** A `send` or connection the hub refused (`code` is the frame error code), or a local failure (`timeout`, `closed`, `auth`). */
export class HubSocketError extends Error {
  override readonly name = 'HubSocketError';
  constructor(
    readonly code: FrameErrorCode | 'timeout' | 'closed' | 'auth',
    message: string,
    readonly clientMsgId?: string,
  ) {
    super(message);
  }
}

interface PendingSend {
  frame: Extract<ClientFrame, { op: 'send' }>;
  resolve: (a: AcceptedData) => void;
  reject: (e: HubSocketError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;
/** Local close code for a connection that stopped answering heartbeats. */
const CLIENT_HEARTBEAT_TIMEOUT = 4000;

/**
 * A WebSocket client for `/v1/ws` that stays connected: heartbeats,
 * reconnects with backoff and jitter, resumes each conversation from the
 * last acknowledged sequence, acknowledges messages, drops repeats (by
 * message_id) and resolves each `send` on its `accepted` frame. Sends made
 * while disconnected wait and go out after the next `hello`; resending is
 * safe because `client_msg_id` is the message's idempotency key.
 */
export class HubSocket {
  private ws: WebSocketLike | undefined;
  private stateValue: SocketState = 'idle';
  private attempts = 0;
  private failuresBeforeHello = 0;
  private handshakeStatus: number | undefined;
  private tokenInUse: string | undefined;
  private hello: HelloData | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFrameAt = 0;
  private readonly tracker: ResumeTracker;
  private readonly pending = new Map<string, PendingSend>();
  private readonly listeners = new Map<keyof HubSocketEvents, Set<(data: never) => void>>();

  constructor(private readonly opts: HubSocketOptions) {
    this.tracker = new ResumeTracker(opts.dedupCapacity ?? 10_000, opts.resumeFrom ?? {});
  }

  get state(): SocketState {
    return this.stateValue;
  }

  /** The user this connection is for, once the hub said hello. */
  get user(): string | undefined {
    return this.hello?.user;
  }

  on<E extends keyof HubSocketEvents>(event: E, listener: (data: HubSocketEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (data: never) => void);
    return () => set.delete(listener as (data: never) => void);
  }

  /** Resolves with the next event of that kind. */
  once<E extends keyof HubSocketEvents>(event: E): Promise<HubSocketEvents[E]> {
    return new Promise((resolve) => {
      const off = this.on(event, (d) => {
        off();
        resolve(d);
      });
    });
  }

  /** Starts connecting (HubClient.connect() calls it). Safe to call again after close(). */
  connect(): void {
    if (this.stateValue === 'connecting' || this.stateValue === 'open' || this.stateValue === 'reconnecting') return;
    this.attempts = 0;
    this.setState('connecting');
    void this.open();
  }

  /** Stops for good: closes the socket, no reconnect; waiting sends reject with code `closed`. */
  close(code = 1000, reason = 'client closed'): void {
    const wasOpen = this.ws !== undefined;
    this.setState('closed');
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = undefined;
    try {
      ws?.close(code, reason);
    } catch {
      // already closing
    }
    this.failPending(new HubSocketError('closed', 'the socket was closed before the hub accepted this send'));
    if (wasOpen) this.emit('close', { code, reason, willReconnect: false });
  }

  /**
   * Sends a message; resolves with `{client_msg_id, message_id}` when the
   * hub accepted it (stored in Kafka), rejects with a HubSocketError when it
   * refused. Pass your own `clientMsgId` to make a retry after a restart
   * count as the same message.
   */
  send(conversationId: string, payload: MessagePayload, opts: { clientMsgId?: string } = {}): Promise<AcceptedData> {
    const clientMsgId = opts.clientMsgId ?? (this.opts.newId ?? (() => globalThis.crypto.randomUUID()))();
    if (this.stateValue === 'closed')
      return Promise.reject(new HubSocketError('closed', 'the socket is closed: connect() again first', clientMsgId));
    const existing = this.pending.get(clientMsgId);
    if (existing) return new Promise((resolve, reject) => this.chain(existing, resolve, reject));
    return new Promise<AcceptedData>((resolve, reject) => {
      const frame: PendingSend['frame'] = { op: 'send', d: { client_msg_id: clientMsgId, conversation_id: conversationId, payload } };
      const timer = setTimeout(() => {
        this.pending.delete(clientMsgId);
        reject(
          new HubSocketError('timeout', `no accepted frame for ${clientMsgId} within ${this.opts.sendTimeoutMs ?? 30_000} ms`, clientMsgId),
        );
      }, this.opts.sendTimeoutMs ?? 30_000);
      this.pending.set(clientMsgId, { frame, resolve, reject, timer });
      if (this.isOpen()) this.write(frame);
    });
  }

  /** Acknowledges a message (needed only with `autoAck: false`); acknowledge in sequence order. */
  ack(message: Pick<MessageData, 'message_id' | 'conversation_id' | 'sequence_number' | 'from'>): void {
    this.tracker.markAcked(message);
    if (message.from !== this.hello?.user) this.write({ op: 'ack', d: { message_id: message.message_id } });
  }

  /** Marks everything up to `upToSeq` in the conversation read (and delivered). */
  markRead(conversationId: string, upToSeq: number): void {
    this.write({ op: 'read', d: { conversation_id: conversationId, up_to_seq: upToSeq } });
  }

  typing(conversationId: string): void {
    this.write({ op: 'typing', d: { conversation_id: conversationId } });
  }

  /** Per conversation, the last acknowledged sequence: persist it to resume from there in a new process (`resumeFrom`). */
  positions(): Record<string, number> {
    return this.tracker.positions();
  }

  private chain(p: PendingSend, resolve: (a: AcceptedData) => void, reject: (e: HubSocketError) => void): void {
    const { resolve: r0, reject: j0 } = p;
    p.resolve = (a) => (r0(a), resolve(a));
    p.reject = (e) => (j0(e), reject(e));
  }

  private isOpen(): boolean {
    return this.stateValue === 'open' && this.ws?.readyState === OPEN;
  }

  /** Frames written while not connected are dropped: the hub re-sends unacknowledged messages, and sends wait in `pending`. */
  private write(frame: ClientFrame): void {
    if (!this.isOpen()) return;
    try {
      this.ws!.send(JSON.stringify(frame));
    } catch {
      // the close event follows
    }
  }

  private async open(): Promise<void> {
    let token: string | undefined;
    try {
      token = this.opts.token ?? (await this.opts.auth?.getAccessToken());
    } catch (err) {
      return this.stop(new HubSocketError('auth', `no access token: ${(err as Error).message}`));
    }
    if (this.stateValue === 'closed') return;
    if (!token) return this.stop(new HubSocketError('auth', 'no access token: log in first'));
    this.tokenInUse = token;
    const Ctor = this.opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor)
      return this.stop(
        new HubSocketError('closed', 'no WebSocket implementation: pass one as the WebSocket option (Node 20: the ws package)'),
      );
    const inHeader = (this.opts.tokenIn ?? (this.opts.WebSocket ? 'header' : 'query')) === 'header';
    const target = inHeader
      ? this.opts.url
      : `${this.opts.url}${this.opts.url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
    let ws: WebSocketLike;
    try {
      ws = inHeader ? new Ctor(target, undefined, { headers: { authorization: `Bearer ${token}` } }) : new Ctor(target);
    } catch (err) {
      return this.stop(new HubSocketError('closed', `cannot open ${this.opts.url}: ${(err as Error).message}`));
    }
    this.ws = ws;
    this.hello = undefined;
    ws.addEventListener('message', (ev) => {
      if (this.ws === ws) this.onFrame(ev.data);
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws === ws) this.onClose(ev.code ?? 1006, ev.reason ?? '');
    });
    // Without an error listener the ws package would throw; the close event that follows decides what happens.
    // The ws package names a refused handshake's status in the error ("Unexpected server response: 401"); browsers do not.
    this.handshakeStatus = undefined;
    ws.addEventListener('error', (ev) => {
      const status = /Unexpected server response: (\d{3})/.exec(ev.message ?? '')?.[1];
      if (this.ws === ws && status) this.handshakeStatus = Number(status);
    });
  }

  private onFrame(raw: unknown): void {
    this.lastFrameAt = Date.now();
    let frame: ServerFrame;
    try {
      const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw as ArrayBuffer | Uint8Array);
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.op) {
      case 'hello':
        return this.onHello(frame.d);
      case 'message':
        return this.onMessage(frame.d);
      case 'accepted': {
        const p = this.pending.get(frame.d.client_msg_id);
        if (p) {
          this.pending.delete(frame.d.client_msg_id);
          clearTimeout(p.timer);
          p.resolve(frame.d);
        }
        return this.emit('accepted', frame.d);
      }
      case 'error': {
        const id = frame.d.client_msg_id;
        const p = id !== undefined ? this.pending.get(id) : undefined;
        if (p && id !== undefined) {
          this.pending.delete(id);
          clearTimeout(p.timer);
          p.reject(new HubSocketError(frame.d.code, frame.d.message, id));
        }
        return this.emit('error', frame.d);
      }
      case 'status':
        return this.emit('status', frame.d);
      case 'typing':
        return this.emit('typing', frame.d);
      case 'presence':
        return this.emit('presence', frame.d);
      default:
        return;
    }
  }

  private onHello(hello: HelloData): void {
    this.hello = hello;
    this.attempts = 0;
    this.failuresBeforeHello = 0;
    this.setState('open');
    this.startHeartbeat(hello.heartbeat_interval);
    const positions = this.tracker.positions();
    if (Object.keys(positions).length > 0) this.write({ op: 'resume', d: { conversations: positions } });
    for (const p of this.pending.values()) this.write(p.frame);
    this.emit('open', hello);
  }

  private onMessage(m: MessageData): void {
    if (!this.tracker.receive(m)) {
      // A repeat (reconnect, resume). Its first ack may have been lost with the old connection: repeat it, acks are idempotent.
      if (this.tracker.wasAcked(m) && m.from !== this.hello?.user) this.write({ op: 'ack', d: { message_id: m.message_id } });
      return;
    }
    this.emit('message', m);
    if (this.opts.autoAck ?? true) this.ack(m);
  }

  private onClose(code: number, reason: string): void {
    this.ws = undefined;
    this.stopHeartbeat();
    const hadHello = this.hello !== undefined;
    this.hello = undefined;
    if (this.stateValue === 'closed') return;
    if (!hadHello) this.failuresBeforeHello++;
    if (code === CloseCodes.sessionRevoked) {
      this.emit('close', { code, reason, willReconnect: false });
      return this.stop(new HubSocketError('auth', `session revoked (${code}): log in again`), false);
    }
    if (this.handshakeStatus === 403) {
      this.emit('close', { code, reason, willReconnect: false });
      return this.stop(
        new HubSocketError('auth', 'the hub refused the WebSocket for this token (403: API client tokens use REST and webhooks)'),
        false,
      );
    }
    const max = this.opts.reconnect?.maxAttempts ?? Infinity;
    if (this.attempts >= max) {
      this.emit('close', { code, reason, willReconnect: false });
      return this.stop(new HubSocketError('closed', `gave up after ${this.attempts} reconnect attempts`), false);
    }
    this.emit('close', { code, reason, willReconnect: true });
    // 1009: a frame was over the hub's size limit. Resending it would fail again, so the waiting sends fail instead of looping.
    if (code === CloseCodes.tooBig)
      this.failPending(new HubSocketError('closed', `the hub closed the socket: a frame was too large (${code})`));
    // A rate-limit close asks for a longer pause than a restart does.
    if (code === CloseCodes.rateLimited) this.attempts = Math.max(this.attempts, 3);
    // Renew after 4010, after a refused handshake (401), and once per streak of connections that never said hello (browsers cannot see the 401).
    const renew = code === CloseCodes.tokenExpired || this.handshakeStatus === 401 || this.failuresBeforeHello === 2;
    const delayMs =
      code === CloseCodes.tokenExpired && this.attempts === 0
        ? 0
        : backoffDelay(this.attempts, { initialDelayMs: 500, maxDelayMs: 30_000, ...this.opts.reconnect });
    this.attempts++;
    this.setState('reconnecting');
    this.emit('reconnecting', { attempt: this.attempts, delayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnect(renew);
    }, delayMs);
  }

  /**
   * Skips the rest of a reconnect backoff and tries at once: for when the
   * caller knows the network is back (a browser's `online` event). Does
   * nothing unless a reconnect is waiting.
   */
  reconnectNow(): void {
    if (this.stateValue !== 'reconnecting' || !this.reconnectTimer) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    void this.reconnect(this.failuresBeforeHello >= 2);
  }

  private async reconnect(renew: boolean): Promise<void> {
    if (this.stateValue === 'closed') return;
    if (renew && this.tokenInUse && this.opts.auth?.renewAccessToken) {
      try {
        await this.opts.auth.renewAccessToken(this.tokenInUse);
      } catch (err) {
        return this.stop(new HubSocketError('auth', `cannot renew the access token: ${(err as Error).message}`));
      }
    }
    this.setState('connecting');
    await this.open();
  }

  private startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    this.lastFrameAt = Date.now();
    const every = Math.max(100, Math.floor(intervalMs / 2));
    this.heartbeat = setInterval(() => {
      // No frame (not even a pong) for two intervals: the path is dead even if TCP has not noticed yet.
      if (Date.now() - this.lastFrameAt > 2 * intervalMs + every) return this.drop(CLIENT_HEARTBEAT_TIMEOUT, 'no pong from the hub');
      this.write({ op: 'ping' });
    }, every);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Abandons the current socket without waiting for its close handshake, then reconnects. */
  private drop(code: number, reason: string): void {
    const ws = this.ws;
    this.ws = undefined;
    try {
      ws?.close(code, reason);
    } catch {
      // ignore
    }
    this.onClose(code, reason);
  }

  private stop(error: HubSocketError, emitClose = true): void {
    this.setState('closed');
    this.stopHeartbeat();
    this.failPending(error);
    this.emit('error', error);
    if (emitClose) this.emit('close', { code: 1000, reason: error.message, willReconnect: false });
  }

  private failPending(error: HubSocketError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new HubSocketError(error.code, error.message, id));
    }
    this.pending.clear();
  }

  private setState(s: SocketState): void {
    if (this.stateValue === s) return;
    this.stateValue = s;
    this.emit('state', s);
  }

  private emit<E extends keyof HubSocketEvents>(event: E, data: HubSocketEvents[E]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        (l as (d: HubSocketEvents[E]) => void)(data);
      } catch {
        // a listener's failure must not break the connection
      }
    }
  }
}
