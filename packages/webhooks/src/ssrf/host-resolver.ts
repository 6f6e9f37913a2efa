import { lookup } from 'node:dns/promises';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Port: name resolution for outgoing webhook calls. The dispatcher
 * resolves once per attempt, vets every address, and connects to a vetted
 * one, so no second lookup can swap in another address in between.
 */
export interface HostResolver {
  resolve(hostname: string): Promise<ResolvedAddress[]>;
}

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), every address in resolver order. */
export class SystemHostResolver implements HostResolver {
  async resolve(hostname: string): Promise<ResolvedAddress[]> {
    const all = await lookup(hostname, { all: true, order: 'verbatim' });
    return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  }
}
