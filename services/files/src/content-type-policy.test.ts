import { describe, expect, it } from 'vitest';
import { ContentTypePolicy } from './content-type-policy';

describe('ContentTypePolicy', () => {
  const policy = new ContentTypePolicy(['image/*', 'application/pdf', 'text/plain'], ['image/svg+xml']);

  it('accepts listed types and families, lower-casing the type and keeping parameters', () => {
    expect(policy.check('image/png')).toEqual({ ok: true, contentType: 'image/png' });
    expect(policy.check('Application/PDF')).toEqual({ ok: true, contentType: 'application/pdf' });
    expect(policy.check('text/plain; charset=utf-8')).toEqual({ ok: true, contentType: 'text/plain; charset=utf-8' });
  });

  it('refuses types outside the allow list and denied types inside it', () => {
    expect(policy.check('application/zip')).toMatchObject({ ok: false, reason: expect.stringMatching(/application\/zip.*not accepted/) });
    expect(policy.check('image/svg+xml')).toMatchObject({ ok: false, reason: expect.stringMatching(/not accepted/) });
  });

  it('refuses what is not a media type', () => {
    for (const bad of ['', 'png', 'image/', '/png', 'image/png/x', 'text/plain; charset', 'text/html\r\nX-Injected: 1']) {
      expect(policy.check(bad), bad).toMatchObject({ ok: false, reason: expect.stringMatching(/media type/) });
    }
  });

  it('allows everything but the denied with */*', () => {
    const open = new ContentTypePolicy(['*/*'], ['application/x-msdownload']);
    expect(open.check('application/octet-stream').ok).toBe(true);
    expect(open.check('application/x-msdownload').ok).toBe(false);
  });
});
