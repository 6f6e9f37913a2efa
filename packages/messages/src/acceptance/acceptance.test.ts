import { describe, expect, it } from 'vitest';
import type { ConversationAcceptances } from '../ports/conversation-acceptances';
import { acceptedAtCreation } from './accepted-at-creation';
import { CachedAcceptances } from './cached-acceptances';

/** In-memory acceptances counting reads (MongoConversationAcceptances runs against the real server in the presence privacy test). */
class Memory implements ConversationAcceptances {
  accepted = new Set<string>();
  members = new Set(['c1|ann', 'c1|bob']);
  reads = 0;
  writes = 0;
  async accept(c: string, u: string): Promise<boolean> {
    this.writes++;
    if (!this.members.has(`${c}|${u}`)) return false;
    this.accepted.add(`${c}|${u}`);
    return true;
  }
  async hasAccepted(c: string, u: string): Promise<boolean> {
    this.reads++;
    return this.accepted.has(`${c}|${u}`);
  }
}

describe('acceptance at creation', () => {
  it('is the creating user only; everyone when an API client or a bridge set it up', () => {
    expect(acceptedAtCreation({ members: ['ann', 'bob'], created_by: 'user:ann' })).toEqual(['ann']);
    expect(acceptedAtCreation({ members: ['ann', 'bob'], created_by: 'user:carl' })).toEqual([]);
    expect(acceptedAtCreation({ members: ['ann', 'bob'], created_by: 'client:crm' })).toEqual(['ann', 'bob']);
    expect(acceptedAtCreation({ members: ['ann', 'bob'], created_by: 'bridge:telegram' })).toEqual(['ann', 'bob']);
  });
});

describe('cached acceptances', () => {
  it('remember a yes for good and ask again after a no', async () => {
    const store = new Memory();
    const cached = new CachedAcceptances(store, 10);
    expect(await cached.hasAccepted('c1', 'bob')).toBe(false);
    expect(await cached.hasAccepted('c1', 'bob')).toBe(false);
    expect(store.reads).toBe(2);
    // Accepted through another process: the next read sees it, and later ones need no store read.
    store.accepted.add('c1|bob');
    expect(await cached.hasAccepted('c1', 'bob')).toBe(true);
    expect(await cached.hasAccepted('c1', 'bob')).toBe(true);
    expect(store.reads).toBe(3);
  });

  it('accept writes once per member and reports a non-member', async () => {
    const store = new Memory();
    const cached = new CachedAcceptances(store, 10);
    expect(await cached.accept('c1', 'ann', '2026-01-01T00:00:00Z')).toBe(true);
    expect(await cached.accept('c1', 'ann', '2026-01-02T00:00:00Z')).toBe(true);
    expect(store.writes).toBe(1);
    expect(await cached.hasAccepted('c1', 'ann')).toBe(true);
    expect(store.reads).toBe(0);
    expect(await cached.accept('c1', 'eve', '2026-01-01T00:00:00Z')).toBe(false);
    expect(await cached.hasAccepted('c1', 'eve')).toBe(false);
  });
});
