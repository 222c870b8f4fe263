// The certificate chain of a key bought from a remote supplier (docs/docking.md, "Across
// instances"): the supplier's certificate (keyledger-certificate/2 with the salt released to the
// reseller at its reveal), which anyone verifies against the chain alone, and the reseller's
// record of the resale (which instance and shop sold it, under which order, from which upstream
// order). Only the order's buyer reads it: the salts are as private as the codes they commit.
import { AppError } from "../../../core/errors.ts";
import type { Certificate } from "../../../core/keys/certificateSchema.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export type ProvenanceView = {
  supplier: { instance: string; shopId: string; certificates: Certificate[] };
  reseller: { instance: string; shopId: string; orderId: string; upstreamOrderId: string; deliveredAt: string };
};

export async function orderProvenance(db: Drizzle, input: { orderId: string; publicUrl: string }): Promise<ProvenanceView> {
  const row = await queryOne<{
    certificates: Certificate[];
    upstream_order_id: string;
    base_url: string;
    shop_id: string;
    updated_at: Date | string;
  }>(
    db,
    sql`SELECT c.certificates, c.upstream_order_id, r.base_url, o.shop_id::text AS shop_id, c.updated_at
        FROM crossdock_purchases c JOIN orders o ON o.id = c.order_id JOIN products p ON p.id = o.product_id
        JOIN remote_suppliers r ON r.id = p.remote_supplier_id
        WHERE c.order_id = ${input.orderId} AND c.state = 'delivered'`,
  );
  if (!row) throw new AppError("not_found", `Order ${input.orderId} has no key bought from a remote supplier (yet).`);
  return {
    supplier: { instance: row.base_url, shopId: String(row.certificates[0]?.shop.id ?? ""), certificates: row.certificates },
    reseller: {
      instance: input.publicUrl,
      shopId: row.shop_id,
      orderId: input.orderId,
      upstreamOrderId: row.upstream_order_id,
      deliveredAt: new Date(row.updated_at).toISOString(),
    },
  };
}
