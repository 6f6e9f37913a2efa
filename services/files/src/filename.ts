/** The longest filename kept, in UTF-8 bytes (common filesystems' limit). */
export const MAX_FILENAME_BYTES = 255;

export type FilenameCheck = { ok: true; filename: string } | { ok: false; reason: string };

/**
 * Makes a client's filename safe to store and to offer back as a download
 * name. Anything that only makes sense as an attack or a path is refused
 * (directory parts, `..`, control characters) rather than silently
 * rewritten, so the client learns why; harmless oddities are normalised:
 * Unicode NFC, surrounding whitespace, characters Windows cannot store in a
 * name (replaced by `_`), trailing dots and spaces.
 */
export function sanitizeFilename(raw: string): FilenameCheck {
  const name = raw.normalize('NFC').trim();
  if (name.length === 0) return { ok: false, reason: 'must not be empty' };
  // C0, DEL, C1, and the bidi overrides that make "evil\u202Efdp.exe" display as "evilexe.pdf".
  if (/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(name))
    return { ok: false, reason: 'must not contain control characters' };
  if (/[/\\]/.test(name)) return { ok: false, reason: 'must be a file name, not a path (no "/" or "\\")' };
  if (name === '.' || name === '..') return { ok: false, reason: 'must not be "." or ".."' };
  const cleaned = name.replace(/[<>:"|?*]/g, '_').replace(/[. ]+$/, '');
  if (cleaned.length === 0) return { ok: false, reason: 'must contain more than dots and spaces' };
  if (Buffer.byteLength(cleaned, 'utf8') > MAX_FILENAME_BYTES)
    return { ok: false, reason: `must be at most ${MAX_FILENAME_BYTES} bytes in UTF-8` };
  return { ok: true, filename: cleaned };
}
