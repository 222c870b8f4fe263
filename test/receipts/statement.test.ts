// Monthly statements (docs/saas.md, "Receipts and tax"): the CSV's totals equal sums computed here
// from the ledger's postings; every field is quoted and a formula-like text neutralised; the PDF
// reads back with the same closing balance; a bad month or format is 400 and another shop's
// merchant 403.
import { expect } from "chai";
import { postJournal } from "../../api/ledger/postJournal.ts";
import { queryRows, sql } from "../../core/store/database.ts";
import { setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";
import { pdfText } from "./pdfText.ts";

/** RFC 4180 fields of one CSV line (every field quoted). */
const fieldsOf = (line: string) => [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((match) => match[1]!.replace(/""/g, '"'));

describe("receipts: monthly statements, CSV and PDF (PostgreSQL)", function () {
  this.timeout(120_000);
  const suite = usePlatform();
  let shop: MerchantSetup;
  let other: MerchantSetup;
  const month = new Date().toISOString().slice(0, 7);
  const next = (() => {
    const [year, m] = month.split("-").map(Number) as [number, number];
    return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, "0")}`;
  })();

  before(async () => {
    shop = await setupMerchant(suite.platform);
    other = await setupMerchant(suite.platform);
    const payable = { ownerType: "shop" as const, ownerId: BigInt(shop.shopId), purpose: "payable" as const };
    const adjustments = { ownerType: "platform" as const, ownerId: 0n, purpose: "adjustments" as const };
    // Operator adjustments stand in for sales and payouts: CNY +10,000, −2,500, +333; USD +500.
    const moves: [string, bigint, string][] = [
      ["=1+1", 10_000n, "CNY"],
      ["stmt-b", -2_500n, "CNY"],
      ["stmt-c", 333n, "CNY"],
      ["stmt-d", 500n, "USD"],
    ];
    for (const [id, amount, currency] of moves) {
      await postJournal(suite.platform.database.db, {
        idempotencyKey: `statement-test:${shop.shopId}:${id}`,
        kind: "adjustment",
        reference: { type: "adjustment", id },
        postings: [
          { account: payable, amountMinor: amount, currency },
          { account: adjustments, amountMinor: -amount, currency },
        ],
      });
    }
  });

  async function download(path: string, token = shop.merchant.token) {
    const response = await fetch(suite.platform.url + path, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, type: response.headers.get("content-type"), bytes: new Uint8Array(await response.arrayBuffer()) };
  }

  it("has the month's postings and totals the ledger holds", async () => {
    const csv = await download(`/api/ledger/shops/${shop.shopId}/statements/${month}?format=csv`);
    expect(csv.status).to.equal(200);
    expect(csv.type).to.match(/^text\/csv/);
    const lines = new TextDecoder().decode(csv.bytes).trimEnd().split("\r\n");
    for (const line of lines) expect(line, line).to.match(/^"([^"]|"")*"(,"([^"]|"")*")*$/);
    const rows = lines.slice(1).map(fieldsOf);
    // Independently: the shop's payable postings per currency straight from the ledger tables.
    const ledger = await queryRows<{ currency: string; amount_minor: string }>(
      suite.platform.database.db,
      sql`SELECT a.currency, p.amount_minor::text FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
          WHERE a.owner_type = 'shop' AND a.owner_id = ${BigInt(shop.shopId)} AND a.purpose = 'payable'`,
    );
    for (const currency of ["CNY", "USD"]) {
      const expected = ledger.filter((row) => row.currency === currency).reduce((sum, row) => sum + BigInt(row.amount_minor), 0n);
      const postings = rows.filter((row) => row[0] === currency && row[1] === "posting");
      const sum = postings.reduce((total, row) => total + BigInt(row[7]!), 0n);
      expect(sum, currency).to.equal(expected);
      const opening = rows.find((row) => row[0] === currency && row[1] === "opening")!;
      const closing = rows.find((row) => row[0] === currency && row[1] === "closing")!;
      expect(BigInt(opening[8]!)).to.equal(0n);
      expect(BigInt(closing[8]!)).to.equal(expected);
      expect(BigInt(closing[7]!)).to.equal(expected);
    }
    // By hand: CNY 10,000 − 2,500 + 333 = 7,833; USD 500.
    expect(rows.find((row) => row[0] === "CNY" && row[1] === "closing")![8]).to.equal("7833");
    expect(rows.find((row) => row[0] === "USD" && row[1] === "closing")![8]).to.equal("500");
    // A negative amount stays a number; a reference that looks like a formula is neutralised.
    expect(rows.some((row) => row[7] === "-2500")).to.equal(true);
    expect(rows.some((row) => row[6] === "'=1+1")).to.equal(true);
  });

  it("opens the next month with the closing balance and no postings", async () => {
    const csv = await download(`/api/ledger/shops/${shop.shopId}/statements/${next}?format=csv`);
    const rows = new TextDecoder().decode(csv.bytes).trimEnd().split("\r\n").slice(1).map(fieldsOf);
    expect(rows.filter((row) => row[1] === "posting")).to.have.length(0);
    expect(rows.find((row) => row[0] === "CNY" && row[1] === "opening")![8]).to.equal("7833");
  });

  it("renders the PDF in both languages with the hand-computed closing balances", async () => {
    const en = await pdfText((await download(`/api/ledger/shops/${shop.shopId}/statements/${month}?format=pdf&lang=en`)).bytes);
    expect(en).to.include(`Monthly statement ${month}`);
    expect(en).to.include("Closing balance: 78.33 CNY");
    expect(en).to.include("Closing balance: 5.00 USD");
    expect(en).to.include("Debits: 25.00 CNY");
    const zh = await pdfText((await download(`/api/ledger/shops/${shop.shopId}/statements/${month}?format=pdf&lang=zh-CN`)).bytes);
    expect(zh).to.include("月度对账单");
    expect(zh).to.include("期末余额: 78.33 CNY");
  });

  it("refuses a bad month or format (400) and another shop's merchant (403)", async () => {
    for (const path of ["2026-13?format=csv", "2026-1?format=csv", "202612?format=csv", `${month}?format=xlsx`, `${month}?format=pdf&lang=de`]) {
      expect((await download(`/api/ledger/shops/${shop.shopId}/statements/${path}`)).status, path).to.equal(400);
    }
    expect((await download(`/api/ledger/shops/${shop.shopId}/statements/${month}?format=csv`, other.merchant.token)).status).to.equal(403);
  });
});
