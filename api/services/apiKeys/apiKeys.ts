// API keys: created by a merchant or an agent for their own account, listed (never with the
// secret), revoked, and authenticated on each call (docs/api-keys.md). The secret's format and
// hashing are in apiKeySecret.ts, the allow-list in allowList.ts.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { textArrayLiteral } from "../../../core/store/sqlArrays.ts";
import type { ApiKeyScope, Role } from "../../../core/roles.ts";
import { recordAudit } from "../audit.ts";
import { sessionRoles, type AuthenticatedAccount } from "../accounts/sessions.ts";
import { assertApiKeyRoom, lockAccountKeyPlan } from "../saas/plans.ts";
import { addressAllowed, parseNetwork } from "./allowList.ts";
import { liveApiKeyCount } from "./liveApiKeys.ts";
import { apiKeyHint, apiKeyIdOf, apiKeySecretMatches, hashApiKeySecret, newApiKeySecret } from "./apiKeySecret.ts";

export type ApiKeySettings = {
  /** The server's HMAC key for secrets (API_KEY_HASH_KEY). */
  hashKey: string;
  /** Live keys (not revoked, not expired) one account may hold: the platform's absolute cap (API_KEYS_PER_ACCOUNT_MAX). */
  keysPerAccountMax: number;
  /** The plan's API keys limit applies too (SAAS_LIMITS_ENFORCED; docs/saas.md, "API keys"). */
  planLimits: boolean;
};

export type ApiKeyView = {
  id: bigint;
  name: string;
  scopes: ApiKeyScope[];
  hint: string;
  expiresAt: Date | null;
  allowedNetworks: string[];
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
};

export type NewApiKey = { name: string; scopes: ApiKeyScope[]; expiresAt?: Date; allowedNetworks: string[] };

type KeyRow = {
  id: bigint;
  name: string;
  scopes: ApiKeyScope[];
  hint: string;
  expires_at: Date | null;
  allowed_networks: string[];
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
};

const viewColumns = sql`id, name, scopes, hint, expires_at, allowed_networks::text[] AS allowed_networks, created_at, revoked_at, last_used_at`;

function viewOf(row: KeyRow): ApiKeyView {
  return {
    id: BigInt(row.id),
    name: row.name,
    scopes: row.scopes,
    hint: row.hint,
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    allowedNetworks: row.allowed_networks,
    createdAt: new Date(row.created_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
  };
}

// Stryker disable all: the rest reads and writes the database; test/apikeys covers it, the
// mutation run's tests are pure (docs/testing.md).

/** Creates a key for `accountId`; the answer carries the secret, which is never readable again. */
export async function createApiKey(db: Drizzle, settings: ApiKeySettings, accountId: bigint, input: NewApiKey): Promise<{ key: ApiKeyView; secret: string }> {
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw new AppError("validation_failed", "expiresAt must be in the future: leave it out for a key that does not expire.", {
      details: [{ location: "body", path: "expiresAt", code: "too_small", message: "must be in the future" }],
    });
  }
  // Normalised by PostgreSQL's network(): 10.1.2.3/8 is kept as 10.0.0.0/8, as it matches.
  for (const network of input.allowedNetworks) parseNetwork(network);
  return db.transaction(async (tx) => {
    // One owner's creations in turn, so the count below cannot be raced past by parallel requests.
    // NO KEY UPDATE, not UPDATE: a product or endpoint creation holds its shop's lock and then
    // writes an audit row referencing this account (a key-share lock), while this creation holds
    // the account and then share-locks the shops (lockAccountKeyPlan); FOR UPDATE made that a deadlock.
    await tx.execute(sql`SELECT id FROM accounts WHERE id = ${accountId} FOR NO KEY UPDATE`);
    const live = await queryOne<{ count: number }>(tx, sql`SELECT ${liveApiKeyCount(accountId)} AS count`);
    if ((live?.count ?? 0) >= settings.keysPerAccountMax) {
      throw new AppError("conflict", `An account holds at most ${settings.keysPerAccountMax} live API keys: revoke one you no longer use first.`, {
        details: { keysMax: settings.keysPerAccountMax },
      });
    }
    if (settings.planLimits) assertApiKeyRoom(await lockAccountKeyPlan(tx, accountId), live?.count ?? 0);
    const next = await queryOne<{ id: bigint }>(tx, sql`SELECT nextval('api_keys_id_seq') AS id`);
    const id = BigInt(next!.id);
    const secret = newApiKeySecret(id);
    const row = await queryOne<KeyRow>(
      tx,
      sql`INSERT INTO api_keys (id, account_id, name, scopes, secret_hash, hint, expires_at, allowed_networks)
          VALUES (${id}, ${accountId}, ${input.name}, ${textArrayLiteral(input.scopes)}::text[], ${hashApiKeySecret(settings.hashKey, secret)},
                  ${apiKeyHint(secret)}, ${input.expiresAt ?? null},
                  (SELECT coalesce(array_agg(DISTINCT network(n::inet)), '{}') FROM unnest(${textArrayLiteral(input.allowedNetworks)}::text[]) AS n))
          RETURNING ${viewColumns}`,
    );
    const key = viewOf(row!);
    await recordAudit(tx, {
      accountId,
      action: "api_key.create",
      subject: `api_key:${id}`,
      details: { scopes: key.scopes, expiresAt: key.expiresAt?.toISOString() ?? null, allowedNetworks: key.allowedNetworks },
    });
    return { key, secret };
  });
}

