import { SpanKind } from '@opentelemetry/api';
import type { DeliveryResult, ResilientConnector } from '@hub/connectors';
import { inSpan, SpanAttr } from '@hub/platform';
import type { ExternalChannel, IdentityDirectory, StoredMessage } from '@hub/domain';
import type { FileLinks } from '../ports/file-links';

export interface OutboundAttemptDeps {
  connector(channel: ExternalChannel): ResilientConnector | undefined;
  directory: Pick<IdentityDirectory, 'getMapping'>;
  files?: FileLinks;
}

/**
 * One try of one external delivery: the recipient's mapping (looked up
 * now, so a mapping fixed since the last try counts), then the connector
 * through its resilience wrapper. Never throws; a missing mapping or
 * connector is a permanent failure that is not worth retrying.
 */
export function attemptOutbound(
  deps: OutboundAttemptDeps,
  message: StoredMessage,
  recipient: string,
  channel: ExternalChannel,
): Promise<DeliveryResult> {
  return inSpan(
    `connector call ${channel}`,
    {
      [SpanAttr.messageId]: message.message_id,
      [SpanAttr.conversationId]: message.conversation_id,
      [SpanAttr.recipient]: recipient,
      [SpanAttr.channel]: channel,
    },
    async (span) => {
      const result = await attempt(deps, message, recipient, channel);
      span.setAttribute(
        SpanAttr.outcome,
        result.outcome === 'retryable' || result.outcome === 'permanent' ? `${result.outcome}: ${result.reason}` : result.outcome,
      );
      return result;
    },
    undefined,
    SpanKind.CLIENT,
  );
}

async function attempt(
  deps: OutboundAttemptDeps,
  message: StoredMessage,
  recipient: string,
  channel: ExternalChannel,
): Promise<DeliveryResult> {
  const connector = deps.connector(channel);
  if (!connector) return { outcome: 'permanent', reason: 'channel_disabled', error: `no ${channel} connector is enabled on this router` };
  const mapping = deps.directory.getMapping(recipient, channel);
  if (!mapping) return { outcome: 'permanent', reason: 'no_mapping', error: `${recipient} has no ${channel} mapping` };
  const to = mapping.external_id;
  if (message.payload.type === 'text') return connector.deliver({ to, text: message.payload.text });

  const file = message.file;
  if (!file) return { outcome: 'permanent', reason: 'file_unavailable', error: 'file message without file details' };
  let url: string | undefined;
  try {
    url = await deps.files?.downloadUrl(file);
  } catch (err) {
    return {
      outcome: 'retryable',
      reason: 'provider_error',
      error: `could not sign a download link: ${(err as Error).message}`,
      attempted: false,
    };
  }
  if (!url) return { outcome: 'permanent', reason: 'file_unavailable', error: `file ${file.file_id} is not available for download` };
  const caption = message.payload.caption;
  return connector.deliverFile({
    to,
    file: { filename: file.filename, size: file.size, contentType: file.content_type, url },
    ...(caption ? { caption } : {}),
  });
}
