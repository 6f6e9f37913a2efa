import { describe, expect, it } from 'vitest';
import { sanitizeFilename } from './filename';

const ok = (raw: string) => {
  const r = sanitizeFilename(raw);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be accepted: ${r.reason}`);
  return r.filename;
};
const refused = (raw: string) => {
  const r = sanitizeFilename(raw);
  if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be refused, got ${JSON.stringify(r.filename)}`);
  return r.reason;
};

describe('sanitizeFilename', () => {
  it('keeps ordinary and non-ASCII names as they are', () => {
    expect(ok('report 2024.pdf')).toBe('report 2024.pdf');
    expect(ok('résumé.docx')).toBe('résumé.docx');
    expect(ok('фото.jpg')).toBe('фото.jpg');
    expect(ok('.bashrc')).toBe('.bashrc');
  });

  it('refuses path traversal and paths', () => {
    expect(refused('../../etc/passwd')).toMatch(/not a path/);
    expect(refused('..\\..\\windows\\system32')).toMatch(/not a path/);
    expect(refused('/etc/passwd')).toMatch(/not a path/);
    expect(refused('a/b.txt')).toMatch(/not a path/);
    expect(refused('..')).toMatch(/"\."/);
    expect(refused('.')).toMatch(/"\."/);
  });

  it('refuses control characters and bidi overrides', () => {
    expect(refused('a\u0000b.txt')).toMatch(/control/);
    expect(refused('line\nbreak.txt')).toMatch(/control/);
    expect(refused('evil\u202Efdp.exe')).toMatch(/control/);
  });

  it('normalises whitespace, reserved characters and trailing dots', () => {
    expect(ok('  padded.txt  ')).toBe('padded.txt');
    expect(ok('what?<is>this:"|*.txt')).toBe('what__is_this____.txt');
    expect(ok('trailing...')).toBe('trailing');
    expect(ok('e\u0301.txt')).toBe('é.txt');
  });

  it('refuses empty, dots-only and over-long names', () => {
    expect(refused('   ')).toMatch(/empty/);
    expect(refused('. . .')).toMatch(/more than dots/);
    expect(refused('a'.repeat(256))).toMatch(/255 bytes/);
    expect(ok('a'.repeat(255))).toHaveLength(255);
    // 128 two-byte characters: 256 bytes although only 128 characters.
    expect(refused('é'.repeat(128))).toMatch(/255 bytes/);
  });
});