/** The account's keys, newest first (revoked ones too: their ids are in the audit log). */
export async function listApiKeys(
  db: Drizzle,
  accountId: bigint,
  page: { limit: number; beforeId?: bigint },
): Promise<{ items: ApiKeyView[]; nextCursor: string | null }> {
  const rows = await queryRows<KeyRow>(
    db,
    sql`SELECT ${viewColumns} FROM api_keys
        WHERE account_id = ${accountId} ${page.beforeId === undefined ? sql`` : sql`AND id < ${page.beforeId}`}
        ORDER BY id DESC LIMIT ${page.limit + 1}`,
  );
  const items = rows.slice(0, page.limit).map(viewOf);
  return { items, nextCursor: rows.length > page.limit ? String(items.at(-1)!.id) : null };
}

/** Revokes one of the account's keys (again: no change); another account's key is "not found". */
export async function revokeApiKey(db: Drizzle, accountId: bigint, keyId: bigint): Promise<ApiKeyView> {
  return db.transaction(async (tx) => {
    const revoked = await queryOne<KeyRow>(
      tx,
      sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${keyId} AND account_id = ${accountId} AND revoked_at IS NULL RETURNING ${viewColumns}`,
    );
    if (revoked) {
      await recordAudit(tx, { accountId, action: "api_key.revoke", subject: `api_key:${keyId}` });
      return viewOf(revoked);
    }
    const existing = await queryOne<KeyRow>(tx, sql`SELECT ${viewColumns} FROM api_keys WHERE id = ${keyId} AND account_id = ${accountId}`);
    if (!existing) throw new AppError("not_found", `You have no API key ${keyId}.`);
    return viewOf(existing);
  });
}

/** A request authenticated by a key: the owner's account cut down to the key's scopes. */
export type ApiKeyPrincipal = { account: AuthenticatedAccount; key: { id: bigint; scopes: ApiKeyScope[] } };

/**
 * The principal behind `secret` from `clientAddress`, or an AppError saying why not: unknown or
 * wrong (401 api_key_invalid, one answer for both so ids cannot be probed), revoked, expired
 * (401), or outside the key's allow-list (403 api_key_address).
 */
export async function authenticateApiKey(db: Drizzle, hashKey: string, secret: string, clientAddress: string | undefined): Promise<ApiKeyPrincipal> {
  const invalid = new AppError("api_key_invalid", "This API key is not valid: check that it was copied whole, or create a new one in the console.");
  const id = apiKeyIdOf(secret);
  if (id === undefined) throw invalid;
  const row = await queryOne<{
    secret_hash: Uint8Array;
    scopes: ApiKeyScope[];
    expired: boolean;
    revoked_at: Date | null;
    allowed_networks: string[];
    account_id: bigint;
    email: string;
    roles: Role[];
  }>(
    db,
    sql`SELECT k.secret_hash, k.scopes, (k.expires_at IS NOT NULL AND k.expires_at <= now()) AS expired, k.revoked_at,
               k.allowed_networks::text[] AS allowed_networks, a.id AS account_id, a.email, a.roles
        FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ${id}`,
  );
  if (!row || !apiKeySecretMatches(hashKey, secret, row.secret_hash)) throw invalid;
  if (row.revoked_at !== null) throw new AppError("api_key_revoked", `API key ${id} was revoked: create a new one in the console.`);
  if (row.expired) throw new AppError("api_key_expired", `API key ${id} has expired: create a new one in the console.`);
  if (!addressAllowed(row.allowed_networks, clientAddress)) {
    throw new AppError(
      "api_key_address",
      `API key ${id} may not be used from ${clientAddress ?? "an unknown address"}: add its network to the key's allow-list.`,
    );
  }
  // A key never carries staff roles (it has no second factor); the owner's other roles are read
  // at each call, so a role taken from the owner is taken from the key as well.
  const { roles } = sessionRoles(row.roles, "password");
  return {
    account: {
      id: BigInt(row.account_id),
      email: row.email,
      roles,
      withheldRoles: [],
      factor: "password",
      sessionId: 0n,
      tokenHash: hashApiKeySecret(hashKey, secret),
    },
    key: { id, scopes: row.scopes },
  };
}

/** Records one call made with a key (before the route runs, so no call goes unrecorded) and its last use. */
export async function recordApiKeyCall(
  db: Drizzle,
  principal: ApiKeyPrincipal,
  call: { method: string; path: string; clientAddress: string | undefined },
): Promise<void> {
  await db.execute(sql`
    WITH used AS (UPDATE api_keys SET last_used_at = now() WHERE id = ${principal.key.id})
    INSERT INTO audit_log (account_id, action, subject, details, api_key_id)
    VALUES (${principal.account.id}, 'api_key.call', ${`api_key:${principal.key.id}`},
            ${JSON.stringify({ method: call.method, path: call.path, clientAddress: call.clientAddress ?? null })}::jsonb, ${principal.key.id})`);
}
// Stryker restore all
