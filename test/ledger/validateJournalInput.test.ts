// The journal's TypeScript validation on its own, without the database: the posting function
// in SQL refuses most of the same inputs with the same code, so only these tests notice when a
// check here is weakened. Each case names the rule and the exact message the caller reads.
import { expect } from "chai";
import { AppError } from "../../core/errors.ts";
import type { AccountRef, JournalInput } from "../../api/ledger/types.ts";
import { validateJournalInput } from "../../api/ledger/validateJournalInput.ts";

const shopPayable: AccountRef = { ownerType: "shop", ownerId: 17n, purpose: "payable" };
const shopHolds: AccountRef = { ownerType: "shop", ownerId: 17n, purpose: "holds" };
const platformEpay: AccountRef = { ownerType: "platform", ownerId: 0n, purpose: "clearing_epay" };
const platformPayouts: AccountRef = { ownerType: "platform", ownerId: 0n, purpose: "payouts" };

// 10^15, written out: the largest amount one posting may carry (api/ledger/limits.ts).
const amountMax = 1_000_000_000_000_000n;

function sale(overrides: Partial<JournalInput> = {}): JournalInput {
  return {
    idempotencyKey: "sale:order:1",
    kind: "sale",
    reference: { type: "order", id: "1" },
    postings: [
      { account: platformEpay, amountMinor: -1000n, currency: "CNY" },
      { account: shopPayable, amountMinor: 1000n, currency: "CNY" },
    ],
    ...overrides,
  };
}

function payoutRequest(hold: Partial<NonNullable<JournalInput["hold"]>> = {}, overrides: Partial<JournalInput> = {}): JournalInput {
  return {
    idempotencyKey: "payout:1",
    kind: "payout_request",
    reference: { type: "payout", id: "1" },
    postings: [
      { account: shopPayable, amountMinor: -300n, currency: "CNY" },
      { account: shopHolds, amountMinor: 300n, currency: "CNY" },
    ],
    hold: { holdingAccount: shopHolds, postAccount: platformPayouts, voidAccount: shopPayable, amountMinor: 300n, currency: "CNY", ...hold },
    ...overrides,
  };
}

function two(first: AccountRef, second: AccountRef, amount = 5n, currency = "CNY"): JournalInput["postings"] {
  return [
    { account: first, amountMinor: -amount, currency },
    { account: second, amountMinor: amount, currency },
  ];
}

