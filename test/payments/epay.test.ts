// EPay signing and money parsing against known answers: signatures computed by Python's
// hashlib from the published rule (test/vectors/epay.py), amounts worked out by hand.
import { expect } from "chai";
import {
  buildEpaySubmitUrl,
  checkEpayNotification,
  epayGatewayBase,
  epaySign,
  epaySigningString,
  formatEpayMoney,
  parseEpayMoney,
  verifyEpaySignature,
  type EpayParams,
} from "../../api/payments/epay.ts";
import { readVectors } from "../vectors/readVectors.ts";

type EpayVector = { name: string; key: string; params: EpayParams; signingString: string; sign: string };
const { vectors } = readVectors<{ vectors: EpayVector[] }>("epay.json");

describe("payments: EPay signing (known answers from Python hashlib)", () => {
  for (const vector of vectors) {
    it(`signs ${vector.name}`, () => {
      expect(epaySigningString(vector.params)).to.equal(vector.signingString);
      expect(epaySign(vector.params, vector.key)).to.equal(vector.sign);
    });

    it(`accepts the gateway's signature and refuses a forged one: ${vector.name}`, () => {
      const signed = { ...vector.params, sign: vector.sign, sign_type: "MD5" };
      expect(verifyEpaySignature(signed, vector.key)).to.equal(true);
      expect(verifyEpaySignature({ ...signed, sign: vector.sign.toUpperCase() }, vector.key)).to.equal(true);
      expect(verifyEpaySignature(signed, `${vector.key}x`)).to.equal(false);
      expect(verifyEpaySignature(signed, "")).to.equal(false);
      const firstName = Object.keys(vector.params).find((name) => name !== "sign" && name !== "sign_type" && vector.params[name] !== "")!;
      expect(verifyEpaySignature({ ...signed, [firstName]: `${vector.params[firstName]}0` }, vector.key)).to.equal(false);
      // An extra non-empty parameter is signed too; an extra empty one is not.
      expect(verifyEpaySignature({ ...signed, zz_extra: "1" }, vector.key)).to.equal(false);
      expect(verifyEpaySignature({ ...signed, zz_extra: "" }, vector.key)).to.equal(true);
    });
  }

  it("refuses a missing, short, long or non-hex signature without comparing", () => {
    const vector = vectors[0]!;
    const params = { ...vector.params };
    delete params.sign;
    expect(verifyEpaySignature(params, vector.key)).to.equal(false);
    expect(verifyEpaySignature({ ...params, sign: vector.sign.slice(1) }, vector.key)).to.equal(false);
    expect(verifyEpaySignature({ ...params, sign: `${vector.sign}0` }, vector.key)).to.equal(false);
    expect(verifyEpaySignature({ ...params, sign: `0${vector.sign}` }, vector.key)).to.equal(false);
    expect(verifyEpaySignature({ ...params, sign: `${vector.sign.slice(0, 31)}g` }, vector.key)).to.equal(false);
    expect(verifyEpaySignature({ ...params, sign: "" }, vector.key)).to.equal(false);
  });

  it("signs a parameter left undefined as if it were absent", () => {
    const vector = vectors[0]!;
    const withUndefined = { ...vector.params, coupon: undefined as unknown as string };
    expect(epaySigningString(withUndefined)).to.equal(vector.signingString);
    expect(epaySign(withUndefined, vector.key)).to.equal(vector.sign);
  });

  it("refuses a signature that is not one string (a repeated query parameter), without throwing", () => {
    const vector = vectors[0]!;
    expect(verifyEpaySignature({ ...vector.params, sign: [vector.sign] as unknown as string }, vector.key)).to.equal(false);
    expect(verifyEpaySignature({ ...vector.params, sign: [vector.sign, vector.sign] as unknown as string }, vector.key)).to.equal(false);
  });

  it("builds the submit URL the gateway expects, signed as Python signs it", () => {
    const vector = vectors.find((candidate) => candidate.params.notify_url !== undefined)!;
    const p = vector.params;
    for (const gatewayUrl of ["http://127.0.0.1:9000/pay", "http://127.0.0.1:9000/pay/"]) {
      const url = new URL(
        buildEpaySubmitUrl({
          gatewayUrl,
          pid: p.pid!,
          merchantKey: vector.key,
          outTradeNo: p.out_trade_no!,
          notifyUrl: p.notify_url!,
          returnUrl: p.return_url!,
          name: p.name!,
          amountMinor: 100005n,
        }),
      );
      expect(url.origin + url.pathname).to.equal("http://127.0.0.1:9000/pay/submit.php");
      expect(Object.fromEntries(url.searchParams)).to.deep.equal({ ...p, sign: vector.sign, sign_type: "MD5" });
    }
    const wxpay = new URL(
      buildEpaySubmitUrl({
        gatewayUrl: "http://127.0.0.1:9000",
        pid: "1",
        merchantKey: "k",
        outTradeNo: "2",
        notifyUrl: "n",
        returnUrl: "r",
        name: "x",
        amountMinor: 1n,
        type: "wxpay",
      }),
    );
    expect(wxpay.searchParams.get("type")).to.equal("wxpay");
    expect(wxpay.searchParams.get("money")).to.equal("0.01");
  });
});

