// Referral links (docs/distribution.md): every account has a code for its links (?ref=CODE); a
// signed-in buyer who arrives through one is attached to that referrer in that shop, first
// touch, until the attachment expires. A loop (A refers B refers A) is refused, and so is
// referring oneself. The chain of attachments gives a sale's referrers, levels 1 to 3.
import { randomBytes } from "node:crypto";
import type { SQL } from "drizzle-orm";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { commissionLevelsMax } from "./commissions.ts";

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** 10 characters of Crockford base32 (50 bits): codes are public, randomness only keeps them apart. */
function newReferralCode(): string {
  const bytes = randomBytes(10);
  return Array.from(bytes, (byte) => crockford[byte & 31]).join("");
}

/** The account's referral code, made on first use (a racing first use gets the same code). */
export async function referralCodeOf(db: Drizzle, accountId: bigint): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = await queryOne<{ code: string }>(
      db,
      sql`WITH made AS (
            INSERT INTO referral_codes (account_id, code) VALUES (${accountId}, ${newReferralCode()})
            ON CONFLICT DO NOTHING RETURNING code
          )
          SELECT code FROM made UNION ALL SELECT code FROM referral_codes WHERE account_id = ${accountId} LIMIT 1`,
    );
    if (row) return row.code;
    // Only a clash of the random code with another account's leaves no row: draw again.
  }
  throw new Error("Could not make a referral code in three attempts.");
}

export type AttachReferralReturnType = { attached: boolean; referrerAccountId: string; expiresAt: Date };

/**
 * Attaches the buyer to the code's owner in the shop, unless the buyer already has an unexpired
 * referrer (first touch wins: attached false, the existing one answered). One attachment per
 * shop at a time is decided under the shop's advisory lock, so two buyers referring each other
 * at the same moment cannot both pass the loop check.
 */
export async function attachReferral(
  db: Drizzle,
  parameters: { shopId: bigint; buyerAccountId: bigint; code: string; validDays: number },
): Promise<AttachReferralReturnType> {
  const { shopId, buyerAccountId } = parameters;
  const owner = await queryOne<{ account_id: bigint }>(db, sql`SELECT account_id FROM referral_codes WHERE code = ${parameters.code.toUpperCase()}`);
  if (!owner) throw new AppError("not_found", "This referral link's code is unknown. Check the link you followed.");
  const shop = await queryOne<{ id: bigint }>(db, sql`SELECT id FROM shops WHERE id = ${shopId}`);
  if (!shop) throw new AppError("not_found", `No shop ${shopId}.`);
  const referrer = BigInt(owner.account_id);
  if (referrer === buyerAccountId) throw new AppError("referral_loop", "You cannot refer yourself. Follow another member's link, or none.");
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended('referral_attachments:' || ${String(shopId)}, 0))`);
    const existing = await queryOne<{ referrer_account_id: bigint; expires_at: Date }>(
      tx,
      sql`SELECT referrer_account_id, expires_at FROM referral_attachments
          WHERE shop_id = ${shopId} AND buyer_account_id = ${buyerAccountId} AND expires_at > now()`,
    );
    if (existing) return { attached: false, referrerAccountId: String(existing.referrer_account_id), expiresAt: new Date(existing.expires_at) };
    // A loop: the buyer is somewhere up the referrer's own chain (any depth, not only the paid levels).
    const loop = await queryOne<{ found: boolean }>(
      tx,
      sql`WITH RECURSIVE up(account_id, depth) AS (
            SELECT ${referrer}::bigint, 0
            UNION ALL
            SELECT r.referrer_account_id, up.depth + 1 FROM referral_attachments r JOIN up ON r.buyer_account_id = up.account_id
            WHERE r.shop_id = ${shopId} AND r.expires_at > now() AND up.depth < 1000
          )
          SELECT EXISTS (SELECT 1 FROM up WHERE account_id = ${buyerAccountId}) AS found`,
    );
    if (loop?.found) {
      throw new AppError("referral_loop", "This link's owner was referred by you (directly or through others), so it cannot refer you. Nothing was attached.");
    }
    const row = await queryOne<{ expires_at: Date }>(
      tx,
      sql`INSERT INTO referral_attachments (shop_id, buyer_account_id, referrer_account_id, expires_at)
          VALUES (${shopId}, ${buyerAccountId}, ${referrer}, now() + make_interval(days => ${parameters.validDays}))
          ON CONFLICT (shop_id, buyer_account_id) DO UPDATE SET referrer_account_id = EXCLUDED.referrer_account_id,
            attached_at = now(), expires_at = EXCLUDED.expires_at
          RETURNING expires_at`,
    );
    return { attached: true, referrerAccountId: String(referrer), expiresAt: new Date(row!.expires_at) };
  });
}

/**
 * The buyer's referrers in the shop, level 1 (its own referrer) up to level 3, through unexpired
 * attachments: a WITH RECURSIVE list `up(referrer_account_id, depth)` for the caller's statement
 * (checkout reads it together with the commission rates, checkoutDistribution.ts).
 */
export function referrerChainSql(shopId: bigint, buyerAccountId: bigint): SQL {
  return sql`up(referrer_account_id, depth) AS (
          SELECT referrer_account_id, 1 FROM referral_attachments
          WHERE shop_id = ${shopId} AND buyer_account_id = ${buyerAccountId} AND expires_at > now()
          UNION ALL
          SELECT r.referrer_account_id, up.depth + 1 FROM referral_attachments r JOIN up ON r.buyer_account_id = up.referrer_account_id
          WHERE r.shop_id = ${shopId} AND r.expires_at > now() AND up.depth < ${commissionLevelsMax}
        )`;
}
