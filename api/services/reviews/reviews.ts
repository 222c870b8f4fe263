// Verified reviews (docs/discovery.md, "Reviews"). Only the buyer of an entitlement whose
// issuance is recorded on-chain (its transaction hash written by the chain writer when included,
// confirmed by the indexer) may review its product, once per entitlement. The product's rating
// (product_ratings) counts visible reviews and changes in the same transaction as the review
// that changes it; each change is a conditional UPDATE or a unique INSERT, so a retry or a race
// moves the counters once.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import { recordAudit } from "../audit.ts";
import { assertShopManager } from "../shops/shops.ts";

export type ReviewView = {
  id: string;
  productId: string;
  shopId: string;
  entitlementId: string;
  stars: number;
  body: string;
  status: "visible" | "hidden";
  /** The reviewer's display name; null when none is set (the address is never shown). */
  authorName: string | null;
  /** The on-chain issuance of the reviewed entitlement: what "verified purchase" links to. */
  verified: { issueTx: string; tokenId: string | null };
  reply: { body: string; repliedAt: Date } | null;
  createdAt: Date;
};

export type RatingView = { reviewsCount: string; starsTotal: string; average: number | null };

type ReviewRow = {
  id: bigint;
  product_id: bigint;
  shop_id: bigint;
  entitlement_id: bigint;
  stars: number;
  body: string;
  status: "visible" | "hidden";
  author_name: string | null;
  issue_tx: string;
  token_id: string | null;
  reply_body: string | null;
  // Dates arrive as text from a raw statement.
  replied_at: string | Date | null;
  created_at: string | Date;
};

const reviewColumns = sql`r.id, r.product_id, r.shop_id, r.entitlement_id, r.stars, r.body, r.status, r.reply_body, r.replied_at, r.created_at,
  e.issue_tx, e.token_id::text AS token_id,
  a.display_name AS author_name`;
const reviewJoins = sql`JOIN entitlements e ON e.id = r.entitlement_id JOIN accounts a ON a.id = r.author_account_id`;

function reviewView(row: ReviewRow): ReviewView {
  return {
    id: String(row.id),
    productId: String(row.product_id),
    shopId: String(row.shop_id),
    entitlementId: String(row.entitlement_id),
    stars: Number(row.stars),
    body: row.body,
    status: row.status,
    authorName: row.author_name,
    verified: { issueTx: row.issue_tx, tokenId: row.token_id },
    reply: row.reply_body === null ? null : { body: row.reply_body, repliedAt: new Date(row.replied_at!) },
    createdAt: new Date(row.created_at),
  };
}

async function loadReview(db: Drizzle, reviewId: bigint): Promise<ReviewView> {
  const row = await queryOne<ReviewRow>(db, sql`SELECT ${reviewColumns} FROM reviews r ${reviewJoins} WHERE r.id = ${reviewId}`);
  if (!row) throw new AppError("not_found", `No review ${reviewId}.`);
  return reviewView(row);
}

/** Adds one review's stars to the product's rating, or (sign -1) takes them away. */
async function changeRating(tx: Drizzle, productId: bigint, stars: number, sign: 1 | -1): Promise<void> {
  if (sign === -1) {
    // The row exists: the review being taken away was counted in it. (An upsert would not do:
    // PostgreSQL checks the CHECK constraints on the row it proposes to insert, a negative one.)
    await tx.execute(sql`UPDATE product_ratings SET reviews_count = reviews_count - 1, stars_total = stars_total - ${stars} WHERE product_id = ${productId}`);
    return;
  }
  await tx.execute(sql`
    INSERT INTO product_ratings AS r (product_id, reviews_count, stars_total) VALUES (${productId}, 1, ${stars})
    ON CONFLICT (product_id) DO UPDATE SET reviews_count = r.reviews_count + 1, stars_total = r.stars_total + EXCLUDED.stars_total`);
}

export type CreateReviewParameters = { entitlementId: bigint; productId: bigint; stars: number; body: string };

