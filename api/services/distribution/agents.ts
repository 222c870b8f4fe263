// Agents and their sub-stores (分站), docs/distribution.md: a merchant's invitation link, its
// acceptance (a sub-store with its own slug, name and colour), the merchant's markup bounds per
// product, and the products an agent carries with its markup. Every refusal writes nothing.
import { assertSubstoreRoom } from "../saas/plans.ts";
import { createHash, randomBytes } from "node:crypto";
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { pgConstraint, pgErrorCode, pgErrorCodes } from "../../../core/store/errors.ts";
import { recordAudit } from "../audit.ts";

const tokenHash = (token: string) => createHash("sha256").update(token, "utf8").digest();

/** A merchant's invitation: the link's token is shown once; only its hash is kept. */
export async function createAgentInvitation(
  db: Drizzle,
  parameters: { shopId: bigint; accountId: bigint; validHours: number },
): Promise<{ invitationId: bigint; token: string; expiresAt: Date }> {
  const token = randomBytes(24).toString("base64url");
  const expiresAt = new Date(Date.now() + parameters.validHours * 3600_000);
  return db.transaction(async (tx) => {
    const row = await queryOne<{ id: bigint }>(
      tx,
      sql`INSERT INTO agent_invitations (shop_id, token_sha256, created_by, expires_at)
          VALUES (${parameters.shopId}, ${tokenHash(token)}, ${parameters.accountId}, ${expiresAt}) RETURNING id`,
    );
    await recordAudit(tx, { accountId: parameters.accountId, action: "distribution.agent_invited", subject: `shop:${parameters.shopId}` });
    return { invitationId: BigInt(row!.id), token, expiresAt };
  });
}

export type SubstoreView = { id: string; shopId: string; agentAccountId: string; slug: string; name: string; colour: string };

type SubstoreRow = { id: bigint; shop_id: bigint; agent_account_id: bigint; slug: string; name: string; colour: string };

const substoreView = (row: SubstoreRow): SubstoreView => ({
  id: String(row.id),
  shopId: String(row.shop_id),
  agentAccountId: String(row.agent_account_id),
  slug: row.slug,
  name: row.name,
  colour: row.colour,
});

/**
 * An account accepts an invitation: the invitation is taken once (a conditional update), and the
 * sub-store is created in the same transaction. An unknown, used or expired token: invitation_invalid.
 */
export async function acceptAgentInvitation(
  db: Drizzle,
  parameters: { token: string; accountId: bigint; slug: string; name: string; colour: string; planLimits?: boolean },
): Promise<SubstoreView> {
  try {
    return await db.transaction(async (tx) => {
      const invitation = await queryOne<{ shop_id: bigint; owner_account_id: bigint }>(
        tx,
        sql`UPDATE agent_invitations i SET accepted_by = ${parameters.accountId}, accepted_at = now()
            FROM shops s
            WHERE i.token_sha256 = ${tokenHash(parameters.token)} AND i.accepted_by IS NULL AND i.expires_at > now() AND s.id = i.shop_id
            RETURNING i.shop_id, s.owner_account_id`,
      );
      if (!invitation) throw new AppError("invitation_invalid", "This invitation link is unknown, used or expired. Ask the merchant for a new one.");
      if (BigInt(invitation.owner_account_id) === parameters.accountId) {
        throw new AppError("validation_failed", "A merchant cannot be an agent of its own shop. Accept the invitation with another account.");
      }
      // Within the shop's plan (docs/saas.md), under the shop row's lock.
      if (parameters.planLimits) await assertSubstoreRoom(tx, BigInt(invitation.shop_id));
      const row = await queryOne<SubstoreRow>(
        tx,
        sql`INSERT INTO substores (shop_id, agent_account_id, slug, name, colour)
            VALUES (${invitation.shop_id}, ${parameters.accountId}, ${parameters.slug}, ${parameters.name}, ${parameters.colour.toLowerCase()})
            RETURNING *`,
      );
      await recordAudit(tx, { accountId: parameters.accountId, action: "distribution.agent_joined", subject: `substore:${row!.id}` });
      return substoreView(row!);
    });
  } catch (error) {
    if (pgErrorCode(error) === pgErrorCodes.uniqueViolation) {
      if (pgConstraint(error) === "substores_one_per_agent") {
        throw new AppError("conflict", "You already have a sub-store of this shop; manage it from your agent console.");
      }
      throw new AppError("substore_slug_taken", `The sub-store address "${parameters.slug}" is taken. Choose another slug.`, { details: [{ path: "slug" }] });
    }
    throw error;
  }
}

