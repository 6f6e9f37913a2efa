import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ChatStore } from './chat-store';
import { ChatScreen } from './chat-screen';
import { LoginScreen } from './login-screen';
import { hub, tokenStore } from './session';

/** How often an idle page asks for its access token, which the SDK renews when it is close to expiry. */
const KEEP_ALIVE_MS = 30_000;

/** Logged out: the login screen. Logged in: the chat, with one ChatStore (and one WebSocket) per session. */
export function App() {
  const [store, setStore] = useState<ChatStore | undefined>();
  const [checking, setChecking] = useState(true);
  const current = useRef<ChatStore | undefined>(undefined);

  const begin = useCallback((user: string) => {
    current.current?.stop();
    const s = new ChatStore(hub, user);
    current.current = s;
    setStore(s);
    void s.start();
  }, []);

  useEffect(() => {
    const off = hub.tokens.onChange((t) => {
      if (t) return;
      current.current?.stop();
      current.current = undefined;
      setStore(undefined);
    });
    // A stored session: ask who we are (an expired access token is renewed with the refresh token first).
    void (async () => {
      try {
        if (tokenStore.get()) begin((await hub.me()).subject);
      } catch {
        tokenStore.set(undefined);
      } finally {
        setChecking(false);
      }
    })();
    const keepAlive = setInterval(() => {
      if (current.current) void hub.tokens.getAccessToken().catch(() => undefined);
    }, KEEP_ALIVE_MS);
    return () => {
      off();
      clearInterval(keepAlive);
      current.current?.stop();
    };
  }, [begin]);

  if (checking)
    return (
      <p class="loading" role="status">
        Loading…
      </p>
    );
  if (!store) return <LoginScreen onLoggedIn={begin} />;
  return <ChatScreen store={store} />;
}
