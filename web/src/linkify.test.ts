import { describe, expect, it } from 'vitest';
import { linkify, safeHref } from './linkify';

describe('linkify', () => {
  it('makes http and https URLs links and keeps the rest as text', () => {
    expect(linkify('see https://example.com/a?b=1, then http://x.test.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ', then ' },
      { kind: 'link', text: 'http://x.test', href: 'http://x.test/' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('never links other schemes and leaves markup as text', () => {
    const text =
      '<script>alert(1)</script> javascript:alert(1) JAVASCRIPT://%0aalert(1) data:text/html,<b>x</b> <a href="javascript:alert(1)">x</a>';
    expect(linkify(text)).toEqual([{ kind: 'text', text }]);
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('https://ok.test/')).toBe('https://ok.test/');
  });

  it('does not let a quote or angle bracket end up inside a link', () => {
    const parts = linkify('x https://a.test/"onmouseover="alert(1) y');
    expect(parts[1]).toEqual({ kind: 'link', text: 'https://a.test/', href: 'https://a.test/' });
  });
});
