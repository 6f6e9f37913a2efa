import { describe, expect, it } from 'vitest';
import { ClientIdSchema, CreateClientRequestSchema, PasswordSchema, publicClient, RegisterRequestSchema } from './records';
import { secretMatches, sha256Hex, newSecret } from './secrets';

describe('registration rules', () => {
  const ok = { username: 'alice', password: 'correct horse' };
  it('accept a valid registration', () => {
    expect(RegisterRequestSchema.parse({ ...ok, display_name: ' Alice ' })).toEqual({ ...ok, display_name: 'Alice' });
  });
  it.each([
    ['empty username', { ...ok, username: '' }, 'username'],
    ['too long username', { ...ok, username: 'a'.repeat(33) }, 'username'],
    ['upper-case username', { ...ok, username: 'Alice' }, 'username'],
    ['username with a slash', { ...ok, username: 'al/ice' }, 'username'],
    ['short password', { ...ok, password: 'short' }, 'password'],
    ['long password', { ...ok, password: 'x'.repeat(129) }, 'password'],
    ['password with a control character', { ...ok, password: 'abc\u0000defgh' }, 'password'],
    ['password equal to the username', { username: 'alice123', password: 'alice123' }, 'password'],
    ['number as username', { ...ok, username: 42 }, 'username'],
  ])('reject %s, naming the field', (_what, body, field) => {
    const r = RegisterRequestSchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(field);
  });
  it('reject unknown fields', () => {
    expect(RegisterRequestSchema.safeParse({ ...ok, admin: true }).success).toBe(false);
  });
  it('allow spaces and non-ASCII letters in passwords', () => {
    expect(PasswordSchema.safeParse('pässwört mit leerzeichen').success).toBe(true);
  });
});

describe('API clients', () => {
  it('need known, distinct scopes', () => {
    expect(CreateClientRequestSchema.safeParse({ name: 'crm', scopes: ['messages:send'] }).success).toBe(true);
    expect(CreateClientRequestSchema.safeParse({ name: 'crm', scopes: [] }).success).toBe(false);
    expect(CreateClientRequestSchema.safeParse({ name: 'crm', scopes: ['root'] }).success).toBe(false);
    expect(CreateClientRequestSchema.safeParse({ name: 'crm', scopes: ['admin', 'admin'] }).success).toBe(false);
  });
  it('have ids that are safe in keys and URLs', () => {
    expect(ClientIdSchema.safeParse('01a211d3-e472-762e-b52c-9264d903f5d5').success).toBe(true);
    expect(ClientIdSchema.safeParse('a/b').success).toBe(false);
  });
  it('never expose the secret digest', () => {
    const pub = publicClient({ client_id: 'c1', name: 'n', scopes: ['admin'], created_at: 't', secret_hash: 'h' } as never);
    expect(pub).not.toHaveProperty('secret_hash');
  });
});

describe('secrets', () => {
  it('are random, prefixed, and verified only by their digest', () => {
    const a = newSecret('cs');
    expect(a).toMatch(/^cs_[A-Za-z0-9_-]{43}$/);
    expect(newSecret('cs')).not.toBe(a);
    expect(secretMatches(a, sha256Hex(a))).toBe(true);
    expect(secretMatches(`${a}x`, sha256Hex(a))).toBe(false);
  });
});
