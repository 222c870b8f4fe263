// Buyers' balance top-ups over HTTP against the running platform (PostgreSQL, Redis, chain): the
// balance automatic renewals are charged from. A top-up is credited only by the platform EPay
// merchant's signed notification, once; the buyer's idempotency key answers a retried request
// with the same top-up, even when the retries race. Expected balances are computed here by hand.
import { expect } from "chai";
import { resaleEpayMerchant } from "../../api/services/resale/resalePayments.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { signedNotification } from "../support/epayNotify.ts";
import { usePlatform } from "../support/platform.ts";
import { balance, ledgerImbalance, signUp, type Person } from "../resale/support.ts";

const notifyPath = "/api/balance/topups/epay/notify";

describe("balance top-ups (idempotent start, credited once by the platform's gateway)", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let buyer: Person;
  let other: Person;
  before(async () => {
    buyer = await signUp(suite.platform, "topup-buyer", ["buyer"]);
    other = await signUp(suite.platform, "topup-other", ["buyer"]);
  });

  const db = () => suite.platform.ctx.database.db;
  const counts = async () =>
    queryOne<{ topups: string; entries: string }>(
      db(),
      sql`SELECT (SELECT count(*) FROM balance_topups)::text AS topups,
                 (SELECT count(*) FROM ledger_transactions WHERE kind = 'balance_topup')::text AS entries`,
    );
  const platformMerchant = () => resaleEpayMerchant(suite.platform.ctx.config, suite.platform.url);
  const notify = (topup: { id: string; amountMinor: string }, tradeNo: string, merchant: { pid: string; key: string } = platformMerchant()) =>
    suite.platform.http.get(`${notifyPath}?${new URLSearchParams(signedNotification(merchant, topup, tradeNo)).toString()}`);
  const myBalance = async (person: Person) => {
    const answer = await person.client.get("/api/balance");
    expect(answer.status, answer.text).to.equal(200);
    return BigInt(answer.body.balances.find((row: { currency: string }) => row.currency === "CNY")?.balanceMinor ?? "0");
  };

  it("answers the same top-up for a repeated key, even for racing requests, and refuses the key for another amount", async () => {
    const first = await buyer.client.post("/api/balance/topups", { amountMinor: "2500", currency: "CNY", idempotencyKey: "topup-key-0001" });
    expect(first.status, first.text).to.equal(201);
    expect(first.body).to.include({ amountMinor: "2500", currency: "CNY", state: "awaiting_payment" });
    const paymentUrl = new URL(first.body.paymentUrl);
    expect(paymentUrl.searchParams.get("notify_url")).to.equal(`${suite.platform.url}${notifyPath}`);
    expect(paymentUrl.searchParams.get("out_trade_no")).to.equal(first.body.id);
    expect(paymentUrl.searchParams.get("money")).to.equal("25.00");

    const again = await buyer.client.post("/api/balance/topups", { amountMinor: "2500", currency: "CNY", idempotencyKey: "topup-key-0001" });
    expect([again.status, again.body.id]).to.deep.equal([201, first.body.id]);
    const otherAmount = await buyer.client.post("/api/balance/topups", { amountMinor: "2600", currency: "CNY", idempotencyKey: "topup-key-0001" });
    expect([otherAmount.status, otherAmount.body.code]).to.deep.equal([409, "conflict"]);
    // Another account's key of the same text is its own.
    const othersKey = await other.client.post("/api/balance/topups", { amountMinor: "100", currency: "CNY", idempotencyKey: "topup-key-0001" });
    expect(othersKey.status, othersKey.text).to.equal(201);
    expect(othersKey.body.id).to.not.equal(first.body.id);

    const racing = await Promise.all(
      Array.from({ length: 8 }, () => buyer.client.post("/api/balance/topups", { amountMinor: "700", currency: "CNY", idempotencyKey: "topup-key-race" })),
    );
    expect(racing.map((answer) => answer.status)).to.deep.equal(Array(8).fill(201));
    expect(new Set(racing.map((answer) => answer.body.id)).size).to.equal(1);
    expect(await counts()).to.deep.equal({ topups: "3", entries: "0" });
  });

  it("refuses bad input with a 4xx that writes nothing", async () => {
    const before = await counts();
    const bad: [unknown, number][] = [
      [{ amountMinor: "0", currency: "CNY", idempotencyKey: "topup-bad-0001" }, 400],
      [{ amountMinor: "-5", currency: "CNY", idempotencyKey: "topup-bad-0002" }, 400],
      [{ amountMinor: "1000000001", currency: "CNY", idempotencyKey: "topup-bad-0003" }, 400],
      [{ amountMinor: "1.5", currency: "CNY", idempotencyKey: "topup-bad-0004" }, 400],
      [{ amountMinor: "100", currency: "USD", idempotencyKey: "topup-bad-0005" }, 400],
      [{ amountMinor: "100", currency: "CNY" }, 400],
      [{ amountMinor: "100", currency: "CNY", idempotencyKey: "short" }, 400],
      [{ amountMinor: "100", currency: "CNY", idempotencyKey: "has a space" }, 400],
      [{ amountMinor: "100", currency: "CNY", idempotencyKey: "topup-bad-0009", accountId: "1" }, 400],
    ];
    for (const [body, status] of bad) {
      const answer = await buyer.client.post("/api/balance/topups", body);
      expect([answer.status, typeof answer.body.code, typeof answer.body.message], JSON.stringify(body)).to.deep.equal([status, "string", "string"]);
    }
    const guest = await suite.platform.http.post("/api/balance/topups", { amountMinor: "100", currency: "CNY", idempotencyKey: "topup-guest-01" });
    expect(guest.status).to.equal(401);
    expect(await counts()).to.deep.equal(before);
  });

  it("credits a top-up once, only on the platform merchant's signed notification with the exact amount", async () => {
    const started = await buyer.client.post("/api/balance/topups", { amountMinor: "2500", currency: "CNY", idempotencyKey: "topup-key-0001" });
    const topup = { id: started.body.id as string, amountMinor: "2500" };
    const before = await counts();
    // Someone else cannot read it; a guest must sign in.
    expect((await other.client.get(`/api/balance/topups/${topup.id}`)).status).to.equal(404);
    expect((await suite.platform.http.get(`/api/balance/topups/${topup.id}`)).status).to.equal(401);
    expect((await buyer.client.get("/api/balance/topups/not-an-id")).status).to.equal(400);

    // Signed with a key the platform does not hold, the wrong amount, a failed trade: refused, nothing written.
    const forged = await notify(topup, "BT-FORGED-1", { pid: platformMerchant().pid, key: "a-key-anyone-could-choose" });
    expect([forged.status, forged.body.code]).to.deep.equal([400, "invalid_signature"]);
    const short = await notify({ id: topup.id, amountMinor: "2499" }, "BT-SHORT-1");
    expect([short.status, short.body.code]).to.deep.equal([400, "amount_mismatch"]);
    const unknown = await notify({ id: "BT0000000000000000", amountMinor: "2500" }, "BT-UNKNOWN-1");
    expect(unknown.status).to.equal(404);
    expect(await counts()).to.deep.equal(before);
    expect(await myBalance(buyer)).to.equal(0n);

    // The gateway's notification, delivered five times at once: credited once.
    const delivered = await Promise.all(Array.from({ length: 5 }, () => notify(topup, "BT-TRADE-1")));
    expect(delivered.map((answer) => answer.text)).to.deep.equal(Array(5).fill("success"));
    expect(await myBalance(buyer)).to.equal(2500n);
    expect(await balance(suite.platform, "buyer", buyer.accountId, "refunds")).to.equal(2500n);
    expect((await buyer.client.get(`/api/balance/topups/${topup.id}`)).body).to.include({ state: "paid", paymentUrl: null });

    // Another trade number for the paid top-up is refused; a replay changes nothing.
    const second = await notify(topup, "BT-TRADE-2");
    expect([second.status, second.body.code]).to.deep.equal([409, "conflict"]);
    expect((await notify(topup, "BT-TRADE-1")).text).to.equal("success");
    // The same trade number cannot pay a second top-up.
    const next = await buyer.client.post("/api/balance/topups", { amountMinor: "2500", currency: "CNY", idempotencyKey: "topup-key-0002" });
    const reused = await notify({ id: next.body.id, amountMinor: "2500" }, "BT-TRADE-1");
    expect([reused.status, reused.body.code]).to.deep.equal([409, "conflict"]);

    expect(await myBalance(buyer)).to.equal(2500n);
    expect(await counts()).to.deep.equal({ topups: String(Number(before!.topups) + 1), entries: "1" });
    expect(await balance(suite.platform, "platform", 0n, "clearing_epay")).to.equal(-2500n);
    expect(await ledgerImbalance(suite.platform)).to.deep.equal([]);
    // The other buyer's balance is untouched.
    expect(await myBalance(other)).to.equal(0n);
  });
});
