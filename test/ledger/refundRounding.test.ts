// Who absorbs the rounding of partial refunds (docs/pricing.md, "Refund rounding";
// api/ledger/refundRounding.ts): the platform. Every other party gives back the cumulative floor
// of its own share, so none is asked for more than its part part way through; the fee gives back
// the rest. Hand-computed below, then on PostgreSQL through postOrderPayment/postOrderRefund: the
// sale the old rule refused part way (7 paid, fee 1, a referrer 4, the shop 2; refunds of 2, 1, 3
// took the shop's payable below 0) now goes through with every balance at or above 0, and
// parallel refunds never add up to more than the charge.
//
// Broken on purpose once each: with the shop giving back the rest (the old rule) the PostgreSQL
// test fails at the third refund (insufficient_funds); without the order lock in postOrderRefund,
// the parallel refunds posted more than the charge.
import { expect } from "chai";
import { postOrderPayment, postOrderRefund } from "../../api/ledger/flows.ts";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";
import { cumulativeCeilShare, cumulativeFloorShare, refundSplit } from "../../api/ledger/refundRounding.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { createTestShop, testRing, type TestShop } from "../keys/fixtures.ts";

describe("refund rounding: the platform absorbs it", () => {
  it("splits each refund by hand-computed cumulative floors, the fee taking the rest", () => {
    // Sale of 7: fee 1, distributors 4, shop 2. Refunds 2, 1, 3, 1.
    const sale = { paidMinor: 7n, feeMinor: 1n, distributorsCreditedMinor: 4n, supplierMinor: 0n, supplierBackMinor: 0n };
    const steps = [
      // R 0 -> 2: distributors floor(8/7) = 1; shop floor(4/7) = 0; fee 2 - 0 - 1 = 1.
      { before: 0n, amount: 2n, distributors: 1n, shop: 0n, fee: 1n },
      // R 2 -> 3: distributors floor(12/7) - 1 = 0; shop floor(6/7) - 0 = 0; fee 1 (the platform fronts 1).
      { before: 2n, amount: 1n, distributors: 0n, shop: 0n, fee: 1n },
      // R 3 -> 6: distributors floor(24/7) - 1 = 2; shop floor(12/7) - 0 = 1; fee 3 - 1 - 2 = 0.
      { before: 3n, amount: 3n, distributors: 2n, shop: 1n, fee: 0n },
      // R 6 -> 7: distributors 4 - 3 = 1; shop 2 - 1 = 1; fee 1 - 1 - 1 = -1 (the fronted unit comes back).
      { before: 6n, amount: 1n, distributors: 1n, shop: 1n, fee: -1n },
    ];
    let shopLeft = 2n;
    let feeBack = 0n;
    for (const step of steps) {
      const refund = { amountMinor: step.amount, paidMinor: 7n, refundedBeforeMinor: step.before };
      expect(cumulativeFloorShare(4n, refund), `distributors at ${step.before}`).to.equal(step.distributors);
      const split = refundSplit({ ...sale, ...refund, distributorsBackMinor: step.distributors });
      expect(split, `refund ${step.before} -> ${step.before + step.amount}`).to.deep.equal({ shopOwnBackMinor: step.shop, feeBackMinor: step.fee });
      shopLeft -= split.shopOwnBackMinor;
      feeBack += split.feeBackMinor;
      expect(shopLeft >= 0n, "the shop never gives back more than it got").to.equal(true);
    }
    expect({ shopLeft, feeBack }).to.deep.equal({ shopLeft: 0n, feeBack: 1n });
    // A docked sale of 100: fee 5, supplier 94, reseller 1. Refund 50: supplier floor(4700/100) = 47,
    // reseller floor(50/100) = 0, fee 50 - 47 - 0 = 3 (its own part 2.5, rounded in the buyer's favour by the platform).
    expect(
      refundSplit({
        amountMinor: 50n,
        paidMinor: 100n,
        refundedBeforeMinor: 0n,
        feeMinor: 5n,
        distributorsCreditedMinor: 0n,
        distributorsBackMinor: 0n,
        supplierMinor: 94n,
        supplierBackMinor: 47n,
      }),
    ).to.deep.equal({ shopOwnBackMinor: 0n, feeBackMinor: 3n });
    // A merchant-collected sale's fee is forgiven by cumulative ceilings: fee 3 of 10, refunds 1, 1, 8 -> 1, 0, 2.
    expect(
      [0n, 1n, 2n].map((before, index) => cumulativeCeilShare(3n, { amountMinor: [1n, 1n, 8n][index]!, paidMinor: 10n, refundedBeforeMinor: before })),
    ).to.deep.equal([1n, 0n, 2n]);
  });

  describe("on PostgreSQL", function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let shop: TestShop;
    const referrer = 987_654_321n;

    before(async () => {
      database = await createServerDatabase({ poolSizeMax: 12 });
      shop = await createTestShop(database.db, testRing());
    });
    after(async () => {
      await database?.drop();
    });

    const insertOrder = async (id: string, amount: bigint) =>
      database.db.execute(sql`INSERT INTO orders (id, shop_id, product_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at, contact, query_password_hash)
        VALUES (${id}, ${shop.shopId}, ${shop.productId}, 1, ${amount}, ${amount}, 'CNY', 'paid', now() + interval '1 hour', 'r@example.test', 'x')`);
    const postingsOf = async (key: string) =>
      Object.fromEntries(
        (
          await queryRows<{ account: string; amount: string }>(
            database.db,
            sql`SELECT a.owner_type || ':' || a.purpose AS account, sum(p.amount_minor)::text AS amount
                FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
                WHERE t.idempotency_key = ${key} GROUP BY 1`,
          )
        ).map((row) => [row.account, row.amount]),
      );
    const payable = async () =>
      (await queryOne<{ balance: string }>(
        database.db,
        sql`SELECT balance_minor::text AS balance FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = ${shop.shopId} AND purpose = 'payable'`,
      ))!.balance;

    it("the sale the old rule refused part way is refunded in four parts, no balance ever below zero", async () => {
      await insertOrder("KLROUND0001", 7n);
      // Fee floor(7 x 1997 / 10000) = 1; the referrer at 72.09% of the net 6: floor(4.3254) = 4; the shop 2.
      await postOrderPayment(database.db, {
        orderId: "KLROUND0001",
        shopId: shop.shopId,
        amountMinor: 7n,
        currency: "CNY",
        provider: "chain",
        platformFeeBps: 1997,
        distribution: { agent: null, referrers: [{ accountId: referrer, level: 1, bps: 7209 }] },
      });
      expect(await payable()).to.equal("2");
      const expected = [
        { amount: 2n, shop: "0", fee: "-1", referrer: "-1", payable: "2" },
        { amount: 1n, shop: undefined, fee: "-1", referrer: undefined, payable: "2" },
        { amount: 3n, shop: "-1", fee: undefined, referrer: "-2", payable: "1" },
        { amount: 1n, shop: "-1", fee: "1", referrer: "-1", payable: "0" },
      ];
      for (const [index, step] of expected.entries()) {
        await postOrderRefund(database.db, {
          orderId: "KLROUND0001",
          shopId: shop.shopId,
          amountMinor: step.amount,
          currency: "CNY",
          reason: "dispute",
          refundId: `part${index}`,
        });
        const postings = await postingsOf(`order:KLROUND0001:refund:part${index}`);
        expect(postings["platform:refunds"], `refund ${index}`).to.equal(String(step.amount));
        expect(postings["shop:payable"] === "0" ? undefined : postings["shop:payable"], `shop, refund ${index}`).to.equal(
          step.shop === "0" ? undefined : step.shop,
        );
        expect(postings["platform:fees"], `fee, refund ${index}`).to.equal(step.fee);
        expect(postings["distributor:holds"], `referrer, refund ${index}`).to.equal(step.referrer);
        expect(await payable(), `shop's payable after refund ${index}`).to.equal(step.payable);
      }
      // Nothing more: the sale's refunds never exceed its charge.
      const beyond = await postOrderRefund(database.db, {
        orderId: "KLROUND0001",
        shopId: shop.shopId,
        amountMinor: 1n,
        currency: "CNY",
        reason: "dispute",
        refundId: "x",
      }).then(
        () => "posted",
        (error: { code?: string }) => error.code,
      );
      expect(beyond).to.equal("invalid_state");
      const invariants = await checkLedgerInvariants(database.db);
      for (const [name, findings] of Object.entries(invariants)) expect(findings, name).to.deep.equal([]);
    });

    it("parallel refunds of one sale never add up to more than its charge", async () => {
      await insertOrder("KLROUND0002", 1000n);
      await postOrderPayment(database.db, {
        orderId: "KLROUND0002",
        shopId: shop.shopId,
        amountMinor: 1000n,
        currency: "CNY",
        provider: "chain",
        platformFeeBps: 500,
      });
      // Ten refunds of 300 at once: three fit (900), the rest are refused.
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          postOrderRefund(database.db, {
            orderId: "KLROUND0002",
            shopId: shop.shopId,
            amountMinor: 300n,
            currency: "CNY",
            reason: "dispute",
            refundId: `p${index}`,
          }).then(
            () => "posted",
            (error: { code?: string }) => error.code ?? String(error),
          ),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === "posted")).to.have.length(3);
      expect(outcomes.filter((outcome) => outcome !== "posted")).to.deep.equal(Array(7).fill("invalid_state"));
      const refunded = await queryOne<{ total: string }>(
        database.db,
        sql`SELECT coalesce(sum(p.amount_minor), 0)::text AS total FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id
            JOIN ledger_accounts a ON a.id = p.account_id
            WHERE t.reference_id = 'KLROUND0002' AND t.kind = 'order_refund' AND a.owner_type = 'platform' AND a.purpose = 'refunds'`,
      );
      expect(refunded!.total).to.equal("900");
    });
  });
});
