import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Principal } from '@hub/domain';
import { Counter, Gauge, ProblemError, type Logger, type Registry } from '@hub/platform';
import type { NodePush } from '@hub/push';
import { CloseCodes } from './close-codes';
import { Connection, type ConnectionLimits } from './connection';
import { FrameError } from './frame-error';
import { ClientFrames, errorFrame, parseClientFrame, type ClientFrame, type ServerFrame } from './frames';
import { authenticateUpgrade, refuseUpgrade, type TokenAuthenticator } from './handshake';
import type { LocalConnections } from './local-connections';

export const WS_PATH = '/v1/ws';

export interface GatewaySettings extends ConnectionLimits {
  heartbeatIntervalMs: number;
  heartbeatMisses: number;
  maxFrameBytes: number;
}

/** What happens around a connection's life and its frames; the gateway itself only speaks WebSocket. */
export interface ConnectionHooks {
  /**
   * Registers presence, calls `ready` (the node then sends `hello`: from
   * here the user is online and gets live messages), then starts catch-up.
   * Rejecting closes the socket (1011).
   */
  opened(conn: Connection, ready: () => void): Promise<void>;
  /** After the socket closed, for whatever reason. */
  closed(conn: Connection, lastOnNode: boolean): Promise<void>;
  /** One validated client frame (not `ping`); frames of one connection are handled one at a time, in order. Throw FrameError to answer with an error frame. */
  frame(conn: Connection, frame: Exclude<ClientFrame, { op: 'ping' }>): Promise<void>;
  /** A frame from the node bus for one of this node's connections (`message` frames go through catch-up ordering). */
  deliver?(conn: Connection, frame: ServerFrame): void;
}

export interface GatewayDeps {
  node: string;
  logger: Logger;
  registry: Registry;
  authenticate: TokenAuthenticator;
  settings: GatewaySettings;
  connections: LocalConnections;
  hooks: ConnectionHooks;
}

/**
 * The WebSocket endpoint (`/v1/ws`) on the service's HTTP server: the token
 * is checked before the upgrade (401/403 problem+json, no socket), then
 * `hello`, heartbeats, per-connection limits, and one in-order frame queue
 * per connection. One timer per node checks heartbeats and token expiry,
 * so an idle connection costs no timers of its own.
 */
