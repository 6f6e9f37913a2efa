import { useState } from 'preact/hooks';
import { describeError, hub } from './session';

/** Log in, or create an account and log in. Refusals show the hub's own explanation (problem+json detail). */
export function LoginScreen({ onLoggedIn }: { onLoggedIn: (user: string) => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const name = username.trim().toLowerCase();
      if (mode === 'register') await hub.register({ username: name, password });
      await hub.loginWithPassword(name, password);
      onLoggedIn(name);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const title = mode === 'login' ? 'Log in' : 'Create an account';
  return (
    <main class="login">
      <h1>Hub</h1>
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title" noValidate>
        <h2 id="login-title">{title}</h2>
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
          aria-describedby={mode === 'register' ? 'username-hint' : undefined}
        />
        {mode === 'register' && (
          <p id="username-hint" class="hint">
            3–32 characters: a–z, 0–9, “_”, “.” and “-”.
          </p>
        )}
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete={mode === 'login' ? 'current-password' : 'new-password'}
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          aria-describedby={mode === 'register' ? 'password-hint' : undefined}
        />
        {mode === 'register' && (
          <p id="password-hint" class="hint">
            At least 8 characters, not your username.
          </p>
        )}
        {error && (
          <p class="error" role="alert" id="login-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Please wait…' : title}
        </button>
      </form>
      <p>
        {mode === 'login' ? 'New here? ' : 'Have an account? '}
        <button
          type="button"
          class="link"
          onClick={() => {
            setMode(mode === 'login' ? 'register' : 'login');
            setError(undefined);
          }}
        >
          {mode === 'login' ? 'Create an account' : 'Log in instead'}
        </button>
      </p>
    </main>
  );
}
