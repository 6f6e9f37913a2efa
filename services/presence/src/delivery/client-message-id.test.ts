import { describe, expect, it } from 'vitest';
import { UuidSchema } from '@hub/domain';
import { messageIdFor } from './client-message-id';

describe('message ids of WebSocket sends', () => {
  it('are the same UUID for the same sender and client_msg_id, and differ otherwise', () => {
    const id = messageIdFor('alice', 'c-1');
    expect(UuidSchema.safeParse(id).success).toBe(true);
    expect(id[14]).toBe('5');
    expect(messageIdFor('alice', 'c-1')).toBe(id);
    expect(messageIdFor('alice', 'c-2')).not.toBe(id);
    expect(messageIdFor('bob', 'c-1')).not.toBe(id);
  });
});
