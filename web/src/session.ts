import { HubClient, HubProblemError, WebStorageTokenStore } from '@hub/sdk';

/**
 * The one client of this page: same origin as the page (the gateway serves
 * both). Tokens are kept in localStorage so a reload stays logged in; the
 * SDK renews the access token before it expires and rotates the refresh token.
 */
export const tokenStore = new WebStorageTokenStore(localStorage, 'hub.web.tokens');
export const hub = new HubClient({ baseUrl: location.origin, tokenStore });

/** A refusal as one readable sentence: the problem's detail and each named field. */
export function describeError(err: unknown): string {
  if (err instanceof HubProblemError) {
    const fields = (err.errors ?? []).map((e) => `${e.field}: ${e.message}`);
    const main = err.detail ?? err.title;
    const wait = err.status === 429 ? ' Please wait a moment and try again.' : '';
    return [main + wait, ...fields].filter(Boolean).join(' — ');
  }
  if (err instanceof Error) return navigator.onLine ? err.message : 'You are offline.';
  return String(err);
}
