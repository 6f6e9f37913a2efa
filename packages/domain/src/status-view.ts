import type { Channel } from './message';
import { canTransition, rollUp, type Status, type StatusHistoryEntry } from './status';

/** One recorded status change of a (message, recipient, channel), as stored by the status writer. */
export interface RecordedStatus {
  recipient: string;
  channel: Channel;
  status: Status;
  at: string;
  detail?: string;
  external_id?: string;
  /** A dead-letter replay reopening a failed delivery (see canTransition). */
  reopened?: boolean;
}

export interface RecipientState {
  recipient: string;
  channel: Channel;
  status: Status;
  updated_at: string;
  detail?: string;
  external_id?: string;
}

/** Body of GET /v1/messages/{id}/status. */
export interface MessageStatusView {
  message_id: string;
  conversation_id: string;
  sequence_number?: number;
  /** Roll-up of the recipients' states: the least advanced live one, else `failed`. */
  status: Status;
  recipients: RecipientState[];
  status_history: StatusHistoryEntry[];
}

/**
 * Assembles a message's status from its recorded changes. Every recipient ×
 * channel starts `accepted` at accept time; changes are applied in time
 * order and only where `canTransition` allows, so late, repeated or
 * out-of-order events never move a status backwards, and the history lists
 * exactly the changes that took effect.
 */
export function buildStatusView(
  message: {
    message_id: string;
    conversation_id: string;
    sequence_number?: number;
    to: string[];
    channels: Channel[];
    accepted_at: string;
  },
  recorded: readonly RecordedStatus[],
): MessageStatusView {
  const states = new Map<string, RecipientState>();
  const history: StatusHistoryEntry[] = [];
  for (const recipient of message.to) {
    for (const channel of message.channels) {
      states.set(`${recipient}|${channel}`, { recipient, channel, status: 'accepted', updated_at: message.accepted_at });
      history.push({ recipient, channel, status: 'accepted', at: message.accepted_at });
    }
  }
  const ordered = [...recorded].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const r of ordered) {
    const key = `${r.recipient}|${r.channel}`;
    const current = states.get(key);
    // A status for a recipient or channel the message was not sent to is not part of its story.
    if (!current || !canTransition(current.status, r.status, { reopened: r.reopened === true })) continue;
    const next: RecipientState = { recipient: r.recipient, channel: r.channel, status: r.status, updated_at: r.at };
    if (r.detail !== undefined) next.detail = r.detail;
    const externalId = r.external_id ?? current.external_id;
    if (externalId !== undefined) next.external_id = externalId;
    states.set(key, next);
    history.push({
      recipient: r.recipient,
      channel: r.channel,
      status: r.status,
      at: r.at,
      ...(r.detail !== undefined ? { detail: r.detail } : {}),
    });
  }
  const recipients = [...states.values()];
  return {
    message_id: message.message_id,
    conversation_id: message.conversation_id,
    ...(message.sequence_number !== undefined ? { sequence_number: message.sequence_number } : {}),
    status: rollUp(recipients.map((s) => s.status)),
    recipients,
    status_history: history,
  };
}
