// The account roles, shared by the API (authorisation), the web app (what a person may pick at
// sign-up) and the scripts (demo seed). Staff roles see orders and books but never a code or a
// salt (docs/certificate.md).
export const roles = ["buyer", "merchant", "reseller", "auditor", "admin"] as const;
export type Role = (typeof roles)[number];

/** The roles a person may give themselves at sign-up; the others are granted by an admin. */
export const selfAssignableRoles = ["buyer", "merchant", "reseller"] as const satisfies readonly Role[];

/**
 * What an API key may be granted (docs/api-keys.md). Each route names the one scope that opens
 * it to a key (`scope:` in its declaration); a route without one refuses every key. Shared with
 * the web app's key form.
 */
export const apiKeyScopes = ["products:read", "products:write", "keys:import", "orders:read", "orders:write", "webhooks:manage", "ledger:read"] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/** The roles that may hold API keys: keys act for a shop's merchant or an agent, never for staff. */
export const apiKeyOwnerRoles = ["merchant", "reseller"] as const satisfies readonly Role[];
