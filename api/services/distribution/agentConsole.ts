// What an agent or referrer sees of its own distribution (docs/distribution.md): balances (held
// in the chargeback window, payable, awaiting payout), its latest earnings per sale, the buyers
// it referred (emails masked), its sub-stores with the products they carry, and its referral code.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { referralCodeOf } from "./referrals.ts";

/** "alice@example.com" -> "a***e@example.com": enough for its referrer to recognise, not to contact. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "***";
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const shown = local.length <= 2 ? `${local[0]}***` : `${local[0]}***${local[local.length - 1]}`;
  return `${shown}@${domain}`;
}

const pageMax = 50;

export async function agentOverview(db: Drizzle, accountId: bigint) {
  const referralCode = await referralCodeOf(db, accountId);
  const balances = await queryRows<{ currency: string; held: string; payable: string; payout_pending: string }>(
    db,
    sql`SELECT currency,
               coalesce(sum(balance_minor) FILTER (WHERE purpose = 'holds'), 0)::text AS held,
               coalesce(sum(balance_minor) FILTER (WHERE purpose = 'proceeds'), 0)::text AS payable,
               coalesce(sum(balance_minor) FILTER (WHERE purpose = 'payout_holds'), 0)::text AS payout_pending
        FROM ledger_accounts WHERE owner_type = 'distributor' AND owner_id = ${accountId}
        GROUP BY currency ORDER BY currency`,
  );
  // Net per sale: the sale's credit less what its refunds took back (releases move it between accounts, not in or out).
  const earnings = await queryRows<{ order_id: string; currency: string; net: string; first_at: Date }>(
    db,
    sql`SELECT t.reference_id AS order_id, p.currency, sum(p.amount_minor)::text AS net, min(t.created_at) AS first_at
        FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id JOIN ledger_transactions t ON t.id = p.tx_id
        WHERE a.owner_type = 'distributor' AND a.owner_id = ${accountId} AND t.kind IN ('order_payment', 'order_refund')
        GROUP BY t.reference_id, p.currency ORDER BY min(t.id) DESC LIMIT ${pageMax}`,
  );
  const referred = await queryRows<{ email: string; shop_id: bigint; attached_at: Date; expires_at: Date }>(
    db,
    sql`SELECT a.email, r.shop_id, r.attached_at, r.expires_at FROM referral_attachments r JOIN accounts a ON a.id = r.buyer_account_id
        WHERE r.referrer_account_id = ${accountId} ORDER BY r.attached_at DESC LIMIT ${pageMax}`,
  );
  const substores = await queryRows<{ id: bigint; shop_id: bigint; slug: string; name: string; colour: string; products: unknown }>(
    db,
    sql`SELECT s.id, s.shop_id, s.slug, s.name, s.colour,
               coalesce((SELECT json_agg(json_build_object('productId', p.id::text, 'name', p.name, 'currency', p.currency,
                                                          'priceMinor', p.price_minor::text, 'markupMinor', sp.markup_minor::text,
                                                          'markupMinMinor', b.markup_min_minor::text, 'markupMaxMinor', b.markup_max_minor::text)
                                         ORDER BY p.id)
                         FROM substore_products sp JOIN products p ON p.id = sp.product_id
                         LEFT JOIN agent_markup_bounds b ON b.product_id = p.id
                         WHERE sp.substore_id = s.id), '[]'::json) AS products
        FROM substores s WHERE s.agent_account_id = ${accountId} ORDER BY s.id LIMIT ${pageMax}`,
  );
  return {
    referralCode,
    balances: balances.map((row) => ({ currency: row.currency, heldMinor: row.held, payableMinor: row.payable, payoutPendingMinor: row.payout_pending })),
    earnings: earnings.map((row) => ({ orderId: row.order_id, currency: row.currency, amountMinor: row.net, at: new Date(row.first_at).toISOString() })),
    referredBuyers: referred.map((row) => ({
      buyer: maskEmail(row.email),
      shopId: String(row.shop_id),
      attachedAt: new Date(row.attached_at).toISOString(),
      expiresAt: new Date(row.expires_at).toISOString(),
    })),
    substores: substores.map((row) => ({
      id: String(row.id),
      shopId: String(row.shop_id),
      slug: row.slug,
      name: row.name,
      colour: row.colour,
      products: row.products as {
        productId: string;
        name: string;
        currency: string;
        priceMinor: string;
        markupMinor: string;
        markupMinMinor: string | null;
        markupMaxMinor: string | null;
      }[],
    })),
  };
}
