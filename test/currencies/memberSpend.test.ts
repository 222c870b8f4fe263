// Member levels across currencies (docs/currencies.md, "Member levels across currencies"), against
// the real PostgreSQL server: a buyer's spend at a shop sums orders charged in several currencies,
// each converted to the quoted price's currency at the rate the order recorded. Worked by hand:
//   A  ¥100.00 charged in CNY                                   10,000 fen
//   B  a CNY product charged $15.00 (recorded: price 10,650 fen)  10,650
//   C  a USD product charged $10.00, no rate recorded: today's 7.2  7,200
//   D  a EUR product charged 5,000,000 USDK ($5) at its recorded
//      USDK rate 7.15: 5,000,000 x 7.15 x 10^2 / 10^6            3,575
//   total                                                        31,425 fen
// Not counted: an expired order, and an order at another shop.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { quoteOrder } from "../../api/services/pricing/quoteOrder.ts";
import { sql } from "../../core/store/database.ts";
import { craftBuyer, craftShop } from "../compliance/ledgerHistory.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";

describe("member levels across currencies (PostgreSQL)", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 4 });
  });
  after(async () => {
    await database?.drop();
  });

  it("sums the buyer's orders in four currencies at each order's recorded rate: 31,425 fen reaches a level set at 31,425, not one at 31,426", async () => {
    const shop = await craftShop(database, "member-fx");
    const other = await craftShop(database, "member-fx-other");
    const buyer = await craftBuyer(database, "member-fx-buyer");
    // Today's rates: USD 7.2 (C has no recorded rate), USDK 7.3 (D recorded 7.15: the recorded one counts).
    await database.db.execute(sql`INSERT INTO fx_rates (currency, cny_per_unit, source) VALUES ('USD', 7.2, 'manual'), ('USDK', 7.3, 'manual'), ('EUR', 7.8, 'manual')
                                  ON CONFLICT (currency) DO UPDATE SET cny_per_unit = EXCLUDED.cny_per_unit`);
    const order = async (
      shopId: bigint,
      productId: bigint,
      amountMinor: bigint,
      currency: string,
      state: string,
      recorded?: { priceCurrency: string; priceAmountMinor: bigint; rate: string; fx: Record<string, string> },
    ) =>
      database.db.execute(
        sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, quantity, unit_price_minor, amount_minor, currency, state, payment_method, expires_at, paid_at,
                                price_currency, price_amount_minor, fx_rate, pricing)
            VALUES (${`mfx-${randomBytes(6).toString("hex")}`}, ${shopId}, ${productId}, ${buyer}, 1, ${amountMinor}, ${amountMinor}, ${currency}, ${state}, 'chain',
                    now() + interval '1 hour', now(), ${recorded?.priceCurrency ?? null}, ${recorded?.priceAmountMinor ?? null}, ${recorded?.rate ?? null}::numeric,
                    ${recorded ? JSON.stringify({ fx: recorded.fx }) : null}::jsonb)`,
      );
    await order(shop.shopId, shop.productId, 10_000n, "CNY", "fulfilled");
    await order(shop.shopId, shop.productId, 1_500n, "USD", "paid", {
      priceCurrency: "CNY",
      priceAmountMinor: 10_650n,
      rate: "0.140845070423",
      fx: { from: "CNY", to: "USD", fromCnyRate: "1", toCnyRate: "7.1" },
    });
    await order(shop.shopId, shop.productId, 1_000n, "USD", "fulfilled");
    await order(shop.shopId, shop.productId, 5_000_000n, "USDK", "fulfilled", {
      priceCurrency: "EUR",
      priceAmountMinor: 458n,
      rate: "0.916666666667",
      fx: { from: "EUR", to: "USDK", fromCnyRate: "7.8", toCnyRate: "7.15" },
    });
    await order(shop.shopId, shop.productId, 90_000n, "CNY", "expired");
    await order(other.shopId, other.productId, 90_000n, "CNY", "fulfilled");

    const quote = () =>
      quoteOrder(database.db, { productId: shop.productId, quantity: 1, buyerAccountId: buyer, stablecoin: { currency: "USDK", decimals: 6 } });
    await database.db.execute(sql`INSERT INTO member_levels (shop_id, spend_min_minor, name, discount_percent) VALUES (${shop.shopId}, 31426, 'gold', 10)`);
    expect((await quote()).breakdown.level).to.equal(null);
    await database.db.execute(sql`INSERT INTO member_levels (shop_id, spend_min_minor, name, discount_percent) VALUES (${shop.shopId}, 31425, 'silver', 5)`);
    // The product's ¥1.00 less 5%: 95 fen.
    expect((await quote()).breakdown.level).to.deep.include({ name: "silver", unitPriceMinor: 95n });
  });
});