describe("payments: the checks every EPay notification passes", () => {
  // The gateway's notification from the vectors, signed by Python's hashlib.
  const vector = vectors.find((candidate) => candidate.params.trade_status !== undefined)!;
  const merchant = { pid: vector.params.pid!, key: vector.key, whose: "this shop's" };
  const refusal = (params: EpayParams) => {
    try {
      checkEpayNotification(params, merchant);
    } catch (error) {
      return [(error as { code: string }).code, (error as Error).message];
    }
    return undefined;
  };

  it("accepts the gateway's signed notification and names its trade and reference", () => {
    expect(checkEpayNotification({ ...vector.params, sign: vector.sign }, merchant)).to.deep.equal({
      tradeNo: vector.params.trade_no,
      outTradeNo: vector.params.out_trade_no,
    });
  });

  it("refuses another pid, a forged or missing signature, a trade that did not succeed, and a missing or overlong trade number", () => {
    const signed = { ...vector.params, sign: vector.sign };
    expect(refusal({ ...signed, pid: `${merchant.pid}9` })).to.deep.equal(["invalid_signature", "pid does not match this shop's EPay merchant id."]);
    const forged = ["invalid_signature", "The notification's sign does not verify (EPay MD5 rule: sorted k=v&k=v + merchant key)."];
    expect(refusal({ ...signed, money: "9999.00" })).to.deep.equal(forged);
    expect(refusal({ ...vector.params, sign: "" })).to.deep.equal(forged);
    const resign = (params: EpayParams) => ({ ...params, sign: epaySign(params, vector.key) });
    expect(refusal(resign({ ...vector.params, trade_status: "WAIT_BUYER_PAY" }))).to.deep.equal([
      "bad_request",
      'trade_status is "WAIT_BUYER_PAY"; only TRADE_SUCCESS is accepted.',
    ]);
    const { trade_status: _status, ...withoutStatus } = vector.params;
    expect(refusal(resign(withoutStatus))).to.deep.equal(["bad_request", 'trade_status is ""; only TRADE_SUCCESS is accepted.']);
    const { trade_no: _dropped, ...withoutTrade } = vector.params;
    expect(refusal(resign(withoutTrade))).to.deep.equal(["bad_request", "trade_no is missing or longer than 128 characters."]);
    expect(refusal(resign({ ...vector.params, trade_no: "T".repeat(129) }))).to.deep.equal([
      "bad_request",
      "trade_no is missing or longer than 128 characters.",
    ]);
    expect(checkEpayNotification(resign({ ...vector.params, trade_no: "T".repeat(128) }), merchant).tradeNo).to.equal("T".repeat(128));
    const { out_trade_no: _reference, ...withoutReference } = vector.params;
    expect(checkEpayNotification(resign(withoutReference), merchant).outTradeNo).to.equal("");
  });
});

