// The shop's EPay gateway URL: merchants are given either the gateway's base URL or its
// submit.php address, and both must give the same payment link (a base URL joined blindly gave
// .../submit.php/submit.php, which the cashier answers with 404). Anything else is refused with
// what to give instead. Expected links are written out by hand.
import { expect } from "chai";
import { AppError } from "../../core/errors.ts";
import { buildEpaySubmitUrl, epayGatewayBase } from "../../api/payments/epay.ts";

const order = {
  pid: "1001",
  merchantKey: "merchant-key-1",
  outTradeNo: "KL1",
  notifyUrl: "http://127.0.0.1:8080/n",
  returnUrl: "http://127.0.0.1:8080/r",
  name: "Card",
  amountMinor: 1234n,
};

describe("EPay gateway URL", () => {
  it("takes the base URL, with or without its final slash, or the submit.php address, as the same base", () => {
    for (const given of ["https://pay.example.com", "https://pay.example.com/", "https://pay.example.com/submit.php"]) {
      expect(epayGatewayBase(given), given).to.deep.equal({ baseUrl: "https://pay.example.com/" });
    }
    for (const given of ["http://127.0.0.1:8080/sandbox/epay", "http://127.0.0.1:8080/sandbox/epay/", "http://127.0.0.1:8080/sandbox/epay/submit.php"]) {
      expect(epayGatewayBase(given), given).to.deep.equal({ baseUrl: "http://127.0.0.1:8080/sandbox/epay/" });
    }
  });

  it("refuses another page of the gateway, a query, a fragment or another scheme, saying what to give", () => {
    expect(epayGatewayBase("https://pay.example.com/mapi.php")).to.deep.equal({
      problem: "names the page mapi.php: give the gateway's base URL (https://pay.example.com/) or its submit.php address",
    });
    expect(epayGatewayBase("https://pay.example.com/submit.php?pid=1"))
      .to.have.property("problem")
      .that.matches(/query or a fragment/);
    expect(epayGatewayBase("https://pay.example.com/#x"))
      .to.have.property("problem")
      .that.matches(/query or a fragment/);
    expect(epayGatewayBase("ftp://pay.example.com/")).to.deep.equal({ problem: "must be an http(s) URL" });
    expect(epayGatewayBase("pay.example.com/submit.php")).to.deep.equal({ problem: "is not a URL" });
  });

  it("builds one payment link whichever form was stored", () => {
    const expected =
      "http://127.0.0.1:8080/sandbox/epay/submit.php?pid=1001&type=alipay&out_trade_no=KL1&notify_url=http%3A%2F%2F127.0.0.1%3A8080%2Fn&return_url=http%3A%2F%2F127.0.0.1%3A8080%2Fr&name=Card&money=12.34";
    for (const gatewayUrl of ["http://127.0.0.1:8080/sandbox/epay/", "http://127.0.0.1:8080/sandbox/epay", "http://127.0.0.1:8080/sandbox/epay/submit.php"]) {
      const link = buildEpaySubmitUrl({ ...order, gatewayUrl });
      expect(link.slice(0, expected.length), gatewayUrl).to.equal(expected);
      expect(link).to.match(/&sign=[0-9a-f]{32}&sign_type=MD5$/);
    }
  });

  it("refuses to build a link from a stored URL that names another page", () => {
    expect(() => buildEpaySubmitUrl({ ...order, gatewayUrl: "https://pay.example.com/mapi.php" }))
      .to.throw(
        AppError,
        "The EPay gateway URL names the page mapi.php: give the gateway's base URL (https://pay.example.com/) or its submit.php address; set it again in the shop's payment settings.",
      )
      .with.property("code", "invalid_state");
  });
});
