/** `type/subtype` with optional `; name=value` parameters (RFC 9110 media type, tokens only). */
const MEDIA_TYPE = /^([a-z0-9!#$&^_.+-]+)\/([a-z0-9!#$&^_.+-]+)\s*(;\s*[a-z0-9!#$&^_.+-]+=("[^"\\\r\n]*"|[a-z0-9!#$&^_.+-]+)\s*)*$/i;

export type ContentTypeCheck = { ok: true; contentType: string } | { ok: false; reason: string };

/**
 * Which content types clients may upload. Patterns are `type/subtype`,
 * `type/*` or `*\/*`; a deny match wins over an allow match, so an operator
 * can allow `application/*` and still refuse executables.
 */
export class ContentTypePolicy {
  constructor(
    private readonly allowed: readonly string[],
    private readonly denied: readonly string[],
  ) {}

  /** Validates the syntax and the lists; returns the type lower-cased with parameters kept. */
  check(raw: string): ContentTypeCheck {
    const value = raw.trim();
    const m = MEDIA_TYPE.exec(value);
    if (!m) return { ok: false, reason: 'must be a media type such as "image/png" or "text/plain; charset=utf-8"' };
    const essence = `${m[1]}/${m[2]}`.toLowerCase();
    if (this.denied.some((p) => matches(p, essence))) return { ok: false, reason: `"${essence}" files are not accepted` };
    if (!this.allowed.some((p) => matches(p, essence)))
      return { ok: false, reason: `"${essence}" files are not accepted (allowed: ${this.allowed.join(', ')})` };
    return { ok: true, contentType: essence + value.slice(m[1]!.length + 1 + m[2]!.length) };
  }

  describe(): string {
    return `allowed: ${this.allowed.join(', ')}; denied: ${this.denied.join(', ') || 'none'}`;
  }
}

function matches(pattern: string, essence: string): boolean {
  if (pattern === '*/*') return true;
  if (pattern.endsWith('/*')) return essence.startsWith(pattern.slice(0, -1));
  return pattern === essence;
}