describe("payments: the EPay gateway URL a merchant gives", () => {
  it("takes the base URL in any form, or its submit.php address, and gives the base ending in /", () => {
    const cases: [string, string][] = [
      ["https://pay.example.com", "https://pay.example.com/"],
      ["https://pay.example.com/", "https://pay.example.com/"],
      ["https://pay.example.com/submit.php", "https://pay.example.com/"],
      ["https://pay.example.com/epay", "https://pay.example.com/epay/"],
      ["https://pay.example.com/epay/", "https://pay.example.com/epay/"],
      ["http://127.0.0.1:9000/epay/submit.php", "http://127.0.0.1:9000/epay/"],
    ];
    for (const [given, base] of cases) expect(epayGatewayBase(given), given).to.deep.equal({ baseUrl: base });
  });

  it("refuses another page, a query, a fragment, another scheme and what is no URL, each saying what to give", () => {
    const pageProblem = "names the page mapi.php: give the gateway's base URL (https://pay.example.com/) or its submit.php address";
    expect(epayGatewayBase("https://pay.example.com/mapi.php")).to.deep.equal({ problem: pageProblem });
    const queryProblem = "must not carry a query or a fragment: give the gateway's base URL (https://pay.example.com/) or its submit.php address";
    expect(epayGatewayBase("https://pay.example.com/?pid=1")).to.deep.equal({ problem: queryProblem });
    expect(epayGatewayBase("https://pay.example.com/#top")).to.deep.equal({ problem: queryProblem });
    expect(epayGatewayBase("https://pay.example.com/submit.php?x=1")).to.deep.equal({ problem: queryProblem });
    expect(epayGatewayBase("ftp://pay.example.com/")).to.deep.equal({ problem: "must be an http(s) URL" });
    expect(epayGatewayBase("pay.example.com")).to.deep.equal({ problem: "is not a URL" });
  });

  it("links a stored submit.php address to submit.php once, and refuses to link a gateway URL that is not usable", () => {
    const input = { pid: "1", merchantKey: "k", outTradeNo: "2", notifyUrl: "n", returnUrl: "r", name: "x", amountMinor: 1n };
    const url = new URL(buildEpaySubmitUrl({ ...input, gatewayUrl: "https://pay.example.com/submit.php" }));
    expect(url.origin + url.pathname).to.equal("https://pay.example.com/submit.php");
    let refusal: unknown;
    try {
      buildEpaySubmitUrl({ ...input, gatewayUrl: "https://pay.example.com/mapi.php" });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).to.include({ code: "invalid_state" });
    expect((refusal as Error).message).to.equal(
      "The EPay gateway URL names the page mapi.php: give the gateway's base URL (https://pay.example.com/) or its submit.php address; set it again in the shop's payment settings.",
    );
  });
});

describe("payments: EPay money", () => {
  it("formats fen as yuan with two decimals", () => {
    const cases: [bigint, string][] = [
      [0n, "0.00"],
      [1n, "0.01"],
      [10n, "0.10"],
      [99n, "0.99"],
      [100n, "1.00"],
      [1230n, "12.30"],
      [100005n, "1000.05"],
      [123456789012345n, "1234567890123.45"],
    ];
    for (const [amountMinor, text] of cases) expect(formatEpayMoney(amountMinor), text).to.equal(text);
  });

  it("parses plain yuan amounts into fen", () => {
    const cases: [string, bigint][] = [
      ["12.30", 1230n],
      ["12.3", 1230n],
      ["12.03", 1203n],
      ["12", 1200n],
      ["0.05", 5n],
      ["0.5", 50n],
      ["0", 0n],
      ["007.10", 710n],
      ["999999999999999.99", 99999999999999999n],
    ];
    for (const [text, amountMinor] of cases) expect(parseEpayMoney(text), text).to.equal(amountMinor);
  });

  it("refuses anything that is not a plain amount", () => {
    const bad = ["", "abc12.30", "12.30abc", "12.345", "12.", ".5", "-1", "+1", " 12", "12 ", "1,000.00", "1e3", "12.3.4", "１２", "1000000000000000", "12.-1"];
    for (const text of bad) expect(parseEpayMoney(text), JSON.stringify(text)).to.equal(undefined);
  });
});
