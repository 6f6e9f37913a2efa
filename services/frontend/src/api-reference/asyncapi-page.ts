/**
 * /docs/websocket: the AsyncAPI document rendered on the server as plain
 * HTML (no script), so the WebSocket protocol is read beside the REST
 * reference under the same self-only policy.
 */
type Json = Record<string, unknown>;

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Enough Markdown for the document's descriptions: code spans, bold and tables. */
function markdown(text: string): string {
  const inline = (s: string) =>
    esc(s)
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  return text
    .split(/\n\n+/)
    .map((block) => {
      const lines = block.split('\n');
      if (lines.every((l) => l.startsWith('|'))) {
        const cells = (l: string) =>
          l
            .slice(1, -1)
            .split('|')
            .map((c) => c.trim());
        const [head, , ...rows] = lines;
        return `<table><tr>${cells(head!)
          .map((c) => `<th>${inline(c)}</th>`)
          .join('')}</tr>${rows
          .map(
            (r) =>
              `<tr>${cells(r)
                .map((c) => `<td>${inline(c)}</td>`)
                .join('')}</tr>`,
          )
          .join('')}</table>`;
      }
      return `<p>${inline(block)}</p>`;
    })
    .join('\n');
}

export function renderAsyncApiPage(doc: Json): string {
  const info = doc.info as { title: string; version: string; description: string };
  const channels = doc.channels as Record<string, { address: string; description: string }>;
  const operations = doc.operations as Record<string, { action: 'send' | 'receive'; summary: string; messages: Array<{ $ref: string }> }>;
  const messages = (doc.components as { messages: Record<string, { name: string; title: string; payload: unknown }> }).messages;
  const frames = (action: 'send' | 'receive') =>
    Object.values(operations)
      .filter((o) => o.action === action)
      .map((o) => {
        const m = messages[o.messages[0]!.$ref.split('/').pop()!]!;
        const dir = action === 'receive' ? '<span class="dir in">client → hub</span>' : '<span class="dir out">hub → client</span>';
        return `<div class="frame" id="op-${esc(m.name)}-${action}"><h3>${dir}<code>${esc(m.name)}</code></h3>${markdown(o.summary)}<pre>${esc(JSON.stringify(m.payload, null, 2))}</pre></div>`;
      })
      .join('\n');
  const channel = Object.values(channels)[0]!;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/docs.css">
</head><body>
<nav class="hub-nav"><strong>Messaging hub</strong> <a href="/docs">REST API</a> <a href="/docs/websocket">WebSocket protocol</a> <a href="/openapi.json">openapi.json</a> <a href="/asyncapi.json">asyncapi.json</a></nav>
<main class="ws">
<h1>${esc(info.title)} <small>(AsyncAPI ${esc(doc.asyncapi)}, version ${esc(info.version)})</small></h1>
${markdown(info.description)}
<h2>Channel <code>${esc(channel.address)}</code></h2>
${markdown(channel.description)}
<h2>Client frames</h2>
${frames('receive')}
<h2>Server frames</h2>
${frames('send')}
</main></body></html>`;
}
