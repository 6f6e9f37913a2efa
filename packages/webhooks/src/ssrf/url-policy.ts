import { isIpLiteral, type AddressPolicy } from './address-policy';
import type { HostResolver, ResolvedAddress } from './host-resolver';

export interface UrlRules {
  /** Accept http:// URLs (development only; production is https-only). */
  allowHttp: boolean;
}

export const MAX_URL_LENGTH = 2048;

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * The syntactic rules for a webhook URL, applied at registration and again
 * before every attempt: an absolute http(s) URL (https only unless allowed),
 * a host, no user name or password (credentials would sit in logs and API
 * responses; receivers authenticate calls by the signature), no fragment.
 */
export function checkWebhookUrl(raw: string, rules: UrlRules): UrlCheck {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, reason: `scheme "${url.protocol.replace(/:$/, '')}" is not allowed; use https` };
  if (url.protocol === 'http:' && !rules.allowHttp) return { ok: false, reason: 'must use https (http is allowed only in development)' };
  if (!url.hostname) return { ok: false, reason: 'must name a host' };
  if (url.username || url.password)
    return { ok: false, reason: 'must not contain a user name or password; receivers authenticate calls by their signature' };
  if (url.hash) return { ok: false, reason: 'must not contain a fragment (#…)' };
  if (url.port === '0') return { ok: false, reason: 'port 0 is not allowed' };
  return { ok: true, url };
}

export interface VettedTarget {
  url: URL;
  /** The host name without IPv6 brackets (for the Host header and TLS server name). */
  hostname: string;
  /** The address to connect to: one of the host's addresses, all of which passed the policy. */
  address: ResolvedAddress;
}

/**
 * `refused`: the URL or an address of its host is not allowed (a policy
 * decision; retrying will not help). `unresolved`: the name did not resolve
 * (may be temporary).
 */
export type VetResult = { ok: true; target: VettedTarget } | { ok: false; kind: 'refused' | 'unresolved'; reason: string };

/**
 * Vets a webhook URL for one attempt: URL rules, then every address the
 * host resolves to, with the URL's port. Literal hosts are judged in the
 * URL parser's canonical form (`127.1` and `0x7f000001` are 127.0.0.1,
 * `[::ffff:127.0.0.1]` is judged as 127.0.0.1) and names like `localhost`
 * by the addresses they resolve to, so every spelling of an address meets
 * the same rules. One refused address refuses the whole host, so a name
 * that mixes a public and a private address cannot be used to reach the
 * private one. The result names the address to connect to.
 */
export class TargetVetter {
  constructor(
    private readonly rules: UrlRules,
    private readonly policy: AddressPolicy,
    private readonly resolver: HostResolver,
  ) {}

  async vet(raw: string): Promise<VetResult> {
    const checked = checkWebhookUrl(raw, this.rules);
    if (!checked.ok) return { ok: false, kind: 'refused', reason: `URL ${checked.reason}` };
    const url = checked.url;
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: ResolvedAddress[];
    if (isIpLiteral(hostname)) {
      addresses = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
    } else {
      try {
        addresses = await this.resolver.resolve(hostname);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return { ok: false, kind: 'unresolved', reason: `could not resolve host ${hostname}${code ? ` (${code})` : ''}` };
      }
      if (addresses.length === 0) return { ok: false, kind: 'unresolved', reason: `host ${hostname} has no addresses` };
    }
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    for (const a of addresses) {
      const verdict = this.policy.check(a.address, port);
      if (!verdict.allowed) {
        const what = a.address === hostname ? verdict.reason : `host ${hostname} resolves to ${a.address}, ${verdict.category}`;
        const rule = verdict.byPort
          ? "internal addresses are reached only on the ports the allow-list names, never on the hub's own"
          : 'webhooks are not sent to internal addresses';
        return { ok: false, kind: 'refused', reason: `${what}; ${rule}` };
      }
    }
    return { ok: true, target: { url, hostname, address: addresses[0]! } };
  }
}
