// The ledger's refusals over HTTP say what to fix in the caller's terms (a payout, a requestId,
// an amount available for payout) and name none of the ledger's internals: no account purpose
// (payable, receivable, clearing), no journal transaction, hold or account id, no balance, no
// contract name. Reproduces the audit's finding that some 4xx messages exposed them.
import { expect } from "chai";
import { postOrderPayment } from "../../api/ledger/flows.ts";
import { createSession } from "../../api/services/accounts/sessions.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, type HttpClient, type HttpResponse } from "../support/platform.ts";

/** Words of the ledger's inside that a merchant or an admin's client has no use for. */
const internals = /payable|receivable|clearing|journal|posting|\bholds?\b|account \d|balance \d|PaymentRouter|ledger_|payout:|transaction \(/i;

function expectRefusal(response: HttpResponse, status: number, code: string, what: string): string {
  expect([response.status, response.body?.code], `${what}: ${response.text}`).to.deep.equal([status, code]);
  const message: string = response.body.message;
  expect(message, what).not.to.match(internals);
  expect(JSON.stringify(response.body.details ?? null), `${what} details`).not.to.match(internals);
  return message;
}

describe("ledger refusals over HTTP name no internals", function () {
  this.timeout(120_000);
  const suite = usePlatform();
  let setup: MerchantSetup;
  let admin: HttpClient;

  before(async () => {
    setup = await setupMerchant(suite.platform);
    const db = suite.platform.database.db;
    // 10,000 paid through the platform (on-chain) at a 5% fee: 9,500 available for payout.
    await postOrderPayment(db, {
      orderId: "messages-1",
      shopId: BigInt(setup.shopId),
      amountMinor: 10_000n,
      currency: "CNY",
      provider: "chain",
      platformFeeBps: 500,
    });
    const row = await queryOne<{ id: bigint }>(
      db,
      sql`INSERT INTO accounts (email, password_hash, roles) VALUES ('messages-admin@example.com', 'not-a-login', ARRAY['admin']) RETURNING id`,
    );
    admin = suite.platform.http.as((await createSession(db, row!.id, 3600, { factor: "totp" })).token);
  });

  it("a payout beyond what is available, a reused requestId, a settled and an unknown payout", async () => {
    const payouts = `/api/ledger/shops/${setup.shopId}/payouts`;
    const tooMuch = await setup.merchant.post(payouts, { amountMinor: "20000", currency: "CNY" });
    const tooMuchMessage = expectRefusal(tooMuch, 409, "insufficient_funds", "payout beyond the available amount");
    expect(tooMuchMessage).to.include("less than 20000 CNY available for payout");
    expect(tooMuchMessage, "the balance itself").not.to.include("9500");

    const first = await setup.merchant.post(payouts, { amountMinor: "4000", currency: "CNY", requestId: "msg-r1" });
    expect(first.status, first.text).to.equal(201);
    const reused = await setup.merchant.post(payouts, { amountMinor: "3000", currency: "CNY", requestId: "msg-r1" });
    expect(expectRefusal(reused, 409, "idempotency_conflict", "reused requestId")).to.include("requestId msg-r1 was already used");

    const approved = await admin.post(`/api/ledger/payouts/${first.body.payoutId}/approve`);
    expect(approved.status, approved.text).to.equal(200);
    const rejectedAfter = await admin.post(`/api/ledger/payouts/${first.body.payoutId}/reject`);
    expect(expectRefusal(rejectedAfter, 409, "invalid_state", "reject after approve")).to.equal(
      "This request was already completed; it cannot be cancelled now.",
    );
    const unknown = await admin.post(`/api/ledger/payouts/shop${setup.shopId}-never/approve`);
    expect(expectRefusal(unknown, 404, "not_found", "unknown payout")).to.equal(`No payout shop${setup.shopId}-never is waiting for a decision.`);
  });
});
