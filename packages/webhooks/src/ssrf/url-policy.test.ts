import { describe, expect, it } from 'vitest';
import { AddressPolicy } from './address-policy';
import { reservedPortsFromConfig } from './reserved-ports';
import type { HostResolver, ResolvedAddress } from './host-resolver';
import { checkWebhookUrl, TargetVetter } from './url-policy';

describe('checkWebhookUrl', () => {
  const dev = { allowHttp: true };
  const prod = { allowHttp: false };

  it.each([
    ['not a url', /not a valid absolute URL/],
    ['/relative/path', /not a valid absolute URL/],
    ['ftp://example.com/hook', /scheme "ftp" is not allowed/],
    ['file:///etc/passwd', /scheme "file" is not allowed/],
    ['javascript:alert(1)', /scheme "javascript" is not allowed/],
    ['gopher://example.com:70/', /scheme "gopher"/],
    ['https://user:pass@example.com/hook', /user name or password/],
    ['https://example.com/hook#frag', /fragment/],
    ['https://example.com:0/hook', /port 0/],
    [`https://example.com/${'a'.repeat(2100)}`, /at most 2048/],
  ])('refuses %s', (url, reason) => {
    const r = checkWebhookUrl(url, dev);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('accepts http only where allowed', () => {
    expect(checkWebhookUrl('http://example.com/hook', dev).ok).toBe(true);
    const r = checkWebhookUrl('http://example.com/hook', prod);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/must use https/) });
    expect(checkWebhookUrl('https://example.com/hook?x=1', prod).ok).toBe(true);
  });
});

class FixedResolver implements HostResolver {
  calls: string[] = [];
  constructor(private readonly table: Record<string, ResolvedAddress[] | Error>) {}
  async resolve(hostname: string): Promise<ResolvedAddress[]> {
    this.calls.push(hostname);
    const entry = this.table[hostname];
    if (entry instanceof Error) throw entry;
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return entry;
  }
}

describe('TargetVetter', () => {
  const resolver = new FixedResolver({
    'public.test': [{ address: '93.184.215.14', family: 4 }],
    'private.test': [{ address: '10.0.0.7', family: 4 }],
    'mixed.test': [
      { address: '93.184.215.14', family: 4 },
      { address: '192.168.0.3', family: 4 },
    ],
    'v6loop.test': [{ address: '::1', family: 6 }],
    'local.test': [{ address: '127.0.0.1', family: 4 }],
    'empty.test': [],
  });
  const vetter = new TargetVetter({ allowHttp: true }, new AddressPolicy(), resolver);

  it('connects to the resolved public address and keeps the host name', async () => {
    const r = await vetter.vet('https://public.test/hook');
    expect(r).toMatchObject({ ok: true, target: { hostname: 'public.test', address: { address: '93.184.215.14', family: 4 } } });
  });

  it.each([
    ['http://10.0.0.1/hook', /10\.0\.0\.1 is a private network address/],
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a cloud metadata address/],
    ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is a loopback address/],
    ['http://[::1]:8080/hook', /::1 is the loopback address/],
    ['http://[::ffff:a00:1]/hook', /IPv4-mapped 10\.0\.0\.1/],
    ['http://2130706433/hook', /127\.0\.0\.1 is a loopback/],
    ['http://0x7f.1/hook', /127\.0\.0\.1 is a loopback/],
    ['http://private.test/hook', /host private\.test resolves to 10\.0\.0\.7, a private network address/],
    ['http://mixed.test/hook', /host mixed\.test resolves to 192\.168\.0\.3/],
    ['http://v6loop.test/hook', /resolves to ::1, the loopback address/],
  ])('refuses %s by policy', async (url, reason) => {
    const r = await vetter.vet(url);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.kind).toBe('refused');
      expect(r.reason).toMatch(reason);
    }
  });

  it('does not resolve IP literals', async () => {
    resolver.calls = [];
    await vetter.vet('http://10.0.0.1/hook');
    expect(resolver.calls).toEqual([]);
  });

  it('reports a name that does not resolve as unresolved, not refused', async () => {
    expect(await vetter.vet('https://nowhere.test/')).toEqual({
      ok: false,
      kind: 'unresolved',
      reason: 'could not resolve host nowhere.test (ENOTFOUND)',
    });
    expect(await vetter.vet('https://empty.test/')).toMatchObject({ ok: false, kind: 'unresolved' });
  });

  it('allows an allowlisted address', async () => {
    const local = new TargetVetter({ allowHttp: true }, new AddressPolicy(['127.0.0.1/32']), resolver);
    expect(await local.vet('http://local.test:9999/hook')).toMatchObject({ ok: true, target: { address: { address: '127.0.0.1' } } });
    expect(await local.vet('http://127.0.0.1:9999/hook')).toMatchObject({ ok: true });
    expect(await local.vet('http://[::1]:9999/hook')).toMatchObject({ ok: false, kind: 'refused' });
  });

  it("judges every spelling of an allow-listed address with its port, and refuses the hub's ports there", async () => {
    const reserved = reservedPortsFromConfig({ REDIS_URL: 'redis://127.0.0.1:16379' });
    const local = new TargetVetter({ allowHttp: true }, new AddressPolicy(['127.0.0.0/8:9999', '127.0.0.0/8:16379'], reserved), resolver);
    for (const host of ['127.0.0.1', '127.1', '0x7f000001', '2130706433', '[::ffff:127.0.0.1]', 'local.test']) {
      expect(await local.vet(`http://${host}:9999/hook`), host).toMatchObject({ ok: true });
      expect(await local.vet(`http://${host}:9998/hook`), host).toMatchObject({ ok: false, kind: 'refused' });
      const hub = await local.vet(`http://${host}:16379/hook`);
      expect(hub, host).toMatchObject({ ok: false, kind: 'refused' });
      expect(hub.ok ? '' : hub.reason, host).toMatch(
        /where the hub's own Redis server \(REDIS_URL\) listens; internal addresses are reached only on the ports the allow-list names, never on the hub's own$/,
      );
    }
    // No port in the URL means the scheme's: 80 is not allow-listed here.
    expect(await local.vet('http://127.0.0.1/hook')).toMatchObject({ ok: false, kind: 'refused' });
  });
});
