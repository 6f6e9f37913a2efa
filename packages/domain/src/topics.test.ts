import { describe, expect, it } from 'vitest';
import { ConsumerGroups } from './topics';

describe('ConsumerGroups', () => {
  it("gives every consumer its own group name (a shared name would split one consumer's partitions with another)", () => {
    const names = Object.values(ConsumerGroups);
    expect(new Set(names).size).toBe(names.length);
    // Names are contracts with the running brokers: a rename would restart consumers from their reset offset.
    expect(ConsumerGroups).toEqual({
      route: 'router',
      notify: 'notify',
      status: 'status-writer',
      retry: 'router-retry',
      presenceStatus: 'presence-status',
    });
  });
});
