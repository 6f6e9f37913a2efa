import { createHash } from 'node:crypto';

/**
 * Human-readable API docs at /docs, rendered in the browser from
 * /openapi.json. Self-contained (no CDN): hub installations are often on
 * closed networks.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Messaging hub API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#17324d;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
main{max-width:1000px;margin:0 auto;padding:20px}
.op{background:#fff;border:1px solid #dde2e8;border-radius:8px;margin:10px 0}
.op summary{cursor:pointer;padding:10px 14px;display:flex;gap:12px;align-items:center}
.m{font:600 12px monospace;padding:3px 8px;border-radius:4px;color:#fff;min-width:52px;text-align:center}
.get{background:#2f7d32}.post{background:#1565c0}.put{background:#8e5a00}.patch{background:#6a1b9a}.delete{background:#b71c1c}
.path{font-family:monospace;font-weight:600}.sum{color:#55606b}
.body{padding:0 14px 14px}pre{background:#f1f3f5;padding:10px;border-radius:6px;overflow:auto;font-size:12px}
h2{margin-top:28px;font-size:17px;color:#17324d}
</style></head><body><header><h1>Messaging hub API</h1><div id="info">Loading /openapi.json…</div></header>
<main id="ops"></main>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  document.getElementById('info').textContent='OpenAPI '+doc.openapi+' · version '+doc.info.version+' · machine-readable: /openapi.json';
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths||{})) for(const [method,op] of Object.entries(item)){
    const tag=(op.tags&&op.tags[0])||'other';(byTag[tag]=byTag[tag]||[]).push({path,method,op});
  }
  const root=document.getElementById('ops');
  const esc=s=>String(s).replace(/[&<>]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
  for(const tag of Object.keys(byTag).sort()){
    const h=document.createElement('h2');h.textContent=tag;root.appendChild(h);
    for(const {path,method,op} of byTag[tag]){
      const d=document.createElement('details');d.className='op';
      const req=op.requestBody?'<h4>Request body</h4><pre>'+esc(JSON.stringify(op.requestBody.content,null,2))+'</pre>':'';
      const params=op.parameters?'<h4>Parameters</h4><pre>'+esc(JSON.stringify(op.parameters,null,2))+'</pre>':'';
      d.innerHTML='<summary><span class="m '+method+'">'+method.toUpperCase()+'</span><span class="path">'+esc(path)+'</span><span class="sum">'+esc(op.summary||'')+'</span></summary>'+
        '<div class="body"><p>'+esc(op.description||'')+'</p>'+params+req+'<h4>Responses</h4><pre>'+esc(JSON.stringify(op.responses,null,2))+'</pre></div>';
      root.appendChild(d);
    }
  }
  if(!Object.keys(byTag).length) root.textContent='No operations documented yet.';
}).catch(e=>{document.getElementById('info').textContent='Could not load /openapi.json: '+e});
</script></body></html>`;

/**
 * The Content-Security-Policy of /docs: the page's own inline style and
 * script, allowed by hash (so an injected one is not), and fetches to this
 * origin for /openapi.json; nothing else, and no framing. Derived from
 * DOCS_HTML so an edit to the page cannot leave a stale hash behind.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  `script-src ${inlineHashes('script')}`,
  `style-src ${inlineHashes('style')}`,
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function inlineHashes(tag: 'script' | 'style'): string {
  const blocks = [...DOCS_HTML.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
  return blocks.map((b) => `'sha256-${createHash('sha256').update(b, 'utf8').digest('base64')}'`).join(' ');
}