export async function createReview(db: Drizzle, account: AuthenticatedAccount, parameters: CreateReviewParameters): Promise<ReviewView> {
  const reviewId = await db.transaction(async (tx) => {
    const entitlement = await queryOne<{ product_id: bigint; shop_id: bigint; issue_tx: string | null; issue_state: string; state: string }>(
      tx,
      sql`SELECT e.product_id, e.shop_id, e.issue_tx, e.issue_state, e.state
          FROM entitlements e JOIN orders o ON o.id = e.order_id
          WHERE e.id = ${parameters.entitlementId} AND o.buyer_account_id = ${account.id}`,
    );
    // Someone else's entitlement answers as a missing one, so ids cannot be probed.
    if (!entitlement) throw new AppError("not_found", `No entitlement ${parameters.entitlementId} bought by you.`);
    if (entitlement.product_id !== parameters.productId) {
      throw new AppError(
        "review_product_mismatch",
        `Entitlement ${parameters.entitlementId} is of product ${entitlement.product_id}, not ${parameters.productId}.`,
      );
    }
    if (entitlement.issue_tx === null || !["included", "confirmed"].includes(entitlement.issue_state)) {
      throw new AppError(
        "review_not_eligible",
        "This entitlement is not issued on-chain yet; review it once its issuance is recorded (usually within a minute).",
      );
    }
    if (entitlement.state === "revoked") throw new AppError("review_not_eligible", "A revoked entitlement cannot be reviewed.");
    const inserted = await queryOne<{ id: bigint }>(
      tx,
      sql`INSERT INTO reviews (entitlement_id, product_id, shop_id, author_account_id, stars, body)
          VALUES (${parameters.entitlementId}, ${parameters.productId}, ${entitlement.shop_id}, ${account.id}, ${parameters.stars}, ${parameters.body})
          ON CONFLICT (entitlement_id) DO NOTHING RETURNING id`,
    );
    if (!inserted) throw new AppError("already_reviewed", `Entitlement ${parameters.entitlementId} has a review already; there is one per entitlement.`);
    await changeRating(tx, parameters.productId, parameters.stars, 1);
    return inserted.id;
  });
  return loadReview(db, reviewId);
}

/** The merchant's one reply (the shop's merchant, or an admin). */
export async function replyToReview(db: Drizzle, account: AuthenticatedAccount, reviewId: bigint, body: string): Promise<ReviewView> {
  const review = await loadReview(db, reviewId);
  await assertShopManager(db, BigInt(review.shopId), account);
  const updated = await queryOne<{ id: bigint }>(
    db,
    sql`UPDATE reviews SET reply_body = ${body}, reply_account_id = ${account.id}, replied_at = now()
        WHERE id = ${reviewId} AND reply_body IS NULL RETURNING id`,
  );
  if (!updated) throw new AppError("already_replied", `Review ${reviewId} has a reply already; a merchant replies once.`);
  return loadReview(db, reviewId);
}

export async function reportReview(db: Drizzle, account: AuthenticatedAccount, reviewId: bigint, reason: string): Promise<void> {
  const review = await queryOne<{ status: string }>(db, sql`SELECT status FROM reviews WHERE id = ${reviewId}`);
  if (!review) throw new AppError("not_found", `No review ${reviewId}.`);
  const inserted = await queryOne<{ id: bigint }>(
    db,
    sql`INSERT INTO review_reports (review_id, reporter_account_id, reason) VALUES (${reviewId}, ${account.id}, ${reason})
        ON CONFLICT (review_id, reporter_account_id) DO NOTHING RETURNING id`,
  );
  if (!inserted) throw new AppError("already_reported", `You have reported review ${reviewId} already.`);
}

/**
 * An admin hides a visible review or restores a hidden one: the status, the rating, the open
 * reports (resolved) and the audit row change in one transaction, or nothing does.
 */
export async function moderateReview(
  db: Drizzle,
  admin: AuthenticatedAccount,
  reviewId: bigint,
  action: "hide" | "restore",
  reason: string,
): Promise<ReviewView> {
  const [from, to] = action === "hide" ? (["visible", "hidden"] as const) : (["hidden", "visible"] as const);
  await db.transaction(async (tx) => {
    const changed = await queryOne<{ product_id: bigint; stars: number }>(
      tx,
      sql`UPDATE reviews SET status = ${to} WHERE id = ${reviewId} AND status = ${from} RETURNING product_id, stars`,
    );
    if (!changed) {
      const exists = await queryOne<{ status: string }>(tx, sql`SELECT status FROM reviews WHERE id = ${reviewId}`);
      if (!exists) throw new AppError("not_found", `No review ${reviewId}.`);
      throw new AppError("invalid_state", `Review ${reviewId} is ${exists.status} already.`);
    }
    await changeRating(tx, changed.product_id, Number(changed.stars), action === "hide" ? -1 : 1);
    await tx.execute(sql`UPDATE review_reports SET resolved_at = now() WHERE review_id = ${reviewId} AND resolved_at IS NULL`);
    await recordAudit(tx, {
      accountId: admin.id,
      action: `review.${action === "hide" ? "hidden" : "restored"}`,
      subject: `review:${reviewId}`,
      details: { reason },
    });
  });
  return loadReview(db, reviewId);
}

