import { useEffect, useState } from 'preact/hooks';
import type { ChatStore, ConversationState } from './chat-store';
import { ConversationView } from './conversation-view';
import { describeError, hub } from './session';
import { useStore } from './use-store';

export function titleOf(store: ChatStore, c: ConversationState): string {
  if (c.conv.name) return c.conv.name;
  const others = c.conv.members.filter((u) => u !== store.me);
  return others.join(', ') || store.me;
}

export function previewOf(c: ConversationState): string {
  const last = c.messages.at(-1);
  if (!last) return 'No messages yet';
  const p = last.payload as { type: string; text?: string };
  return `${last.from}: ${p.type === 'text' ? (p.text ?? '') : 'sent a file'}`;
}

/** The list of conversations beside (desktop) or instead of (phone) the open one. */
export function ChatScreen({ store }: { store: ChatStore }) {
  useStore(store);
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const up = () => {
      setOnline(true);
      store.networkBack();
    };
    const down = () => setOnline(false);
    addEventListener('online', up);
    addEventListener('offline', down);
    const visible = () => store.markActiveRead();
    document.addEventListener('visibilitychange', visible);
    return () => {
      removeEventListener('online', up);
      removeEventListener('offline', down);
      document.removeEventListener('visibilitychange', visible);
    };
  }, [store]);

  const active = store.activeId ? store.conversations.get(store.activeId) : undefined;
  const offline = !online || store.connection === 'reconnecting' || store.connection === 'closed';
  return (
    <div class={`chat ${active ? 'has-active' : ''}`}>
      {offline && (
        <div class="banner" role="status" data-testid="offline-banner">
          {online ? 'Reconnecting to the hub…' : 'You are offline.'} Messages you write are sent when the connection is back.
        </div>
      )}
      <header class="topbar">
        <h1>Hub</h1>
        <span class="me">
          Logged in as <strong>{store.me}</strong>
        </span>
        <button type="button" onClick={() => void hub.logout()}>
          Log out
        </button>
      </header>
      <nav class="sidebar" aria-label="Conversations">
        <NewConversation store={store} />
        <h2 class="visually-hidden">Conversations</h2>
        <ul class="conv-list" aria-label="Conversation list">
          {store.sorted().map((c) => (
            <ConversationItem key={c.conv.conversation_id} store={store} c={c} />
          ))}
        </ul>
        {store.conversations.size === 0 && <p class="hint">No conversations yet. Start one above.</p>}
      </nav>
      <main class="content" aria-label={active ? `Conversation with ${titleOf(store, active)}` : 'Conversation'}>
        {active ? (
          <ConversationView key={active.conv.conversation_id} store={store} c={active} />
        ) : (
          <p class="empty">Choose a conversation, or start a new one.</p>
        )}
      </main>
    </div>
  );
}

function ConversationItem({ store, c }: { store: ChatStore; c: ConversationState }) {
  const title = titleOf(store, c);
  const other = c.conv.type === 'direct' ? c.conv.members.find((u) => u !== store.me) : undefined;
  const presence = other ? store.presence.get(other) : undefined;
  const isActive = store.activeId === c.conv.conversation_id;
  return (
    <li>
      <button
        type="button"
        class={`conv ${isActive ? 'active' : ''}`}
        aria-current={isActive ? 'true' : undefined}
        onClick={() => store.open(c.conv.conversation_id)}
        data-conversation={c.conv.conversation_id}
      >
        {other && (
          <span
            class={`dot ${presence === 'online' ? 'online' : ''}`}
            role="img"
            aria-label={presence === 'online' ? 'online' : 'offline'}
          />
        )}
        <span class="conv-title">{title}</span>
        <span class="conv-preview">{previewOf(c)}</span>
        {c.unread > 0 && (
          <span class="badge" aria-label={`${c.unread} unread`}>
            {c.unread}
          </span>
        )}
      </button>
    </li>
  );
}

function NewConversation({ store }: { store: ChatStore }) {
  const [names, setNames] = useState('');
  const [groupName, setGroupName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const members = names
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  async function submit(e: Event) {
    e.preventDefault();
    if (members.length === 0) return setError('Enter at least one username.');
    setBusy(true);
    setError(undefined);
    try {
      const id = await store.createConversation(
        members.length === 1 ? 'direct' : 'group',
        members,
        members.length > 1 ? groupName.trim() || undefined : undefined,
      );
      setNames('');
      setGroupName('');
      store.open(id);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="new-conv" onSubmit={(e) => void submit(e)}>
      <label for="new-members">Start a conversation with</label>
      <input
        id="new-members"
        placeholder="username (several: a group)"
        autocapitalize="none"
        spellcheck={false}
        value={names}
        onInput={(e) => setNames(e.currentTarget.value)}
        aria-describedby={error ? 'new-conv-error' : undefined}
      />
      {members.length > 1 && (
        <>
          <label for="group-name">Group name (optional)</label>
          <input id="group-name" value={groupName} onInput={(e) => setGroupName(e.currentTarget.value)} />
        </>
      )}
      <button type="submit" disabled={busy}>
        Start
      </button>
      {error && (
        <p class="error" role="alert" id="new-conv-error">
          {error}
        </p>
      )}
    </form>
  );
}
