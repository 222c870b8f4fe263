// What "live" means for an account's API keys (not revoked, not expired): the keys that the
// per-account cap and the plan's API keys limit count, at creation and at a plan downgrade.
import { sql } from "../../../core/store/database.ts";

/** The count of `accountId`'s live keys, as an SQL expression (`accountId` may be a column). */
export const liveApiKeyCount = (accountId: ReturnType<typeof sql> | bigint) =>
  sql`(SELECT count(*)::int FROM api_keys k WHERE k.account_id = ${accountId} AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()))`;