/** The merchant's bounds on the markup per unit of one product; null takes the product off the agents' list. */
export async function setMarkupBounds(
  db: Drizzle,
  parameters: { productId: bigint; accountId: bigint; bounds: { markupMinMinor: bigint; markupMaxMinor: bigint } | null },
): Promise<{ productId: string; markupMinMinor: string | null; markupMaxMinor: string | null }> {
  const { productId, bounds } = parameters;
  if (bounds && (bounds.markupMinMinor < 0n || bounds.markupMaxMinor < bounds.markupMinMinor)) {
    throw new AppError("validation_failed", "Markup bounds need 0 <= markupMinMinor <= markupMaxMinor.", { details: [{ path: "markupMaxMinor" }] });
  }
  return db.transaction(async (tx) => {
    if (bounds) {
      await tx.execute(
        sql`INSERT INTO agent_markup_bounds (product_id, markup_min_minor, markup_max_minor) VALUES (${productId}, ${bounds.markupMinMinor}, ${bounds.markupMaxMinor})
            ON CONFLICT (product_id) DO UPDATE SET markup_min_minor = EXCLUDED.markup_min_minor, markup_max_minor = EXCLUDED.markup_max_minor`,
      );
    } else {
      await tx.execute(sql`DELETE FROM agent_markup_bounds WHERE product_id = ${productId}`);
    }
    await recordAudit(tx, {
      accountId: parameters.accountId,
      action: "distribution.markup_bounds_set",
      subject: `product:${productId}`,
      details: bounds ? { min: String(bounds.markupMinMinor), max: String(bounds.markupMaxMinor) } : { cleared: true },
    });
    return {
      productId: String(productId),
      markupMinMinor: bounds ? String(bounds.markupMinMinor) : null,
      markupMaxMinor: bounds ? String(bounds.markupMaxMinor) : null,
    };
  });
}

/** The sub-store, when `accountId` is its agent; otherwise forbidden (not_found when there is none). */
export async function agentSubstore(db: Drizzle, substoreId: bigint, accountId: bigint): Promise<SubstoreView> {
  const row = await queryOne<SubstoreRow>(db, sql`SELECT * FROM substores WHERE id = ${substoreId}`);
  if (!row) throw new AppError("not_found", `No sub-store ${substoreId}.`);
  if (BigInt(row.agent_account_id) !== accountId) throw new AppError("forbidden", "Only the sub-store's agent can change it.");
  return substoreView(row);
}

/** Refuses a markup outside the merchant's bounds for the product (or a product the merchant does not offer). */
async function assertMarkupWithinBounds(db: Drizzle, substore: SubstoreView, productId: bigint, markupMinor: bigint): Promise<void> {
  const bounds = await queryOne<{ shop_id: bigint; min: string | null; max: string | null }>(
    db,
    sql`SELECT p.shop_id, b.markup_min_minor::text AS min, b.markup_max_minor::text AS max
        FROM products p LEFT JOIN agent_markup_bounds b ON b.product_id = p.id WHERE p.id = ${productId}`,
  );
  if (!bounds || String(bounds.shop_id) !== substore.shopId) throw new AppError("not_found", `The merchant of this sub-store has no product ${productId}.`);
  if (bounds.min === null || bounds.max === null) {
    throw new AppError("product_not_offered_to_agents", `The merchant does not offer product ${productId} to agents. Choose another product.`);
  }
  if (markupMinor < BigInt(bounds.min) || markupMinor > BigInt(bounds.max)) {
    throw new AppError("markup_out_of_bounds", `The markup on product ${productId} must be between ${bounds.min} and ${bounds.max} minor units.`, {
      details: [{ path: "markupMinor", min: bounds.min, max: bounds.max }],
    });
  }
}

