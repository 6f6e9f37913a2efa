import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage, ChatStore, ConversationState, Tick } from './chat-store';
import { titleOf } from './chat-screen';
import { linkify } from './linkify';

const TICK_LABEL: Record<Tick, string> = { pending: 'Sending', failed: 'Not sent', sent: 'Sent', delivered: 'Delivered', read: 'Read' };
const TICK_MARK: Record<Tick, string> = { pending: '◷', failed: '!', sent: '✓', delivered: '✓✓', read: '✓✓' };
/** Typing frames are sent at most this often while the user types. */
const TYPING_EVERY_MS = 3_000;

export function ConversationView({ store, c }: { store: ChatStore; c: ConversationState }) {
  const [draft, setDraft] = useState('');
  const list = useRef<HTMLOListElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const lastTyping = useRef(0);
  const stuckToBottom = useRef(true);
  const id = c.conv.conversation_id;
  const count = c.messages.length;

  useEffect(() => input.current?.focus(), [id]);
  useLayoutEffect(() => {
    const el = list.current;
    if (el && stuckToBottom.current) el.scrollTop = el.scrollHeight;
  }, [count, id]);

  function send(e: Event) {
    e.preventDefault();
    const text = draft.trim();
    if (!text) return;
    store.sendText(id, text);
    setDraft('');
    stuckToBottom.current = true;
  }

  const typing = store.typingUsers(c);
  const startedByOther = c.conv.created_by !== `user:${store.me}`;
  const title = titleOf(store, c);
  return (
    <section class="conversation" aria-labelledby="conv-title">
      <header class="conv-header">
        <button type="button" class="back" onClick={() => store.open(undefined)} aria-label="Back to conversations">
          ←
        </button>
        <h2 id="conv-title">{title}</h2>
        {c.conv.type === 'group' && <p class="members">Members: {c.conv.members.join(', ')}</p>}
      </header>
      {!c.accepted && startedByOther && (
        <div class="request" role="region" aria-label="Conversation request">
          <p>
            {c.conv.created_by.replace(/^user:/, '')} started this conversation. They won't see when you're online or typing until you
            accept or reply.
          </p>
          <button type="button" onClick={() => void store.accept(id)}>
            Accept
          </button>
        </div>
      )}
      <ol
        class="messages"
        ref={list}
        tabIndex={0}
        aria-label={`Messages with ${title}`}
        aria-live="polite"
        aria-relevant="additions"
        onScroll={(e) => {
          const el = e.currentTarget;
          stuckToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {c.messages.map((m, i) => {
          const prev = c.messages[i - 1];
          const day = dayOf(m.createdAt);
          return (
            <Fragment key={m.id}>
              {(!prev || dayOf(prev.createdAt) !== day) && <li class="day">{day}</li>}
              {c.dividerSeq !== undefined && m.seq === c.dividerSeq && (
                <li class="divider" data-testid="new-divider">
                  New messages
                </li>
              )}
              <Message store={store} m={m} />
            </Fragment>
          );
        })}
      </ol>
      <p class="typing" aria-live="polite">
        {typing.length > 0 ? `${typing.join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…` : ''}
      </p>
      <form class="composer" onSubmit={send}>
        <label for="composer-input" class="visually-hidden">
          Message
        </label>
        <textarea
          id="composer-input"
          ref={input}
          rows={1}
          placeholder="Write a message"
          value={draft}
          onInput={(e) => {
            setDraft(e.currentTarget.value);
            const now = Date.now();
            if (now - lastTyping.current > TYPING_EVERY_MS) {
              lastTyping.current = now;
              store.typing(id);
            }
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) send(e);
          }}
        />
        <button type="submit">Send</button>
      </form>
    </section>
  );
}

function Message({ store, m }: { store: ChatStore; m: ChatMessage }) {
  const mine = m.from === store.me;
  const p = m.payload as { type: string; text?: string };
  const time = new Date(m.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <li class={`msg ${mine ? 'mine' : ''}`} data-message-id={m.id} data-seq={m.seq}>
      {!mine && <span class="from">{m.from}</span>}
      <p class="text">
        {p.type === 'text' ? (
          <Linked text={p.text ?? ''} />
        ) : (
          <em>File: {m.payload.type === 'file' ? ((m as { file?: { filename: string } }).file?.filename ?? 'attachment') : ''}</em>
        )}
      </p>
      <span class="meta">
        <time dateTime={m.createdAt}>{time}</time>
        {mine && m.tick && (
          <span class={`tick ${m.tick}`} data-tick={m.tick} aria-label={TICK_LABEL[m.tick]} title={TICK_LABEL[m.tick]}>
            {TICK_MARK[m.tick]}
          </span>
        )}
        {mine && m.tick === 'failed' && (
          <button type="button" class="link" onClick={() => store.retry(m)}>
            Retry
          </button>
        )}
      </span>
    </li>
  );
}

/** Message text as text nodes, with http(s) URLs as links that open elsewhere without a referrer. */
function Linked({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((part, i) =>
        part.kind === 'text' ? (
          part.text
        ) : (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer nofollow">
            {part.text}
          </a>
        ),
      )}
    </>
  );
}

function dayOf(iso: string): string {
  return new Date(iso).toLocaleDateString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}
