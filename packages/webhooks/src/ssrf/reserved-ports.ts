/** The configuration a service knows about the hub's own listeners and the servers of its stack (all optional: each service knows some). */
export interface HubEndpointsConfig {
  GATEWAY_PORT?: number | undefined;
  FRONTEND_PORT?: number | undefined;
  ROUTER_PORT?: number | undefined;
  PRESENCE_PORT?: number | undefined;
  FILES_PORT?: number | undefined;
  KAFKA_BROKERS?: readonly string[] | undefined;
  MONGO_URL?: string | undefined;
  ETCD_HOSTS?: readonly string[] | undefined;
  REDIS_URL?: string | undefined;
  S3_ENDPOINT?: string | undefined;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'mongodb:': 27017, 'redis:': 6379, 'rediss:': 6379 };

/**
 * The ports of the hub's own services and of its stack's servers (Kafka,
 * MongoDB, etcd, Redis, S3). A webhook is never sent to them on an
 * internal address, even one the allow-list admits: those answers would
 * land in the delivery log, which would make webhooks a port scanner with
 * read-back. Built from configuration at boot; a service adds the port it
 * actually bound (port 0 in tests) once it listens.
 */
export class ReservedPorts {
  private readonly byPort = new Map<number, string>();

  add(port: number, what: string): void {
    if (port > 0 && port <= 65_535 && !this.byPort.has(port)) this.byPort.set(port, what);
  }

  /** Adds the port a server actually listens on (a service configured with port 0 learns it only then). */
  addListening(server: { address(): string | { port: number } | null }, what: string): void {
    const a = server.address();
    if (a && typeof a === 'object') this.add(a.port, what);
  }

  /** What listens on the port (e.g. "etcd (ETCD_HOSTS)"), or undefined when the port is not the hub's. */
  owner(port: number): string | undefined {
    return this.byPort.get(port);
  }

  get ports(): number[] {
    return [...this.byPort.keys()].sort((a, b) => a - b);
  }
}

/** The reserved ports named by a service's validated config. */
export function reservedPortsFromConfig(config: HubEndpointsConfig): ReservedPorts {
  const r = new ReservedPorts();
  const services: Array<[keyof HubEndpointsConfig, string]> = [
    ['GATEWAY_PORT', 'gateway'],
    ['FRONTEND_PORT', 'frontend service'],
    ['ROUTER_PORT', 'router service'],
    ['PRESENCE_PORT', 'presence service'],
    ['FILES_PORT', 'files service'],
  ];
  for (const [key, what] of services) {
    const port = config[key];
    if (typeof port === 'number') r.add(port, `${what} (${key})`);
  }
  for (const broker of config.KAFKA_BROKERS ?? []) r.add(Number(broker.slice(broker.lastIndexOf(':') + 1)), 'Kafka broker (KAFKA_BROKERS)');
  for (const port of urlPorts(config.MONGO_URL)) r.add(port, 'MongoDB server (MONGO_URL)');
  for (const host of config.ETCD_HOSTS ?? []) for (const port of urlPorts(host)) r.add(port, 'etcd server (ETCD_HOSTS)');
  for (const port of urlPorts(config.REDIS_URL)) r.add(port, 'Redis server (REDIS_URL)');
  for (const port of urlPorts(config.S3_ENDPOINT)) r.add(port, 'S3 server (S3_ENDPOINT)');
  return r;
}

/**
 * The ports of a server URL, with the scheme's default when none is
 * written. A MongoDB URL may list several hosts (`mongodb://a:1,b:2/db`);
 * `mongodb+srv` URLs name no ports (DNS does), so they give none.
 */
function urlPorts(raw: string | undefined): number[] {
  if (!raw) return [];
  const m = /^([a-z][a-z0-9+.-]*:)\/\/(?:[^@/?#]*@)?([^/?#]*)/i.exec(raw);
  if (!m) return [];
  const scheme = m[1]!.toLowerCase();
  const fallback = DEFAULT_PORTS[scheme];
  if (fallback === undefined) return [];
  return m[2]!.split(',').map((hostPort) => {
    const port = /:(\d+)$/.exec(hostPort)?.[1];
    return port === undefined ? fallback : Number(port);
  });
}