/** The agent starts carrying a product (or sets its markup again when it carries it already). */
export async function carryProduct(
  db: Drizzle,
  parameters: { substoreId: bigint; accountId: bigint; productId: bigint; markupMinor: bigint },
): Promise<{ productId: string; markupMinor: string }> {
  const substore = await agentSubstore(db, parameters.substoreId, parameters.accountId);
  await assertMarkupWithinBounds(db, substore, parameters.productId, parameters.markupMinor);
  await db.execute(
    sql`INSERT INTO substore_products (substore_id, product_id, markup_minor) VALUES (${parameters.substoreId}, ${parameters.productId}, ${parameters.markupMinor})
        ON CONFLICT (substore_id, product_id) DO UPDATE SET markup_minor = EXCLUDED.markup_minor, updated_at = now()`,
  );
  return { productId: String(parameters.productId), markupMinor: String(parameters.markupMinor) };
}

/** The agent changes the markup of a product it carries; one it does not carry: product_not_carried. */
export async function setCarriedMarkup(
  db: Drizzle,
  parameters: { substoreId: bigint; accountId: bigint; productId: bigint; markupMinor: bigint },
): Promise<{ productId: string; markupMinor: string }> {
  const substore = await agentSubstore(db, parameters.substoreId, parameters.accountId);
  const carried = await queryOne<{ product_id: bigint }>(
    db,
    sql`SELECT product_id FROM substore_products WHERE substore_id = ${parameters.substoreId} AND product_id = ${parameters.productId}`,
  );
  if (!carried) {
    throw new AppError("product_not_carried", `This sub-store does not carry product ${parameters.productId}. Add it to the sub-store first.`);
  }
  await assertMarkupWithinBounds(db, substore, parameters.productId, parameters.markupMinor);
  await db.execute(
    sql`UPDATE substore_products SET markup_minor = ${parameters.markupMinor}, updated_at = now()
        WHERE substore_id = ${parameters.substoreId} AND product_id = ${parameters.productId}`,
  );
  return { productId: String(parameters.productId), markupMinor: String(parameters.markupMinor) };
}

export type SubstoreProductView = { productId: string; name: string; currency: string; priceMinor: string; markupMinor: string };

/** A sub-store's storefront: its name and colour, and each carried product at the merchant's list price plus the markup. */
export async function substoreStorefront(db: Drizzle, slug: string): Promise<SubstoreView & { products: SubstoreProductView[] }> {
  const row = await queryOne<SubstoreRow>(db, sql`SELECT * FROM substores WHERE slug = ${slug}`);
  if (!row) throw new AppError("not_found", `No sub-store "${slug}".`);
  const products = await queryRows<{ product_id: bigint; name: string; currency: string; price_minor: string; markup_minor: string }>(
    db,
    sql`SELECT p.id AS product_id, p.name, p.currency, p.price_minor::text AS price_minor, sp.markup_minor::text AS markup_minor
        FROM substore_products sp JOIN products p ON p.id = sp.product_id
        WHERE sp.substore_id = ${row.id} AND p.status = 'active' ORDER BY p.id LIMIT 200`,
  );
  return {
    ...substoreView(row),
    products: products.map((product) => ({
      productId: String(product.product_id),
      name: product.name,
      currency: product.currency,
      priceMinor: String(BigInt(product.price_minor) + BigInt(product.markup_minor)),
      markupMinor: product.markup_minor,
    })),
  };
}
