// Names people read (display names, shop and product names: displayName in api/http/schemas.ts)
// refuse every bidirectional override and isolate and every zero-width character, so a name
// cannot show other text than it stores ("\u202Emoc.knab" reads as "bank.com"). Each code point
// is listed here by number, not taken from the schema's own pattern. Over HTTP:
// test/api/controlCharactersAndLogs.test.ts and the product rename below.
import { expect } from "chai";
import { displayName } from "../../api/http/schemas.ts";
import { createProduct, setupMerchant } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

const refused = {
  "LEFT-TO-RIGHT EMBEDDING": 0x202a,
  "RIGHT-TO-LEFT EMBEDDING": 0x202b,
  "POP DIRECTIONAL FORMATTING": 0x202c,
  "LEFT-TO-RIGHT OVERRIDE": 0x202d,
  "RIGHT-TO-LEFT OVERRIDE": 0x202e,
  "LEFT-TO-RIGHT ISOLATE": 0x2066,
  "RIGHT-TO-LEFT ISOLATE": 0x2067,
  "FIRST STRONG ISOLATE": 0x2068,
  "POP DIRECTIONAL ISOLATE": 0x2069,
  "ZERO WIDTH SPACE": 0x200b,
  "ZERO WIDTH NON-JOINER": 0x200c,
  "ZERO WIDTH JOINER": 0x200d,
  "WORD JOINER": 0x2060,
  "ZERO WIDTH NO-BREAK SPACE (BOM)": 0xfeff,
};

describe("names refuse direction-changing and zero-width characters", function () {
  this.timeout(120_000);

  it("displayName refuses each of them, anywhere in the name, and keeps real scripts (Chinese, Arabic, emoji)", () => {
    const schema = displayName({ max: 80 });
    for (const [name, codePoint] of Object.entries(refused)) {
      const character = String.fromCodePoint(codePoint);
      for (const value of [`${character}Shop`, `Sh${character}op`, `Shop${character}`]) {
        const result = schema.safeParse(value);
        expect(result.success, `${name} (U+${codePoint.toString(16).toUpperCase()}) in ${JSON.stringify(value)}`).to.equal(false);
        expect(result.error?.issues[0]?.message).to.equal("must not contain invisible or direction-changing characters (zero-width spaces, RTL overrides)");
      }
    }
    for (const value of ["卡密小铺", "متجر المفاتيح", "Keys & Cards 🎮", "Café-Ünïcode"]) {
      expect(schema.safeParse(value).success, value).to.equal(true);
    }
  });

  describe("over HTTP", () => {
    const suite = usePlatform();

    it("renaming a product to a name with an isolate or a BOM is a 400 that changes nothing", async () => {
      const setup = await setupMerchant(suite.platform);
      const productId = await createProduct(setup, { name: "Plain name" });
      for (const name of ["Steam\u2067Card", "\uFEFFSteam", "Steam\u2060Card"]) {
        const renamed = await setup.merchant.patch(`/api/products/${productId}`, { name });
        expect([renamed.status, renamed.body.code], JSON.stringify(name)).to.deep.equal([400, "validation_failed"]);
        expect(renamed.body.message).to.match(/invisible or direction-changing/);
      }
      const product = await setup.merchant.get(`/api/products/${productId}`);
      expect(product.body.name).to.equal("Plain name");
    });
  });
});