export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly queues = new WeakMap<Connection, Promise<void>>();
  private readonly opened = new WeakMap<Connection, Promise<void>>();
  private readonly closing = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private draining = false;
  private readonly metrics: { connections: Gauge; frames: Counter; sent: Counter; closes: Counter; refused: Counter; slow: Counter };

  constructor(private readonly d: GatewayDeps) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: d.settings.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.metrics = {
      connections: new Gauge({ name: 'ws_connections', help: 'Open WebSocket connections on this node', registers: [d.registry] }),
      frames: new Counter({
        name: 'ws_frames_received_total',
        help: 'Client frames by op and outcome',
        labelNames: ['op', 'outcome'],
        registers: [d.registry],
      }),
      sent: new Counter({
        name: 'ws_frames_sent_total',
        help: 'Server frames queued on connections, by op',
        labelNames: ['op'],
        registers: [d.registry],
      }),
      closes: new Counter({
        name: 'ws_closes_total',
        help: 'Closed WebSocket connections by close code',
        labelNames: ['code'],
        registers: [d.registry],
      }),
      slow: new Counter({
        name: 'ws_slow_consumers_total',
        help: 'Connections cut because their send buffer overflowed',
        registers: [d.registry],
      }),
      refused: new Counter({
        name: 'ws_upgrades_refused_total',
        help: 'Upgrade requests refused by HTTP status',
        labelNames: ['status'],
        registers: [d.registry],
      }),
    };
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    const every = Math.max(50, Math.min(Math.floor(this.d.settings.heartbeatIntervalMs / 2), 5_000));
    this.timer = setInterval(() => this.checkLiveness(Date.now()), every);
    this.timer.unref();
  }

  /** Closes every socket of a revoked session (4001). */
  revokeSession(sessionId: string): number {
    const conns = [...this.d.connections.ofSession(sessionId)];
    for (const conn of conns) conn.close(CloseCodes.sessionRevoked, 'session revoked');
    return conns.length;
  }

  /** Hands a node-bus delivery to the connections of its users on this node. */
  deliver(delivery: NodePush): void {
    for (const user of delivery.users) {
      for (const conn of this.d.connections.ofUser(user)) {
        if (this.d.hooks.deliver) this.d.hooks.deliver(conn, delivery.frame);
        else conn.send(delivery.frame);
      }
    }
  }

  /** Refuses new upgrades, closes every socket with 1001 and waits for their clean-up (presence offline). */
  async stop(): Promise<void> {
    this.draining = true;
    clearInterval(this.timer);
    for (const conn of this.d.connections.connections()) conn.close(CloseCodes.goingAway, 'node shutting down: reconnect and resume');
    const deadline = Date.now() + 3_000;
    while (this.d.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await Promise.allSettled([...this.closing]);
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (path !== WS_PATH)
      return this.refuse(socket, new ProblemError('not_found', `no WebSocket endpoint at ${path}; connect to ${WS_PATH}`), path);
    if (this.draining)
      return this.refuse(
        socket,
        new ProblemError('unavailable', 'this node is shutting down; connect again', { headers: { 'Retry-After': '1' } }),
        path,
      );
    let auth;
    try {
      auth = await authenticateUpgrade(req, this.d.authenticate);
    } catch (err) {
      if (err instanceof ProblemError) return this.refuse(socket, err, path);
      this.d.logger.warn({ err: { message: (err as Error).message } }, 'upgrade authentication failed');
      return this.refuse(
        socket,
        new ProblemError('unavailable', 'could not check the session; retry shortly', { headers: { 'Retry-After': '1' } }),
        path,
      );
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, auth.principal, auth.expiresAt));
  }

  private refuse(socket: Duplex, err: ProblemError, path: string): void {
    this.metrics.refused.inc({ status: String(err.status) });
    refuseUpgrade(socket, err, path);
  }

  private open(ws: WebSocket, principal: Extract<Principal, { kind: 'user' }>, expiresAt: number): void {
    const user = principal.subject;
    const conn = new Connection(
      randomUUID(),
      principal,
      expiresAt,
      ws,
      this.d.settings,
      Date.now(),
      () => this.metrics.slow.inc(),
      (op) => this.metrics.sent.inc({ op }),
    );
    this.d.connections.add(conn);
    this.metrics.connections.inc();
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on('error', (err) => this.d.logger.debug({ err: { message: err.message }, conn: conn.id }, 'websocket error'));
    ws.once('close', (code) => {
      conn.closed = true;
      this.metrics.connections.dec();
      this.metrics.closes.inc({ code: String(code) });
      const lastOnNode = this.d.connections.remove(conn);
      const done = (this.opened.get(conn) ?? Promise.resolve())
        .catch(() => {})
        .then(() => this.d.hooks.closed(conn, lastOnNode))
        .catch((err: Error) => this.d.logger.warn({ err: { message: err.message }, user }, 'connection clean-up failed'));
      this.closing.add(done);
      // `done` ends in a catch, so this never rejects; stop() awaits what is left in `closing`.
      void done.finally(() => this.closing.delete(done));
    });
    const hello = () => conn.send({ op: 'hello', d: { heartbeat_interval: this.d.settings.heartbeatIntervalMs, node: this.d.node, user } });
    const opened = this.d.hooks.opened(conn, hello).catch((err: Error) => {
      this.d.logger.warn({ err: { message: err.message }, user }, 'connection set-up failed');
      conn.close(1011, 'presence unavailable; reconnect shortly');
    });
    this.opened.set(conn, opened);
    // Frames that arrive during set-up wait for it: a `send` or `read` before
    // presence is registered would race the catch-up.
    this.queues.set(conn, opened);
  }

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.closed) return;
    if (conn.admit(Date.now()) !== 'ok') {
      this.metrics.frames.inc({ op: 'any', outcome: 'rate_limited' });
      return;
    }
    if (isBinary) {
      this.metrics.frames.inc({ op: 'binary', outcome: 'invalid' });
      conn.send(errorFrame('invalid_frame', 'binary frames are not supported; send JSON text frames'));
      return;
    }
    const parsed = parseClientFrame(data.toString());
    if (!parsed.ok) {
      // The op of a refused frame is the client's text: only known ops become label values.
      this.metrics.frames.inc({
        op: parsed.op !== undefined && Object.hasOwn(ClientFrames, parsed.op) ? parsed.op : 'unknown',
        outcome: parsed.code,
      });
      conn.send(errorFrame(parsed.code, parsed.message, parsed.op ? { op: parsed.op } : {}));
      return;
    }
    const frame = parsed.frame;
    if (frame.op === 'ping') {
      this.metrics.frames.inc({ op: 'ping', outcome: 'ok' });
      conn.send({ op: 'pong', d: {} });
      return;
    }
    const previous = this.queues.get(conn) ?? Promise.resolve();
    const next = previous.then(() => this.handle(conn, frame));
    this.queues.set(conn, next);
  }

  private async handle(conn: Connection, frame: Exclude<ClientFrame, { op: 'ping' }>): Promise<void> {
    if (conn.closed) return;
    try {
      await this.d.hooks.frame(conn, frame);
      this.metrics.frames.inc({ op: frame.op, outcome: 'ok' });
    } catch (err) {
      if (err instanceof FrameError) {
        this.metrics.frames.inc({ op: frame.op, outcome: err.code });
        conn.send(errorFrame(err.code, err.message, { op: frame.op, ...err.extra }));
        return;
      }
      this.metrics.frames.inc({ op: frame.op, outcome: 'internal' });
      this.d.logger.error({ err, op: frame.op, user: conn.user }, 'frame handler failed');
      conn.send(errorFrame('internal', 'the frame could not be handled; retry', { op: frame.op }));
    }
  }

  private checkLiveness(now: number): void {
    const idleLimit = this.d.settings.heartbeatIntervalMs * this.d.settings.heartbeatMisses;
    for (const conn of this.d.connections.connections()) {
      if (now - conn.lastSeen > idleLimit) conn.close(CloseCodes.heartbeatTimeout, 'missed heartbeats: reconnect and resume');
      else if (now >= conn.expiresAt) conn.close(CloseCodes.tokenExpired, 'access token expired: refresh it, reconnect and resume');
    }
  }
}
