// The Content-Security-Policy of every answer (set by helmet in api/http/app.ts). It is what
// stands between an injected string and the buyer's codes: no inline script or style runs (but
// the app's own style sheet and boot script, each allowed by its hash),
// scripts and styles come only from this origin, and the page talks only to this origin (the
// API) and to the chain RPC the platform names for browser-side verification
// (PUBLIC_RPC_URL, GET /api/config/public). A browser wallet needs no connect-src: the
// extension makes its own requests. Exfiltration by fetch, XHR, WebSocket or beacon to any other
// origin is refused. The cost: the verify page's "your own RPC" field only reaches the
// configured RPC from the browser; any other RPC is for `keyledger verify` (docs/web.md).
// Payment links are navigations (window.location), not form posts, so form-action stays 'self'
// (the sandbox cashier posts to itself).

export type ContentSecurityPolicyOptions = {
  /** The RPC URL browsers are told to use (config chain.publicRpcUrl); its origin may be fetched. */
  publicRpcUrl?: string;
  /** The platform's public URL: over https, plain-http subresources are upgraded. */
  publicUrl: string;
  /** Hashes ('sha256-…') of the one inline style sheet the pages carry (api/http/webShell.ts). */
  inlineStyleSources?: string[];
  /** Hashes ('sha256-…') of the one inline script the pages carry, the boot script (web/public/boot.js). */
  inlineScriptSources?: string[];
};

export function contentSecurityPolicyDirectives(options: ContentSecurityPolicyOptions): Record<string, string[]> {
  const connect = ["'self'"];
  // The origin only (scheme, host, port): it never carries credentials a URL's userinfo might.
  if (options.publicRpcUrl) connect.push(new URL(options.publicRpcUrl).origin);
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'", ...(options.inlineScriptSources ?? [])],
    // No inline event handlers (onclick=...) either.
    "script-src-attr": ["'none'"],
    // React's style props go through the CSSOM, which style-src does not govern.
    "style-src": ["'self'", ...(options.inlineStyleSources ?? [])],
    "connect-src": connect,
    // The favicon is a data: URL (web/index.html).
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
  };
  if (options.publicUrl.startsWith("https:")) directives["upgrade-insecure-requests"] = [];
  return directives;
}
