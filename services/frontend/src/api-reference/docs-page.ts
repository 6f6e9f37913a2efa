/**
 * The API reference at /docs: Swagger UI (swagger-ui-dist, pinned, served
 * from node_modules by this service: hub installations are often on closed
 * networks, so nothing comes from a CDN) rendering /openapi.json with "try
 * it". The page has no inline script or style, so its policy allows only
 * this origin.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Messaging hub API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="stylesheet" href="/docs/assets/docs.css">
</head><body>
<nav class="hub-nav"><strong>Messaging hub</strong> <a href="/docs">REST API</a> <a href="/docs/websocket">WebSocket protocol</a> <a href="/openapi.json">openapi.json</a> <a href="/asyncapi.json">asyncapi.json</a></nav>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs-init.js"></script>
</body></html>`;

/** Starts Swagger UI; `validatorUrl: null` keeps it from calling swagger.io to validate the document. */
export const DOCS_INIT_JS = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  persistAuthorization: false,
  displayRequestDuration: true,
});
`;

export const DOCS_CSS = `.hub-nav{font:14px/1.5 system-ui,sans-serif;background:#17324d;color:#fff;padding:10px 24px;display:flex;gap:18px;align-items:center}
.hub-nav a{color:#cfe3ff}
.ws{font:15px/1.55 system-ui,sans-serif;color:#1d232a;max-width:1000px;margin:0 auto;padding:8px 20px 40px}
.ws h1{font-size:24px}.ws h2{font-size:19px;margin-top:30px;color:#17324d}.ws h3{font-size:16px;margin:0}
.ws .frame{background:#fff;border:1px solid #dde2e8;border-radius:8px;margin:10px 0;padding:10px 14px}
.ws .dir{font:600 12px monospace;padding:2px 8px;border-radius:4px;color:#fff;margin-right:8px}
.ws .in{background:#1565c0}.ws .out{background:#2f7d32}
.ws pre{background:#f1f3f5;padding:10px;border-radius:6px;overflow:auto;font-size:12px}
.ws table{border-collapse:collapse}.ws td,.ws th{border:1px solid #dde2e8;padding:4px 10px;text-align:left}
`;

/**
 * Only this origin: Swagger UI's bundle and styles, the document it fetches
 * and "try it" requests all go to the hub; images include data: URIs (the
 * stylesheet's icons). No framing.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
