// Credentials in RPC URLs (https://user:password@host/ or an API key in the path or query) must
// never reach a log or an error message. This keeps scheme, host and port only.
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const hasPath = parsed.pathname !== "/" && parsed.pathname !== "";
    return `${parsed.protocol}//${parsed.host}${hasPath || parsed.search ? "/…" : ""}`;
  } catch {
    return "<unparseable RPC URL>";
  }
}
