import { inSpan, ProblemError, SpanAttr, type Logger } from '@hub/platform';
import { SpanKind } from '@opentelemetry/api';
import type { LiveSessionHooks } from '../connection-hooks';
import type { MessageHistory } from '../ports/message-history';
import type { Memberships } from '../ports/memberships';
import type { MessageSubmitter } from '../ports/message-submitter';
import type { Connection } from '../ws/connection';
import { FrameError } from '../ws/frame-error';
import type { FrameErrorCode } from '../ws/frames';
import { MessageStream } from './message-stream';
import type { PushTraces } from './push-traces';
import type { Receipts } from './receipts';

export interface LiveSessionDeps {
  history: MessageHistory;
  memberships: Memberships;
  receipts: Receipts;
  /** The shared accept path; without it `send` answers `unavailable`. */
  submitter?: MessageSubmitter;
  logger: Logger;
  pageSize: number;
  /** A conversation first seen live on a connection (created after it connected). */
  onNewConversation?: (user: string, conversationId: string) => void;
  /** Catch-up pauses while more than this many bytes wait on a socket (half the send buffer). */
  highWaterBytes: number;
  /** Where pushes were traced: an `ack` continues its message's trace. */
  pushTraces?: PushTraces;
}

/**
 * Message delivery, receipts and sends for the gateway's connections. On
 * connect each conversation with messages after the member's delivered_seq
 * is caught up (oldest first) while live frames are held and merged by
 * sequence; `resume` does the same from the client's own sequences.
 */
export function liveSessions(d: LiveSessionDeps): LiveSessionHooks {
  const streams = new Map<string, MessageStream>();
  const streamOf = (conn: Connection) => streams.get(conn.id);

  return {
    attach(conn) {
      streams.set(
        conn.id,
        new MessageStream(conn, {
          history: d.history,
          pageSize: d.pageSize,
          highWaterBytes: d.highWaterBytes,
          baseline: async (conversationId) => {
            d.onNewConversation?.(conn.user, conversationId);
            return (await d.memberships.get(conn.user, conversationId))?.delivered_seq ?? 0;
          },
        }),
      );
    },

    async opened(conn, memberships) {
      const stream = streamOf(conn);
      if (!stream) return;
      const behind = memberships.filter((m) => m.last_seq > m.delivered_seq);
      for (const m of memberships) if (m.last_seq <= m.delivered_seq) stream.startAt(m.conversation_id, m.delivered_seq);
      const catchUps = behind.map((m) => stream.catchUp(m.conversation_id, m.delivered_seq));
      // Live frames held during set-up now merge with the catch-ups by sequence.
      stream.open();
      // In the background: frames (acks of what is being sent) must not wait for the whole backlog.
      void Promise.all(
        catchUps.map((p, i) =>
          p.catch((err: Error) =>
            d.logger.warn(
              { err: { message: err.message }, user: conn.user, conversation_id: behind[i]!.conversation_id },
              'catch-up failed; the client resumes on reconnect',
            ),
          ),
        ),
      );
    },

    closed(conn) {
      streams.delete(conn.id);
    },

    async frame(conn, frame) {
      switch (frame.op) {
        case 'ack': {
          const messageId = frame.d.message_id;
          const parent = d.pushTraces?.parentOf(messageId);
          if (!parent) return d.receipts.ack(conn.user, messageId);
          return inSpan(
            'websocket ack',
            { [SpanAttr.messageId]: messageId, [SpanAttr.channel]: 'internal' },
            () => d.receipts.ack(conn.user, messageId),
            parent,
            SpanKind.CONSUMER,
          );
        }
        case 'read':
          return d.receipts.read(conn.user, frame.d.conversation_id, frame.d.up_to_seq);
        case 'resume': {
          const stream = streamOf(conn);
          if (!stream) return;
          for (const [conversationId, seq] of Object.entries(frame.d.conversations)) {
            if (!(await d.memberships.get(conn.user, conversationId)))
              throw new FrameError('not_member', `you are not a member of conversation ${conversationId}`);
            void stream
              .catchUp(conversationId, seq)
              .catch((err: Error) => d.logger.warn({ err: { message: err.message }, user: conn.user }, 'resume failed'));
          }
          return;
        }
        case 'send': {
          const { client_msg_id, conversation_id, payload } = frame.d;
          if (!d.submitter)
            throw new FrameError('unavailable', 'sending over WebSocket is not available on this node; use POST /v1/messages', {
              client_msg_id,
            });
          try {
            const { message_id } = await d.submitter.submit(conn.principal, { conversation_id, payload }, client_msg_id);
            conn.send({ op: 'accepted', d: { client_msg_id, message_id } });
          } catch (err) {
            if (err instanceof ProblemError) throw new FrameError(frameCode(err), err.detail ?? err.message, { client_msg_id });
            throw err;
          }
          return;
        }
      }
    },

    deliver(conn, frame) {
      if (frame.op === 'message') streamOf(conn)?.live(frame.d);
      else conn.send(frame);
    },
  };
}

/** The REST problem code of a refused send, as a frame error code. */
function frameCode(err: ProblemError): FrameErrorCode {
  switch (err.code) {
    case 'forbidden':
    case 'insufficient_scope':
      return 'not_member';
    case 'not_found':
      return 'not_found';
    // The accept path's refusals of a client_msg_id: another user's (409), or yours for a different message (422).
    case 'conflict':
      return 'message_id_taken';
    case 'unprocessable':
      return 'message_id_reused';
    case 'unavailable':
      return 'unavailable';
    case 'rate_limited':
      return 'rate_limited';
    case 'internal':
      return 'internal';
    default:
      return 'validation_failed';
  }
}
