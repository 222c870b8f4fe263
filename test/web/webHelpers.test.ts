// The web app's pure helpers, without a browser: money formatting and parsing (bigint, never a
// float), CSV export (quoting, formula neutralising), and the message tables (every Chinese
// string present, with exactly the English string's parameters).
import { expect } from "chai";
import { toCsv } from "../../web/src/auditor/csv.ts";
import { formatMoney, parseMoney, shortHash } from "../../web/src/format.ts";
import type { MessageKey } from "../../web/src/i18n/messages.ts";
import { en } from "../../web/src/i18n/en.ts";
import { zh } from "../../web/src/i18n/zh.ts";

describe("web helpers", () => {
  it("formats minor units exactly, with the currency's decimals", () => {
    expect(formatMoney("4800", "CNY")).to.equal("¥48.00");
    expect(formatMoney(1999999999n, "CNY")).to.equal("¥19,999,999.99");
    expect(formatMoney("-250", "USD")).to.equal("-$2.50");
    expect(formatMoney("1500", "JPY")).to.equal("¥1,500");
    // The stablecoin and ETH are written with their token's digits (6 and 18), as receipts write them.
    expect(formatMoney("25000000", "USDK")).to.equal("25.000000 USDK");
    expect(formatMoney("1500000000000000000", "ETH")).to.equal("1.500000000000000000 ETH");
    // Beyond 2^53: still exact, because it never passes through a float.
    expect(formatMoney("123456789012345678", "CNY")).to.equal("¥1,234,567,890,123,456.78");
  });

  it("parses amounts typed by people into minor units, refusing what it cannot represent", () => {
    expect(parseMoney("48", "CNY")).to.equal(4800n);
    expect(parseMoney(" 48.5 ", "CNY")).to.equal(4850n);
    expect(parseMoney("0.01", "CNY")).to.equal(1n);
    expect(parseMoney("1500", "JPY")).to.equal(1500n);
    expect(parseMoney("25.5", "USDK")).to.equal(25_500_000n);
    for (const bad of ["48.555", "abc", "", "-1", "1e3", "4,800", "1.5"]) {
      expect(parseMoney(bad, bad === "1.5" ? "JPY" : "CNY"), bad).to.equal(undefined);
    }
  });

  it("shortens hashes for display and leaves short values alone", () => {
    expect(shortHash(`0x${"ab".repeat(32)}`)).to.equal("0xababab…ababab");
    expect(shortHash("0x1234")).to.equal("0x1234");
  });

  it("exports CSV with every field quoted and formulas neutralised", () => {
    const csv = toCsv(
      ["a", "b", "c"],
      [
        { a: 'say "hi"', b: "=SUM(A1)", c: { nested: 1 } },
        { a: null, b: "-1", c: undefined },
      ],
    );
    expect(csv).to.equal('"a","b","c"\r\n"say ""hi""","\'=SUM(A1)","{""nested"":1}"\r\n"","\'-1",""\r\n');
  });

  it("has every message in Chinese, with the same parameters as in English", () => {
    const keys = Object.keys(en) as MessageKey[];
    expect(keys.length).to.be.greaterThan(300);
    const parameters = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    for (const key of keys) {
      const english = en[key];
      const chinese = zh[key];
      // A few state descriptions are intentionally empty in both languages.
      if (english !== "") expect(chinese, key).to.be.a("string").and.not.equal("");
      expect(parameters(chinese), key).to.deep.equal(parameters(english));
    }
  });
});
