// A shop's own list of disputes (GET /api/shops/:shopId/disputes, docs/disputes.md) below HTTP,
// on the real PostgreSQL server: only the shop's disputes, newest first, paged by id without
// gaps or repeats, filtered by state, each with its order's amount and the deadline that comes
// next (escalation deadline while open or rejected, answer deadline once escalated, none once
// resolved). Expected values are the inputs of the test, not read back from the code.
//
// Broken on purpose once: with the shop filter of the list removed, the test failed (the other
// shop's dispute came into the first page).
import { expect } from "chai";
import { decideDispute, escalateDispute } from "../../api/services/disputes/decideDispute.ts";
import { listShopDisputes } from "../../api/services/disputes/listDisputes.ts";
import { openDispute } from "../../api/services/disputes/openDispute.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { newShop, paidOrder } from "./support.ts";

const feeBps = 500;
const escalationWindowSeconds = 7 * 24 * 3600;
const answerSeconds = 3 * 24 * 3600;

describe("a shop's list of its disputes (PostgreSQL)", function () {
  this.timeout(60_000);
  let database: TestDatabase;
  before(async () => {
    database = await createServerDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  it("lists only the shop's disputes, newest first, paged, by state, with amounts and next deadlines", async () => {
    const db = database.db;
    const shop = await newShop(db);
    const other = await newShop(db);
    const paidAt = new Date("2033-05-01T00:00:00Z");
    const openedAt = new Date("2033-05-02T00:00:00Z");
    const escalatedAt = new Date("2033-05-02T06:00:00Z");
    const amounts = [1100n, 2200n, 3300n, 4400n];
    const opened: { id: string; orderId: string; amount: bigint }[] = [];
    for (const amountMinor of amounts) {
      const orderId = await paidOrder(db, shop, { amountMinor, paidAt, feeBps });
      const row = await openDispute(db, { orderId, buyerAccountId: null, category: "key_invalid", statement: "x", escalationWindowSeconds, now: openedAt });
      opened.push({ id: String(row.id), orderId, amount: amountMinor });
    }
    const otherOrder = await paidOrder(db, other, { amountMinor: 999n, paidAt, feeBps });
    await openDispute(db, { orderId: otherOrder, buyerAccountId: null, category: "other", statement: "x", escalationWindowSeconds, now: openedAt });
    // The second dispute is escalated by the buyer; the third rejected by the merchant; the fourth refunded in full.
    await escalateDispute(db, { disputeId: BigInt(opened[1]!.id), by: "buyer", actorId: null, answerSeconds, now: escalatedAt });
    const decide = (index: number, decision: Parameters<typeof decideDispute>[1]["decision"]) =>
      decideDispute(db, {
        disputeId: BigInt(opened[index]!.id),
        decision,
        decidedBy: "merchant",
        actorId: shop.ownerId,
        settings: { platformFeeBps: feeBps },
        now: escalatedAt,
      });
    await decide(2, { outcome: "reject", reason: "works" });
    await decide(3, { outcome: "refund", amountMinor: 4400n });

    const escalationDeadline = "2033-05-09T00:00:00.000Z"; // opened + 7 days
    const answerDeadline = "2033-05-05T06:00:00.000Z"; // escalated + 3 days
    const expected = [
      { id: opened[3]!.id, state: "resolved", orderAmountMinor: "4400", deadline: null },
      { id: opened[2]!.id, state: "rejected", orderAmountMinor: "3300", deadline: escalationDeadline },
      { id: opened[1]!.id, state: "escalated", orderAmountMinor: "2200", deadline: answerDeadline },
      { id: opened[0]!.id, state: "open", orderAmountMinor: "1100", deadline: escalationDeadline },
    ];
    const pick = (items: Awaited<ReturnType<typeof listShopDisputes>>["items"]) =>
      items.map((item) => ({ id: item.id, state: item.state, orderAmountMinor: item.orderAmountMinor, deadline: item.deadline }));

    // Pages of three then one, newest first, never the other shop's.
    const first = await listShopDisputes(db, { shopId: shop.shopId, limit: 3 });
    expect(pick(first.items)).to.deep.equal(expected.slice(0, 3));
    expect(first.nextBefore).to.equal(opened[1]!.id);
    const second = await listShopDisputes(db, { shopId: shop.shopId, limit: 3, before: BigInt(first.nextBefore!) });
    expect(pick(second.items)).to.deep.equal(expected.slice(3));
    expect(second.nextBefore).to.equal(null);
    expect(first.items.every((item) => item.currency === "CNY" && item.shopId === String(shop.shopId))).to.equal(true);
    expect(second.items[0]!.orderId).to.equal(opened[0]!.orderId);

    for (const state of ["open", "escalated", "rejected", "resolved"] as const) {
      const page = await listShopDisputes(db, { shopId: shop.shopId, state, limit: 50 });
      expect(pick(page.items), state).to.deep.equal(expected.filter((item) => item.state === state));
    }
    const others = await listShopDisputes(db, { shopId: other.shopId, limit: 50 });
    expect(others.items.map((item) => item.orderAmountMinor)).to.deep.equal(["999"]);
  });
});