function rejection(input: JournalInput): AppError {
  try {
    validateJournalInput(input);
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected the journal transaction to be refused");
}

function expectRefused(input: unknown, message: string): void {
  const error = rejection(input as JournalInput);
  expect(error.code).to.equal("validation_failed");
  expect(error.message).to.equal(message);
}

function expectAccepted(input: unknown): void {
  expect(() => validateJournalInput(input as JournalInput)).not.to.throw();
}

describe("ledger: journal validation without the database", () => {
  it("accepts well-formed entries at every limit", () => {
    expectAccepted(sale());
    expectAccepted(payoutRequest());
    expectAccepted(payoutRequest({ expiresAt: new Date(0), expiryAction: "post" }));
    expectAccepted(sale({ idempotencyKey: "k" }));
    expectAccepted(sale({ idempotencyKey: "k".repeat(200) }));
    expectAccepted(sale({ kind: "ab" }));
    expectAccepted(sale({ kind: `a${"_".repeat(40)}` }));
    expectAccepted(sale({ reference: { type: "adjustment", id: "x" } }));
    expectAccepted(sale({ reference: { type: "order", id: "9".repeat(120) } }));
    expectAccepted(sale({ postings: two(1n, 2n, amountMax) }));
    expectAccepted(sale({ postings: two(platformEpay, shopPayable, 1n, "USD") }));
    expectAccepted(sale({ postings: two(platformEpay, shopPayable, 1n, "ABCDEFGH") }));
    // Sixteen postings, eight pairs.
    expectAccepted(sale({ postings: Array.from({ length: 8 }, (_, pair) => two(BigInt(2 * pair + 1), BigInt(2 * pair + 2))).flat() }));
    // The same identity in two currencies is two accounts; each currency balances alone.
    expectAccepted(sale({ postings: [...two(platformEpay, shopPayable, 7n, "CNY"), ...two(shopPayable, platformEpay, 9n, "USD")] }));
    // Every owner type and purpose the ledger knows.
    expectAccepted(
      sale({ postings: two({ ownerType: "buyer", ownerId: 1n, purpose: "payments" }, { ownerType: "reseller", ownerId: 2n, purpose: "proceeds" }) }),
    );
    expectAccepted(
      sale({ postings: two({ ownerType: "shop", ownerId: 0n + 3n, purpose: "royalties" }, { ownerType: "platform", ownerId: 0n, purpose: "adjustments" }) }),
    );
    const metadata = Object.fromEntries(
      Array.from({ length: 16 }, (_, index) => [
        `m${index}`,
        index % 4 === 0 ? "v".repeat(200) : index % 4 === 1 ? Number.MAX_SAFE_INTEGER : index % 4 === 2 ? true : null,
      ]),
    );
    expectAccepted(sale({ metadata }));
    expectAccepted(sale({ metadata: { negative: -Number.MAX_SAFE_INTEGER, text: "", zero: 0 } }));
  });

  it("refuses a missing, empty or overlong idempotency key", () => {
    const message = "The idempotency key must be 1 to 200 characters.";
    expectRefused(sale({ idempotencyKey: "" }), message);
    expectRefused(sale({ idempotencyKey: "k".repeat(201) }), message);
    expectRefused(sale({ idempotencyKey: 12345 as unknown as string }), message);
    expectRefused(sale({ idempotencyKey: undefined as unknown as string }), message);
  });

  it("refuses a malformed kind, reference type or reference id", () => {
    expectRefused(sale({ kind: "Sale" }), 'Kind "Sale" must match /^[a-z][a-z_]{1,40}$/.');
    expectRefused(sale({ kind: "a" }), 'Kind "a" must match /^[a-z][a-z_]{1,40}$/.');
    expectRefused(sale({ kind: `a${"_".repeat(41)}` }), `Kind "a${"_".repeat(41)}" must match /^[a-z][a-z_]{1,40}$/.`);
    expectRefused(sale({ kind: "_sale" }), 'Kind "_sale" must match /^[a-z][a-z_]{1,40}$/.');
    expectRefused(sale({ kind: "sale-1" }), 'Kind "sale-1" must match /^[a-z][a-z_]{1,40}$/.');
    expectRefused(sale({ kind: "sale\n" }), 'Kind "sale\\n" must match /^[a-z][a-z_]{1,40}$/.');
    expectRefused(sale({ reference: { type: "invoice" as "order", id: "1" } }), "Unknown reference type invoice.");
    expectRefused(sale({ reference: { type: "order", id: "" } }), "The reference id must be 1 to 120 characters.");
    expectRefused(sale({ reference: { type: "order", id: "9".repeat(121) } }), "The reference id must be 1 to 120 characters.");
  });

  it("refuses fewer than 2 or more than 16 postings", () => {
    const message = "A journal transaction has 2 to 16 postings.";
    expectRefused(sale({ postings: [] }), message);
    expectRefused(sale({ postings: [{ account: 1n, amountMinor: 5n, currency: "CNY" }] }), message);
    expectRefused(
      sale({
        postings: [
          ...Array.from({ length: 8 }, (_, pair) => two(BigInt(2 * pair + 1), BigInt(2 * pair + 2))).flat(),
          { account: 99n, amountMinor: 1n, currency: "CNY" },
        ],
      }),
      message,
    );
    expectRefused(sale({ postings: undefined as unknown as JournalInput["postings"] }), message);
    expectRefused(sale({ postings: { length: 2 } as unknown as JournalInput["postings"] }), message);
  });

  it("refuses bad account references, naming the posting", () => {
    expectRefused(sale({ postings: two(1n, 0n) }), "posting 1: account id must be positive.");
    expectRefused(sale({ postings: two(-3n, 2n) }), "posting 0: account id must be positive.");
    expectRefused(sale({ postings: two(platformEpay, { ...shopPayable, ownerType: "bank" } as unknown as AccountRef) }), "posting 1: unknown owner type bank.");
    expectRefused(sale({ postings: two(platformEpay, { ...shopPayable, purpose: "bonus" } as unknown as AccountRef) }), "posting 1: unknown purpose bonus.");
    expectRefused(sale({ postings: two(platformEpay, { ...shopPayable, ownerId: -1n }) }), "posting 1: owner id must be a non-negative bigint.");
    expectRefused(
      sale({ postings: two(platformEpay, { ...shopPayable, ownerId: 17 } as unknown as AccountRef) }),
      "posting 1: owner id must be a non-negative bigint.",
    );
    expectRefused(sale({ postings: two(platformEpay, { ...shopPayable, ownerId: 0n }) }), "posting 1: the platform (and only it) has owner id 0.");
    expectRefused(sale({ postings: two({ ...platformEpay, ownerId: 1n }, shopPayable) }), "posting 0: the platform (and only it) has owner id 0.");
  });

  it("refuses zero, non-bigint and out-of-range amounts", () => {
    expectRefused(sale({ postings: two(1n, 2n, 0n) }), "posting 0: an amount of zero posts nothing.");
    expectRefused(
      sale({
        postings: [
          { account: 1n, amountMinor: -5 as unknown as bigint, currency: "CNY" },
          { account: 2n, amountMinor: 5n, currency: "CNY" },
        ],
      }),
      "posting 0: amounts are bigint minor units.",
    );
    expectRefused(sale({ postings: two(1n, 2n, amountMax + 1n) }), "posting 0: amount beyond 1000000000000000 minor units.");
    expectRefused(
      sale({
        postings: [
          { account: 1n, amountMinor: amountMax + 1n, currency: "CNY" },
          { account: 2n, amountMinor: -(amountMax + 1n), currency: "CNY" },
        ],
      }),
      "posting 0: amount beyond 1000000000000000 minor units.",
    );
  });

  it("refuses a malformed currency", () => {
    for (const currency of ["cny", "CN", "ABCDEFGHI", "CN1", " CNY", "CNY "]) {
      expectRefused(sale({ postings: two(1n, 2n, 5n, currency) }), "posting 0: currency must be 3 to 8 capital letters.");
    }
  });

  it("refuses the same account posted twice", () => {
    const message = "posting 1: the same account is posted twice; merge the amounts.";
    expectRefused(
      sale({
        postings: [
          { account: 4n, amountMinor: -5n, currency: "CNY" },
          { account: 4n, amountMinor: 5n, currency: "CNY" },
        ],
      }),
      message,
    );
    expectRefused(
      sale({
        postings: [
          { account: shopPayable, amountMinor: -5n, currency: "CNY" },
          { account: { ...shopPayable }, amountMinor: 5n, currency: "CNY" },
        ],
      }),
      message,
    );
    // An account id names one account whatever the currency says.
    expectRefused(
      sale({
        postings: [
          { account: 4n, amountMinor: -5n, currency: "CNY" },
          { account: 4n, amountMinor: 5n, currency: "USD" },
        ],
      }),
      message,
    );
  });

  it("refuses postings that do not balance per currency", () => {
    expectRefused(
      sale({
        postings: [
          { account: 1n, amountMinor: -1000n, currency: "CNY" },
          { account: 2n, amountMinor: 999n, currency: "CNY" },
        ],
      }),
      "Postings in CNY sum to -1, not zero: a journal transaction must balance.",
    );
    expectRefused(
      sale({
        postings: [
          { account: 1n, amountMinor: 5n, currency: "CNY" },
          { account: 2n, amountMinor: 5n, currency: "CNY" },
        ],
      }),
      "Postings in CNY sum to 10, not zero: a journal transaction must balance.",
    );
    // Balanced overall but not per currency.
    expectRefused(
      sale({
        postings: [
          { account: 1n, amountMinor: -5n, currency: "CNY" },
          { account: 2n, amountMinor: 5n, currency: "USD" },
        ],
      }),
      "Postings in CNY sum to -5, not zero: a journal transaction must balance.",
    );
  });

  it("refuses too many metadata keys, long strings and unsafe numbers", () => {
    const seventeen = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`m${index}`, index]));
    expectRefused(sale({ metadata: seventeen }), "At most 16 metadata keys.");
    expectRefused(sale({ metadata: { note: "v".repeat(201) } }), "Metadata note is longer than 200 characters.");
    expectRefused(sale({ metadata: { count: Number.MAX_SAFE_INTEGER + 1 } }), "Metadata count must be a safe integer.");
    expectRefused(sale({ metadata: { ratio: 0.5 } }), "Metadata ratio must be a safe integer.");
    expectRefused(sale({ metadata: { nan: Number.NaN } }), "Metadata nan must be a safe integer.");
  });

  it("refuses a hold that is not positive, not credited, or on a bad account", () => {
    expectRefused(payoutRequest({ amountMinor: -300n }), "hold: the amount is positive.");
    expectRefused(payoutRequest({ amountMinor: 0n }), "hold: the amount is positive.");
    expectRefused(
      payoutRequest(
        { amountMinor: amountMax + 1n },
        {
          postings: [
            { account: shopPayable, amountMinor: -(amountMax + 1n), currency: "CNY" },
            { account: shopHolds, amountMinor: amountMax + 1n, currency: "CNY" },
          ],
        },
      ),
      "posting 0: amount beyond 1000000000000000 minor units.",
    );
    expectRefused(payoutRequest({ amountMinor: amountMax + 1n }), "hold: amount beyond 1000000000000000 minor units.");
    expectRefused(payoutRequest({ amountMinor: 300 as unknown as bigint }), "hold: amounts are bigint minor units.");
    expectRefused(payoutRequest({ holdingAccount: 0n }), "hold: account id must be positive.");
    expectRefused(payoutRequest({ postAccount: { ...platformPayouts, ownerId: 5n } }), "hold: the platform (and only it) has owner id 0.");
    expectRefused(payoutRequest({ voidAccount: { ...shopPayable, purpose: "bonus" as "payable" } }), "hold: unknown purpose bonus.");
    const notCredited = "hold: the entry must credit the holding account with the hold's amount.";
    // Another amount, another account, another currency, or the holding account debited.
    expectRefused(payoutRequest({ amountMinor: 299n }), notCredited);
    expectRefused(payoutRequest({ holdingAccount: shopPayable }), notCredited);
    expectRefused(payoutRequest({ currency: "USD" }), notCredited);
    expectRefused(
      payoutRequest(
        {},
        {
          postings: [
            { account: shopHolds, amountMinor: -300n, currency: "CNY" },
            { account: shopPayable, amountMinor: 300n, currency: "CNY" },
          ],
        },
      ),
      notCredited,
    );
    // A holding account named by id matches a posting naming the same id.
    expectAccepted(
      payoutRequest(
        { holdingAccount: 8n },
        {
          postings: [
            { account: 9n, amountMinor: -300n, currency: "CNY" },
            { account: 8n, amountMinor: 300n, currency: "CNY" },
          ],
        },
      ),
    );
  });
});
