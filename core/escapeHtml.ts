// Text for HTML: markup in a merchant's shop or product name is shown as text, never parsed.
// Safe inside element content and inside quoted attribute values (both quote characters escaped).
export function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