export type ReviewPage = { items: ReviewView[]; nextCursor: string | null };

/** A product's visible reviews, newest first, with its rating. */
export async function listProductReviews(
  db: Drizzle,
  productId: bigint,
  page: { afterId?: bigint; limit: number },
): Promise<ReviewPage & { rating: RatingView }> {
  const rows = await queryRows<ReviewRow>(
    db,
    sql`SELECT ${reviewColumns} FROM reviews r ${reviewJoins}
        WHERE r.product_id = ${productId} AND r.status = 'visible' ${page.afterId === undefined ? sql`` : sql`AND r.id < ${page.afterId}`}
        ORDER BY r.id DESC LIMIT ${page.limit}`,
  );
  return { ...pageFrom(rows, page.limit), rating: await productRating(db, productId) };
}

export async function productRating(db: Drizzle, productId: bigint): Promise<RatingView> {
  const row = await queryOne<{ reviews_count: bigint; stars_total: bigint }>(
    db,
    sql`SELECT reviews_count, stars_total FROM product_ratings WHERE product_id = ${productId}`,
  );
  const count = row?.reviews_count ?? 0n;
  const total = row?.stars_total ?? 0n;
  // Two decimals, rounded half up, from the exact integers.
  const average = count === 0n ? null : Number((total * 200n + count) / (2n * count)) / 100;
  return { reviewsCount: String(count), starsTotal: String(total), average };
}

/** The caller's own reviews (the order page shows which of its entitlements are reviewed). */
export async function listMyReviews(db: Drizzle, account: AuthenticatedAccount, page: { afterId?: bigint; limit: number }): Promise<ReviewPage> {
  const rows = await queryRows<ReviewRow>(
    db,
    sql`SELECT ${reviewColumns} FROM reviews r ${reviewJoins}
        WHERE r.author_account_id = ${account.id} ${page.afterId === undefined ? sql`` : sql`AND r.id < ${page.afterId}`}
        ORDER BY r.id DESC LIMIT ${page.limit}`,
  );
  return pageFrom(rows, page.limit);
}

export type ReportedReview = ReviewView & { openReports: number; reasons: string[] };

/** Reviews with open reports (or hidden ones), newest first, for the admins' moderation list; hidden reviews stay listed for restoring. */
export async function listReportedReviews(
  db: Drizzle,
  page: { afterId?: bigint; limit: number; status: "open" | "hidden" },
): Promise<{
  items: ReportedReview[];
  nextCursor: string | null;
}> {
  const rows = await queryRows<ReviewRow & { open_reports: number; reasons: string[] }>(
    db,
    sql`SELECT ${reviewColumns}, x.open_reports, x.reasons
        FROM reviews r ${reviewJoins}
        CROSS JOIN LATERAL (
          SELECT (SELECT count(*) FROM review_reports WHERE review_id = r.id AND resolved_at IS NULL)::int AS open_reports,
            -- The first reasons only: the list shows why, not every report.
            ARRAY(SELECT reason FROM review_reports WHERE review_id = r.id AND resolved_at IS NULL ORDER BY id LIMIT 5) AS reasons
        ) x
        WHERE ${page.status === "open" ? sql`x.open_reports > 0` : sql`r.status = 'hidden'`}
          ${page.afterId === undefined ? sql`` : sql`AND r.id < ${page.afterId}`}
        ORDER BY r.id DESC LIMIT ${page.limit}`,
  );
  const items = rows.map((row) => ({ ...reviewView(row), openReports: Number(row.open_reports), reasons: row.reasons }));
  return { items, nextCursor: items.length === page.limit ? items.at(-1)!.id : null };
}

function pageFrom(rows: ReviewRow[], limit: number): ReviewPage {
  const items = rows.map(reviewView);
  return { items, nextCursor: items.length === limit ? items.at(-1)!.id : null };
}
