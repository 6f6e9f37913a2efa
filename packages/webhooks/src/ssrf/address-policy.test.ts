import { describe, expect, it } from 'vitest';
import { AddressPolicy, parseCidrList } from './address-policy';
import { reservedPortsFromConfig } from './reserved-ports';

describe('AddressPolicy', () => {
  const policy = new AddressPolicy();

  it.each([
    ['10.0.0.1', /private network/],
    ['172.16.5.4', /private network/],
    ['192.168.1.1', /private network/],
    ['127.0.0.1', /loopback/],
    ['127.8.9.10', /loopback/],
    ['169.254.10.10', /link-local/],
    ['169.254.169.254', /cloud metadata/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.100.100.200', /cloud metadata/],
    ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['192.0.2.10', /reserved or documentation/],
    ['198.18.0.1', /reserved/],
    ['240.0.0.1', /reserved/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fc00::1', /unique-local/],
    ['fd12:3456::1', /unique-local/],
    ['fd00:ec2::254', /cloud metadata/],
    ['ff02::1', /multicast/],
    ['::ffff:10.0.0.1', /IPv4-mapped 10\.0\.0\.1.*private network/],
    ['::ffff:127.0.0.1', /IPv4-mapped 127\.0\.0\.1.*loopback/],
    ['::ffff:169.254.169.254', /cloud metadata/],
    ['64:ff9b::a00:1', /NAT64/],
    ['2002:a00:1::1', /6to4/],
    ['2001:db8::1', /reserved or documentation/],
    ['::7f00:1', /not a global unicast/],
    ['100::1', /discard|special-purpose|not a global/],
    ['not-an-ip', /not an IP address/],
  ])('refuses %s', (address, reason) => {
    const verdict = policy.check(address, 443);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toMatch(reason);
  });

  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8'])(
    'allows the public address %s',
    (address) => {
      expect(policy.check(address, 443)).toEqual({ allowed: true });
    },
  );

  it('lets an allowlist open exactly the ranges it names', () => {
    const local = new AddressPolicy(['127.0.0.1/32', '10.1.0.0/16']);
    expect(local.check('127.0.0.1', 443)).toEqual({ allowed: true });
    expect(local.check('::ffff:127.0.0.1', 443)).toEqual({ allowed: true });
    expect(local.check('10.1.200.3', 443)).toEqual({ allowed: true });
    expect(local.check('127.0.0.2', 443).allowed).toBe(false);
    expect(local.check('10.2.0.1', 443).allowed).toBe(false);
    expect(local.check('::1', 443).allowed).toBe(false);
  });

  it('never lets an allowlist open a cloud metadata address', () => {
    const wide = new AddressPolicy(['169.254.0.0/16', 'fd00::/8']);
    expect(wide.check('169.254.1.1', 443)).toEqual({ allowed: true });
    expect(wide.check('169.254.169.254', 443).allowed).toBe(false);
    expect(wide.check('fd00:ec2::254', 443).allowed).toBe(false);
  });

  it('rejects a malformed allowlist entry by name', () => {
    expect(() => new AddressPolicy(['127.0.0.1:99999'])).toThrow(/"127.0.0.1:99999": port "99999" is not within 1-65535/);
    expect(() => parseCidrList('127.0.0.1/32, nonsense/8')).toThrow(/"nonsense\/8": "nonsense" is not an IP address/);
    expect(() => parseCidrList('127.0.0.1/33')).toThrow(/prefix length "\/33" is not 0-32/);
    expect(() => parseCidrList('127.1/32')).toThrow(/"127.1" is not an IP address/);
    expect(parseCidrList(' 127.0.0.1/32 , ::1/128 ')).toEqual(['127.0.0.1/32', '::1/128']);
    expect(parseCidrList('')).toEqual([]);
  });

  it('limits an entry with a port to that port, and one without to any port', () => {
    const local = new AddressPolicy(['127.0.0.1/32:8088', '127.0.0.2:9000-9099', '[::1]:9000', '10.0.0.0/8']);
    expect(local.check('127.0.0.1', 8088)).toEqual({ allowed: true });
    expect(local.check('127.0.0.1', 8089)).toMatchObject({
      allowed: false,
      reason: '127.0.0.1 is a loopback address (127.0.0.0/8), allow-listed only for port 8088 (not port 8089)',
    });
    expect(local.check('127.0.0.2', 9050)).toEqual({ allowed: true });
    expect(local.check('127.0.0.2', 9100).allowed).toBe(false);
    expect(local.check('::1', 9000)).toEqual({ allowed: true });
    expect(local.check('::1', 9001).allowed).toBe(false);
    expect(local.check('10.9.8.7', 1)).toEqual({ allowed: true });
    expect(local.check('10.9.8.7', 65_535)).toEqual({ allowed: true });
  });

  it("never lets an allowlist open the hub's own ports on an internal address, whatever the spelling", () => {
    const reserved = reservedPortsFromConfig({
      FRONTEND_PORT: 8081,
      KAFKA_BROKERS: ['127.0.0.1:19092'],
      ETCD_HOSTS: ['http://127.0.0.1:23790'],
    });
    const wide = new AddressPolicy(['127.0.0.0/8', '[::1]:23790'], reserved);
    expect(wide.check('127.0.0.1', 23790)).toMatchObject({
      allowed: false,
      reason: "127.0.0.1 port 23790 is where the hub's own etcd server (ETCD_HOSTS) listens",
      byPort: true,
    });
    expect(wide.check('127.0.0.9', 19092).allowed).toBe(false);
    expect(wide.check('::ffff:127.0.0.1', 8081).allowed).toBe(false);
    expect(wide.check('::1', 23790).allowed).toBe(false);
    expect(wide.check('127.0.0.1', 8088)).toEqual({ allowed: true });
    // A public receiver may listen on any port, including one the hub uses internally.
    expect(wide.check('93.184.215.14', 8081)).toEqual({ allowed: true });
  });
});
