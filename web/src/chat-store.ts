import {
  HubSocketError,
  type HubClient,
  type HubSocket,
  type MessageData,
  type MessagePayload,
  type Schemas,
  type StatusData,
} from '@hub/sdk';

/**
 * The app's state: conversations, their messages, delivery ticks, presence
 * and typing, fed by REST (list, history) and the WebSocket (live messages,
 * statuses). Components subscribe and re-render on each change.
 */
export type Tick = 'pending' | 'failed' | 'sent' | 'delivered' | 'read';

export interface ChatMessage {
  /** message_id; for a message of ours it is also the client_msg_id (a UUID is used as the message id as it is). */
  id: string;
  conversationId: string;
  seq?: number;
  from: string;
  payload: MessagePayload;
  createdAt: string;
  /** Ours only: the least advanced receipt among the recipients. */
  tick?: Tick;
  receipts?: Record<string, Tick>;
}

export interface ConversationState {
  conv: Schemas['Conversation'];
  messages: ChatMessage[];
  unread: number;
  historyLoaded: boolean;
  /** The sequence of the first message that was unread when the conversation was opened (the "new messages" divider). */
  dividerSeq?: number;
  typing: Map<string, number>;
  /** This user accepted the conversation (created it, wrote in it, or pressed Accept). */
  accepted: boolean;
  lastReadSent: number;
}

const ORDER: Record<Tick, number> = { failed: -1, pending: 0, sent: 1, delivered: 2, read: 3 };

export class ChatStore {
  readonly conversations = new Map<string, ConversationState>();
  readonly presence = new Map<string, 'online' | 'offline'>();
  activeId: string | undefined;
  connection: 'connecting' | 'open' | 'reconnecting' | 'closed' = 'connecting';
  error: string | undefined;
  private socket: HubSocket | undefined;
  private readonly listeners = new Set<() => void>();
  private version = 0;
  private readonly offs: Array<() => void> = [];

  constructor(
    readonly hub: HubClient,
    readonly me: string,
  ) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get snapshot(): number {
    return this.version;
  }

  private changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  async start(): Promise<void> {
    const socket = this.hub.connect();
    this.socket = socket;
    this.offs.push(
      socket.on('state', (s) => {
        this.connection =
          s === 'open' ? 'open' : s === 'closed' || s === 'idle' ? 'closed' : s === 'reconnecting' ? 'reconnecting' : 'connecting';
        this.changed();
      }),
      socket.on('open', () => {
        this.retryFailed();
        this.markActiveRead();
      }),
      socket.on('message', (m) => this.onMessage(m)),
      socket.on('status', (s) => this.onStatus(s)),
      socket.on('typing', (t) => {
        if (t.user === this.me) return;
        const c = this.conversations.get(t.conversation_id);
        if (!c) return;
        c.typing.set(t.user, Date.now() + t.expires_in_ms);
        this.changed();
        setTimeout(() => this.changed(), t.expires_in_ms + 50);
      }),
      socket.on('presence', (p) => {
        this.presence.set(p.user, p.status);
        this.changed();
      }),
    );
    await this.loadConversations();
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.socket?.close();
  }

  async loadConversations(): Promise<void> {
    const list = await this.hub.api.GET('/v1/conversations', { params: { query: { limit: 100 } } });
    if (!list.data) return;
    for (const conv of list.data.conversations) {
      if (!this.conversations.has(conv.conversation_id)) {
        this.conversations.set(conv.conversation_id, {
          conv,
          messages: [],
          unread: 0,
          historyLoaded: false,
          typing: new Map(),
          accepted: conv.created_by === `user:${this.me}`,
          lastReadSent: 0,
        });
      }
    }
    this.changed();
    // The list shows each conversation's last message: read the histories a few at a time.
    const ids = [...this.conversations.keys()];
    const workers = Array.from({ length: 3 }, async () => {
      for (let id = ids.shift(); id; id = ids.shift()) await this.loadHistory(id).catch(() => undefined);
    });
    await Promise.all(workers);
    for (const c of this.conversations.values()) void this.loadPresence(c);
  }

