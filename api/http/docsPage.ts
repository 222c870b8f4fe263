// The API's documentation page (/api/docs): a dependency-free page that renders the OpenAPI
// document as a readable list, with no CDN (no network here). Its script and style are files of
// their own (/api/docs.js, /api/docs.css) because the Content-Security-Policy runs no inline
// script and applies no inline style (api/http/contentSecurityPolicy.ts).
import type { Express } from "express";

export const docsPaths = { page: "/api/docs", script: "/api/docs.js", style: "/api/docs.css" } as const;

const docsStyle = `body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px}pre{padding:.6rem;overflow:auto}
h2{margin-top:2rem;border-bottom:1px solid #ddd}.m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}
details{margin:.4rem 0}
`;

// Reads the document's address from the page (data-spec), so the script is one fixed file.
const docsScript = `const specUrl=document.body.dataset.spec;
fetch(specUrl).then(r=>r.json()).then(doc=>{const byTag={};
for(const [path,ops] of Object.entries(doc.paths))for(const [method,op] of Object.entries(ops)){const tag=(op.tags||['other'])[0];(byTag[tag]??=[]).push({path,method,op})}
const esc=s=>String(s).replace(/[&<>]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
document.getElementById('ops').innerHTML=Object.entries(byTag).map(([tag,list])=>'<h2>'+esc(tag)+'</h2>'+list.map(({path,method,op})=>
'<details><summary><span class="m">'+method+'</span> <code>'+esc(path)+'</code> '+esc(op.summary||'')+(op.security?' 🔒':'')+'</summary><pre>'+esc(JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2))+'</pre></details>').join('')).join('')});
`;

function docsPage(specUrl: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Keyledger API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${docsPaths.style}"><script src="${docsPaths.script}" defer></script></head>
<body data-spec="${specUrl}"><h1>Keyledger API</h1>
<p>The OpenAPI 3.1 document: <a href="${specUrl}">${specUrl}</a>. Errors are <code>{ code, message, details }</code>.</p>
<div id="ops">Loading…</div></body></html>`;
}

/** Serves the page, its script and its style. */
export function serveDocsPage(app: Express, specUrl: string): void {
  app.get(docsPaths.page, (_req, res) => {
    res.type("html").send(docsPage(specUrl));
  });
  app.get(docsPaths.script, (_req, res) => {
    res.type("js").send(docsScript);
  });
  app.get(docsPaths.style, (_req, res) => {
    res.type("css").send(docsStyle);
  });
}
