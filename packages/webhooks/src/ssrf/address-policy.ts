import ipaddr from 'ipaddr.js';
import { describePorts, parseAllowEntry, type AllowEntry } from './allow-list';
import { ReservedPorts } from './reserved-ports';

/**
 * `category` says what kind of address it is ("a loopback address (127.0.0.0/8)"); `reason` is the whole sentence.
 * `byPort`: the address is allow-listed but the port is not (a hub port, or one its entries do not name).
 */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string; category: string; byPort?: true };

function refused(shown: string, category: string): AddressVerdict {
  return { allowed: false, reason: `${shown} is ${category}`, category };
}

/** Instance metadata endpoints (AWS, GCP, Azure, ECS, Alibaba, Oracle): refused even when an allowlist covers them. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192', 'fd00:ec2:0:0:0:0:0:254']);

const IPV4_RANGE_REASONS: Record<string, string> = {
  unspecified: 'an unspecified address (0.0.0.0/8)',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (169.254.0.0/16)',
  loopback: 'a loopback address (127.0.0.0/8)',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private network address (RFC 1918)',
  reserved: 'a reserved or documentation address',
  as112: 'an AS112 (DNS sink) address',
  amt: 'an AMT relay address',
};

const IPV6_RANGE_REASONS: Record<string, string> = {
  unspecified: 'the unspecified address (::)',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (fe80::/10)',
  loopback: 'the loopback address (::1)',
  uniqueLocal: 'a unique-local (private) address (fc00::/7)',
  rfc6145: 'an IPv4-translated address',
  rfc6052: 'a NAT64 address embedding an IPv4 address (64:ff9b::/96)',
  '6to4': 'a 6to4 address embedding an IPv4 address (2002::/16)',
  teredo: 'a Teredo address embedding an IPv4 address',
  reserved: 'a reserved or documentation address',
};

const GLOBAL_UNICAST_V6: [ipaddr.IPv4 | ipaddr.IPv6, number] = ipaddr.parseCIDR('2000::/3');

/**
 * Decides which IP address and port the hub may send webhooks to: only
 * globally routable unicast addresses. Refused: private (RFC 1918),
 * loopback, link-local, carrier-grade NAT, multicast, broadcast,
 * unspecified, reserved and documentation ranges, IPv6 unique-local and
 * everything outside 2000::/3, IPv6 forms that embed an IPv4 address
 * (IPv4-mapped addresses are judged as the IPv4 address they map), and the
 * cloud metadata addresses. The allowlist (WEBHOOK_ALLOWED_CIDRS entries,
 * e.g. `127.0.0.1/32:8088` for a local receiver in development) lifts the
 * range rules for the addresses and ports it covers, never the metadata
 * rule, and never for the hub's own ports (ReservedPorts): an internal
 * address is reachable only on a port that is not one of the hub's.
 */
export class AddressPolicy {
  private readonly allow: AllowEntry[];

  constructor(
    allowEntries: readonly string[] = [],
    private readonly reserved: ReservedPorts = new ReservedPorts(),
  ) {
    this.allow = allowEntries.map((e) => parseAllowEntry(e));
  }

  check(address: string, port: number): AddressVerdict {
    if (!ipaddr.isValid(address)) return refused(JSON.stringify(address), 'not an IP address');
    let addr = ipaddr.parse(address);
    let shown = address;
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
      addr = (addr as ipaddr.IPv6).toIPv4Address();
      shown = `${address} (IPv4-mapped ${addr.toString()})`;
    }
    const normalized = addr.kind() === 'ipv6' ? (addr as ipaddr.IPv6).toNormalizedString() : addr.toString();
    if (METADATA_ADDRESSES.has(normalized)) return refused(shown, 'a cloud metadata address');
    const rangeVerdict = this.rangeVerdict(addr, shown);
    if (rangeVerdict.allowed) return rangeVerdict;
    const covering = this.allow.filter(({ net: [net, bits] }) => net.kind() === addr.kind() && addr.match(net, bits));
    if (covering.length === 0) return rangeVerdict;
    const owner = this.reserved.owner(port);
    if (owner !== undefined) {
      const category = `port ${port} of an internal address, where the hub's own ${owner} listens`;
      return { allowed: false, reason: `${shown} port ${port} is where the hub's own ${owner} listens`, category, byPort: true };
    }
    if (covering.some((e) => !e.ports || (port >= e.ports.from && port <= e.ports.to))) return { allowed: true };
    const allowedPorts = covering.map((e) => describePorts(e.ports!)).join(', ');
    const category = `${rangeVerdict.category}, allow-listed only for ${allowedPorts} (not port ${port})`;
    return { allowed: false, reason: `${shown} is ${category}`, category, byPort: true };
  }

  /** The verdict of the range rules alone (no allowlist). */
  private rangeVerdict(addr: ipaddr.IPv4 | ipaddr.IPv6, shown: string): AddressVerdict {
    if (addr.kind() === 'ipv4') {
      const range = addr.range();
      if (range !== 'unicast') return refused(shown, IPV4_RANGE_REASONS[range] ?? `in the special-purpose range "${range}"`);
      return { allowed: true };
    }
    const v6 = addr as ipaddr.IPv6;
    const range = v6.range();
    if (range !== 'unicast') return refused(shown, IPV6_RANGE_REASONS[range] ?? `in the special-purpose range "${range}"`);
    if (!v6.match(GLOBAL_UNICAST_V6)) return refused(shown, 'not a global unicast address (outside 2000::/3)');
    return { allowed: true };
  }
}

/** Splits the comma-separated WEBHOOK_ALLOWED_CIDRS value and validates every entry; throws naming the first bad one. */
export function parseCidrList(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of list) parseAllowEntry(entry);
  return list;
}

export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host);
}