  async loadHistory(id: string): Promise<void> {
    const c = this.conversations.get(id);
    if (!c || c.historyLoaded) return;
    let since = 0;
    for (;;) {
      const page = await this.hub.history(id, { since, limit: 200 });
      for (const m of page.messages) this.upsert(fromStored(m), false);
      if (page.next_cursor === undefined || page.messages.length === 0) break;
      since = page.next_cursor;
    }
    c.historyLoaded = true;
    if (c.messages.some((m) => m.from === this.me)) c.accepted = true;
    // Ticks of our own recent messages (later changes arrive as status frames).
    const mine = c.messages.filter((m) => m.from === this.me).slice(-20);
    await Promise.all(
      mine.map(async (m) => {
        const s = await this.hub.messageStatus(m.id).catch(() => undefined);
        if (!s) return;
        for (const r of s.recipients ?? []) if (r.recipient !== this.me) this.applyReceipt(m, r.recipient, r.status);
      }),
    );
    this.changed();
  }

  private async loadPresence(c: ConversationState): Promise<void> {
    if (c.conv.type !== 'direct') return;
    const other = c.conv.members.find((u) => u !== this.me);
    if (!other || this.presence.has(other)) return;
    const r = await this.hub
      .fetch(new Request(new URL(`/v1/presence/${encodeURIComponent(other)}`, this.hub.options.baseUrl)))
      .catch(() => undefined);
    if (r?.ok) {
      const body = (await r.json()) as { status: 'online' | 'offline' };
      this.presence.set(other, body.status);
      this.changed();
    }
  }

  sorted(): ConversationState[] {
    return [...this.conversations.values()].sort((a, b) => activity(b).localeCompare(activity(a)));
  }

  open(id: string | undefined): void {
    this.activeId = id;
    const c = id ? this.conversations.get(id) : undefined;
    if (c) {
      const firstUnread = c.unread > 0 ? c.messages.filter((m) => m.from !== this.me).slice(-c.unread)[0] : undefined;
      c.dividerSeq = firstUnread?.seq;
      void this.loadHistory(c.conv.conversation_id).then(() => this.markActiveRead());
    }
    this.markActiveRead();
    this.changed();
  }

  /** Everyone's messages up to the newest are read when the conversation is on screen. */
  markActiveRead(): void {
    const c = this.activeId ? this.conversations.get(this.activeId) : undefined;
    if (!c || (typeof document !== 'undefined' && document.visibilityState !== 'visible')) return;
    c.unread = 0;
    const newest = c.messages.filter((m) => m.from !== this.me && m.seq !== undefined).at(-1)?.seq ?? 0;
    if (newest > c.lastReadSent && this.socket?.state === 'open') {
      c.lastReadSent = newest;
      this.socket.markRead(c.conv.conversation_id, newest);
    }
  }

  async createConversation(type: 'direct' | 'group', members: string[], name?: string): Promise<string> {
    const conv = await this.hub.createConversation({
      type,
      members: [this.me, ...members.filter((m) => m !== this.me)],
      ...(name ? { name } : {}),
    });
    const existing = this.conversations.get(conv.conversation_id);
    if (existing) existing.accepted = true;
    else
      this.conversations.set(conv.conversation_id, {
        conv,
        messages: [],
        unread: 0,
        historyLoaded: false,
        typing: new Map(),
        accepted: true,
        lastReadSent: 0,
      });
    void this.loadPresence(this.conversations.get(conv.conversation_id)!);
    this.changed();
    return conv.conversation_id;
  }

  async accept(id: string): Promise<void> {
    const c = this.conversations.get(id);
    if (!c) return;
    const r = await this.hub.api.POST('/v1/conversations/{conversation_id}/accept', { params: { path: { conversation_id: id } } });
    if (r.response.ok) {
      c.accepted = true;
      this.changed();
    }
  }

  sendText(conversationId: string, text: string): void {
    const id = crypto.randomUUID();
    const c = this.conversations.get(conversationId);
    if (!c) return;
    const msg: ChatMessage = {
      id,
      conversationId,
      from: this.me,
      payload: { type: 'text', text },
      createdAt: new Date().toISOString(),
      tick: 'pending',
      receipts: {},
    };
    c.messages.push(msg);
    c.accepted = true;
    this.changed();
    this.transmit(msg);
  }

  /** Sends (or sends again) under the same client_msg_id, so the hub stores it once however often it is tried. */
  private transmit(msg: ChatMessage): void {
    if (!this.socket) return;
    msg.tick = 'pending';
    this.socket.send(msg.conversationId, msg.payload, { clientMsgId: msg.id }).then(
      () => {
        if (msg.tick === 'pending') msg.tick = 'sent';
        this.changed();
      },
      (err: unknown) => {
        msg.tick = 'failed';
        this.error = err instanceof HubSocketError && err.code !== 'timeout' && err.code !== 'closed' ? err.message : undefined;
        this.changed();
      },
    );
  }

