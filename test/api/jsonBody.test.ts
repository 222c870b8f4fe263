// API answers are serialised without a replacer when they can be (V8's fast path) and with the
// bigint replacer when a bigint is in them; either way the JSON is the same as Express's
// res.json with the app's replacer gave.
import { expect } from "chai";
import { bigintReplacer, toJson } from "../../core/json.ts";

describe("API answer serialisation", () => {
  it("writes plain values as JSON.stringify does, and bigints anywhere as strings", () => {
    const plain = { id: "7", items: [{ code: "K-1", n: 2 }], ok: true, none: null };
    expect(toJson(plain)).to.equal(JSON.stringify(plain));
    const withBigints = { amountMinor: 990n, nested: { list: [1n, 2, "3"] }, at: new Date(0) };
    expect(JSON.parse(toJson(withBigints))).to.deep.equal({ amountMinor: "990", nested: { list: ["1", 2, "3"] }, at: "1970-01-01T00:00:00.000Z" });
    expect(toJson(withBigints)).to.equal(JSON.stringify(withBigints, bigintReplacer));
  });

  it("still refuses what JSON cannot carry", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => toJson(circular)).to.throw(TypeError);
  });
});
