import { describe, expect, it } from 'vitest';
import { AddressPolicy, parseCidrList } from './address-policy';

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
    const verdict = policy.check(address);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toMatch(reason);
  });

  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(policy.check(address)).toEqual({ allowed: true });
  });

  it('lets an allowlist open exactly the ranges it names', () => {
    const local = new AddressPolicy(['127.0.0.1/32', '10.1.0.0/16']);
    expect(local.check('127.0.0.1')).toEqual({ allowed: true });
    expect(local.check('::ffff:127.0.0.1')).toEqual({ allowed: true });
    expect(local.check('10.1.200.3')).toEqual({ allowed: true });
    expect(local.check('127.0.0.2').allowed).toBe(false);
    expect(local.check('10.2.0.1').allowed).toBe(false);
    expect(local.check('::1').allowed).toBe(false);
  });

  it('never lets an allowlist open a cloud metadata address', () => {
    const wide = new AddressPolicy(['169.254.0.0/16', 'fd00::/8']);
    expect(wide.check('169.254.1.1')).toEqual({ allowed: true });
    expect(wide.check('169.254.169.254').allowed).toBe(false);
    expect(wide.check('fd00:ec2::254').allowed).toBe(false);
  });

  it('rejects a malformed allowlist entry by name', () => {
    expect(() => new AddressPolicy(['127.0.0.1'])).toThrow(/not a CIDR: "127.0.0.1"/);
    expect(() => parseCidrList('127.0.0.1/32, nonsense/8')).toThrow(/nonsense/);
    expect(parseCidrList(' 127.0.0.1/32 , ::1/128 ')).toEqual(['127.0.0.1/32', '::1/128']);
    expect(parseCidrList('')).toEqual([]);
  });
});