  retry(msg: ChatMessage): void {
    this.transmit(msg);
    this.changed();
  }

  private retryFailed(): void {
    for (const c of this.conversations.values()) for (const m of c.messages) if (m.tick === 'failed') this.transmit(m);
  }

  /** The browser is online again: reconnect now rather than at the end of the backoff. */
  networkBack(): void {
    this.socket?.reconnectNow();
  }

  typing(conversationId: string): void {
    const c = this.conversations.get(conversationId);
    if (c?.accepted && this.socket?.state === 'open') this.socket.typing(conversationId);
  }

  typingUsers(c: ConversationState): string[] {
    const now = Date.now();
    return [...c.typing].filter(([, until]) => until > now).map(([u]) => u);
  }

  /** `firstOfNew`: the message that made a new conversation known (its history, just read, already holds it). */
  private onMessage(m: MessageData, firstOfNew = false): void {
    const c = this.conversations.get(m.conversation_id);
    if (!c) {
      if (!firstOfNew) void this.loadConversations().then(() => this.onMessage(m, true));
      return;
    }
    const isNew = this.upsert(
      {
        id: m.message_id,
        conversationId: m.conversation_id,
        seq: m.sequence_number,
        from: m.from,
        payload: m.payload,
        createdAt: m.created_at,
      },
      true,
    );
    if ((isNew || firstOfNew) && m.from !== this.me) {
      c.typing.delete(m.from);
      const visible = typeof document === 'undefined' || document.visibilityState === 'visible';
      if (this.activeId === m.conversation_id && visible) this.markActiveRead();
      else c.unread++;
    }
    this.changed();
  }

  /** Adds a message once (by id), keeping sequence order; returns whether it was new. */
  private upsert(msg: ChatMessage, live: boolean): boolean {
    const c = this.conversations.get(msg.conversationId);
    if (!c) return false;
    const existing = c.messages.find((m) => m.id === msg.id);
    if (existing) {
      existing.seq ??= msg.seq;
      if (existing.tick === 'pending' || existing.tick === 'failed') existing.tick = 'sent';
      c.messages.sort(bySeq);
      return false;
    }
    if (msg.from === this.me) {
      msg.tick ??= 'sent';
      msg.receipts ??= {};
    }
    c.messages.push(msg);
    c.messages.sort(bySeq);
    void live;
    return true;
  }

  private onStatus(s: StatusData): void {
    for (const c of this.conversations.values()) {
      const m = c.messages.find((x) => x.id === s.message_id);
      if (m) {
        this.applyReceipt(m, s.recipient, s.status);
        this.changed();
        return;
      }
    }
  }

  private applyReceipt(m: ChatMessage, recipient: string, status: string): void {
    const tick: Tick | undefined =
      status === 'read' ? 'read' : status === 'delivered' ? 'delivered' : status === 'sent' ? 'sent' : undefined;
    if (!tick) return;
    m.receipts ??= {};
    const before = m.receipts[recipient];
    if (before && ORDER[before] >= ORDER[tick]) return;
    m.receipts[recipient] = tick;
    const c = this.conversations.get(m.conversationId);
    const others = c ? c.conv.members.filter((u) => u !== this.me) : Object.keys(m.receipts);
    // The least advanced recipient decides the tick (a group message is "read" when everyone read it).
    let least: Tick = 'read';
    for (const u of others) {
      const t = m.receipts[u] ?? 'sent';
      if (ORDER[t] < ORDER[least]) least = t;
    }
    if (m.tick !== 'pending' && m.tick !== 'failed' && ORDER[least] > ORDER[m.tick ?? 'sent']) m.tick = least;
    else if (m.tick === 'pending' || m.tick === 'failed') m.tick = least;
  }
}

function fromStored(m: Schemas['Message']): ChatMessage {
  return {
    id: m.message_id,
    conversationId: m.conversation_id,
    seq: m.sequence_number,
    from: m.from,
    payload: m.payload as MessagePayload,
    createdAt: m.accepted_at ?? m.stored_at ?? new Date().toISOString(),
  };
}

/** Stored messages by sequence; ours not yet stored (no sequence) after them, in the order written. */
function bySeq(a: ChatMessage, b: ChatMessage): number {
  return (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER);
}

function activity(c: ConversationState): string {
  return c.messages.at(-1)?.createdAt ?? c.conv.created_at;
}
