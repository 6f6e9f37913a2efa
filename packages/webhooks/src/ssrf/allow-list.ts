import ipaddr from 'ipaddr.js';

/** A port range, both ends included. */
export interface PortRange {
  from: number;
  to: number;
}

/** One WEBHOOK_ALLOWED_CIDRS entry: a network and, optionally, the only ports allowed on it. */
export interface AllowEntry {
  net: [ipaddr.IPv4 | ipaddr.IPv6, number];
  /** Undefined: any port (except the hub's own, see ReservedPorts). */
  ports?: PortRange;
  /** The entry as written, for messages. */
  text: string;
}

export const ALLOW_ENTRY_SYNTAX =
  'ADDRESS[/BITS][:PORT[-PORT]] for IPv4 or [IPv6[/BITS]][:PORT[-PORT]] for IPv6, e.g. 127.0.0.1/32:8088, 127.0.0.1:9000-9099, [::1]:9000, 10.0.0.0/8 (any port)';

/**
 * Parses one allow-list entry. An address without /BITS is one host; an
 * entry without a port allows every port of the network except the hub's
 * own. IPv4 addresses must be written as four decimal parts, so the list
 * reads the same to people and to the parser.
 */
export function parseAllowEntry(text: string): AllowEntry {
  const fail = (why: string): never => {
    throw new Error(`${JSON.stringify(text)}: ${why}; expected ${ALLOW_ENTRY_SYNTAX}`);
  };
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if ((text.match(/:/g) ?? []).length > 1) {
    host = text; // bare IPv6: no port can follow without brackets
  } else {
    const colon = text.indexOf(':');
    host = colon >= 0 ? text.slice(0, colon) : text;
    portText = colon >= 0 ? text.slice(colon + 1) : undefined;
  }
  const [addrText, bitsText, extra] = host.split('/');
  if (extra !== undefined || !addrText) fail('not an address or CIDR');
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(addrText!)) addr = ipaddr.IPv4.parse(addrText!);
  else if (ipaddr.IPv6.isValid(addrText!)) addr = ipaddr.IPv6.parse(addrText!);
  else return fail(`${JSON.stringify(addrText)} is not an IP address`);
  const maxBits = addr.kind() === 'ipv4' ? 32 : 128;
  let bits = maxBits;
  if (bitsText !== undefined) {
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > maxBits) fail(`prefix length "/${bitsText}" is not 0-${maxBits}`);
    bits = Number(bitsText);
  }
  const entry: AllowEntry = { net: [addr, bits], text };
  if (portText !== undefined) entry.ports = parsePortRange(portText, fail);
  return entry;
}

function parsePortRange(text: string, fail: (why: string) => never): PortRange {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return fail(`port "${text}" is not a number or a range like 9000-9099`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65_535 || from > to) return fail(`port "${text}" is not within 1-65535 (lower end first)`);
  return { from, to };
}

/** Parses the comma-separated WEBHOOK_ALLOWED_CIDRS value; throws naming the first bad entry. */
export function parseAllowList(value: string): AllowEntry[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseAllowEntry);
}

export function describePorts(p: PortRange): string {
  return p.from === p.to ? `port ${p.from}` : `ports ${p.from}-${p.to}`;
}
