// The pricing function against prices worked out by hand (the table below), and against a
// simple independent model (Number arithmetic, Math.round) for random products, levels, tiers
// and coupons. Pure and fast; seeded.
import { expect } from "chai";
import fc from "fast-check";
import { price, levelFor, type CouponRule, type MemberLevel, type PriceParameters, type PriceTier } from "../../api/pricing/price.ts";
import { validateLevels, validateTiers } from "../../api/pricing/validateRules.ts";
import { testEnv } from "../support/env.ts";

const now = new Date("2026-12-07T00:00:00Z");
const product = (priceMinor: bigint, category = "game_card") => ({ id: 7n, priceMinor, category });
const coupon = (over: Partial<CouponRule>): CouponRule => ({
  code: "TESTCODE",
  kind: "percent",
  value: 10n,
  scope: "shop",
  scopeProductId: null,
  scopeCategory: null,
  minimumMinor: 0n,
  startsAt: null,
  endsAt: null,
  disabled: false,
  ...over,
});
const level = (discountPercent: number): MemberLevel => ({ name: "gold", spendMinMinor: 0n, discountPercent });
const tiers: PriceTier[] = [
  { quantityMin: 1, quantityMax: 4, unitPriceMinor: 1000n },
  { quantityMin: 5, quantityMax: 9, unitPriceMinor: 900n },
  { quantityMin: 10, quantityMax: null, unitPriceMinor: 800n },
];
const base = (over: Partial<PriceParameters>): PriceParameters => ({
  product: product(1000n),
  quantity: 1,
  level: null,
  tiers: [],
  coupon: null,
  now,
  ...over,
});

describe("price: hand-computed cases", () => {
  // [description, parameters, unit price, subtotal, discount, total] — each worked out on paper.
  const cases: [string, PriceParameters, bigint, bigint, bigint, bigint][] = [
    ["list price only, 3 x 10.00", base({ quantity: 3 }), 1000n, 3000n, 0n, 3000n],
    ["5% member on 9.99: 0.4995 off rounds up to 0.50", base({ product: product(999n), quantity: 2, level: level(5) }), 949n, 1898n, 0n, 1898n],
    ["0% level changes nothing", base({ level: level(0) }), 1000n, 1000n, 0n, 1000n],
    ["tier 5-9 at 9.00 beats a 5% member price of 9.50", base({ quantity: 5, level: level(5), tiers }), 900n, 4500n, 0n, 4500n],
    ["20% member price 8.00 beats tier 9.00 (no stacking)", base({ quantity: 5, level: level(20), tiers }), 800n, 4000n, 0n, 4000n],
    ["tier edge: 4 is still the first tier", base({ quantity: 4, tiers }), 1000n, 4000n, 0n, 4000n],
    ["open-ended last tier: 10 at 8.00", base({ quantity: 10, tiers }), 800n, 8000n, 0n, 8000n],
    ["15% of 9.99 = 1.4985 rounds to 1.50", base({ product: product(333n), quantity: 3, coupon: coupon({ value: 15n }) }), 333n, 999n, 150n, 849n],
    ["50% of 1.01 = 0.505 rounds half up to 0.51", base({ product: product(101n), coupon: coupon({ value: 50n }) }), 101n, 101n, 51n, 50n],
    ["50% of 0.05 = 0.025 rounds half up to 0.03", base({ product: product(5n), coupon: coupon({ value: 50n }) }), 5n, 5n, 3n, 2n],
    ["fixed 5.00 off a 3.00 order stops at 0", base({ product: product(300n), coupon: coupon({ kind: "fixed", value: 500n }) }), 300n, 300n, 300n, 0n],
    [
      "fixed 2.00 after tier and level",
      base({ quantity: 10, level: level(5), tiers, coupon: coupon({ kind: "fixed", value: 200n }) }),
      800n,
      8000n,
      200n,
      7800n,
    ],
    ["100% coupon makes it free", base({ quantity: 2, coupon: coupon({ value: 100n }) }), 1000n, 2000n, 2000n, 0n],
    ["product-scoped coupon on its product", base({ coupon: coupon({ scope: "product", scopeProductId: 7n }) }), 1000n, 1000n, 100n, 900n],
    ["category-scoped coupon on its category", base({ coupon: coupon({ scope: "category", scopeCategory: "game_card" }) }), 1000n, 1000n, 100n, 900n],
    ["minimum met exactly", base({ quantity: 2, coupon: coupon({ minimumMinor: 2000n }) }), 1000n, 2000n, 200n, 1800n],
  ];
  for (const [name, parameters, unit, subtotal, discount, total] of cases) {
    it(name, () => {
      const result = price(parameters);
      expect([result.unitPriceMinor, result.subtotalMinor, result.discountMinor, result.totalMinor]).to.deep.equal([unit, subtotal, discount, total]);
    });
  }

  const refusals: [string, PriceParameters, string][] = [
    ["minimum not met", base({ coupon: coupon({ minimumMinor: 1001n }) }), "coupon_not_applicable"],
    ["another product", base({ coupon: coupon({ scope: "product", scopeProductId: 8n }) }), "coupon_not_applicable"],
    ["another category", base({ coupon: coupon({ scope: "category", scopeCategory: "subscription" }) }), "coupon_not_applicable"],
    ["ended exactly now", base({ coupon: coupon({ endsAt: now }) }), "coupon_expired"],
    ["not started", base({ coupon: coupon({ startsAt: new Date(now.getTime() + 1) }) }), "coupon_not_usable"],
    ["disabled", base({ coupon: coupon({ disabled: true }) }), "coupon_not_usable"],
  ];
  for (const [name, parameters, code] of refusals) {
    it(`refuses a coupon: ${name}`, () => {
      expect(() => price(parameters))
        .to.throw()
        .with.property("code", code);
    });
  }

  it("the level is the highest threshold reached", () => {
    const levels = [
      { name: "silver", spendMinMinor: 10_000n, discountPercent: 3 },
      { name: "gold", spendMinMinor: 50_000n, discountPercent: 8 },
    ];
    expect(levelFor(levels, 9_999n)).to.equal(null);
    expect(levelFor(levels, 10_000n)?.name).to.equal("silver");
    expect(levelFor(levels, 50_000n)?.name).to.equal("gold");
  });
});

describe("price: rule tables", () => {
  it("accepts ascending tiers without overlap", () => expect(() => validateTiers(tiers)).not.to.throw());
  for (const [name, table] of [
    [
      "overlapping",
      [
        { quantityMin: 1, quantityMax: 5, unitPriceMinor: 10n },
        { quantityMin: 5, quantityMax: null, unitPriceMinor: 9n },
      ],
    ],
    [
      "descending",
      [
        { quantityMin: 10, quantityMax: null, unitPriceMinor: 9n },
        { quantityMin: 1, quantityMax: 9, unitPriceMinor: 10n },
      ],
    ],
    ["a range that descends", [{ quantityMin: 5, quantityMax: 2, unitPriceMinor: 10n }]],
    [
      "after an open-ended tier",
      [
        { quantityMin: 1, quantityMax: null, unitPriceMinor: 10n },
        { quantityMin: 20, quantityMax: null, unitPriceMinor: 9n },
      ],
    ],
    ["a negative price", [{ quantityMin: 1, quantityMax: null, unitPriceMinor: -1n }]],
  ] as [string, PriceTier[]][]) {
    it(`refuses ${name} tiers`, () =>
      expect(() => validateTiers(table))
        .to.throw()
        .with.property("code", "validation_failed"));
  }
  for (const percent of [-1, 101, 2.5]) {
    it(`refuses a level discount of ${percent}%`, () =>
      expect(() => validateLevels([{ name: "x", spendMinMinor: 0n, discountPercent: percent }]))
        .to.throw()
        .with.property("code", "validation_failed"));
  }
});

// The model: Numbers and Math.round (which rounds .5 up for positive values), written without
// looking at price.ts's bigint code.
function model(p: {
  price: number;
  quantity: number;
  levelPercent: number | null;
  tiers: PriceTier[];
  coupon: { kind: "fixed" | "percent"; value: number } | null;
}) {
  let unit = p.price;
  if (p.levelPercent !== null) unit = Math.min(unit, p.price - Math.round((p.price * p.levelPercent) / 100));
  for (const t of p.tiers)
    if (p.quantity >= t.quantityMin && (t.quantityMax === null || p.quantity <= t.quantityMax)) unit = Math.min(unit, Number(t.unitPriceMinor));
  const subtotal = unit * p.quantity;
  let discount = 0;
  if (p.coupon) discount = Math.min(subtotal, p.coupon.kind === "fixed" ? p.coupon.value : Math.round((subtotal * p.coupon.value) / 100));
  return { unit, subtotal, total: subtotal - discount };
}

describe("price: against a simple model", () => {
  it("agrees for random products, levels, tiers and coupons", () => {
    const tierTable = fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 4 }).chain((starts) => {
      const sorted = [...starts].sort((a, b) => a - b);
      return fc.tuple(...sorted.map(() => fc.integer({ min: 0, max: 100_000 }))).map((prices) =>
        sorted.map((start, i) => ({
          quantityMin: start,
          quantityMax: i + 1 < sorted.length ? (sorted[i + 1] as number) - 1 : null,
          unitPriceMinor: BigInt(prices[i] as number),
        })),
      );
    });
    const couponArb = fc.option(
      fc.oneof(
        fc.record({ kind: fc.constant("fixed" as const), value: fc.integer({ min: 0, max: 1_000_000 }) }),
        fc.record({ kind: fc.constant("percent" as const), value: fc.integer({ min: 1, max: 100 }) }),
      ),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 60 }),
        fc.option(fc.integer({ min: 0, max: 100 })),
        tierTable,
        couponArb,
        (listPrice, quantity, levelPercent, tierRows, couponSpec) => {
          validateTiers(tierRows);
          const result = price({
            product: product(BigInt(listPrice)),
            quantity,
            level: levelPercent === null ? null : level(levelPercent),
            tiers: tierRows,
            coupon: couponSpec ? coupon({ kind: couponSpec.kind, value: BigInt(couponSpec.value) }) : null,
            now,
          });
          const expected = model({ price: listPrice, quantity, levelPercent, tiers: tierRows, coupon: couponSpec });
          expect([Number(result.unitPriceMinor), Number(result.subtotalMinor), Number(result.totalMinor)]).to.deep.equal([
            expected.unit,
            expected.subtotal,
            expected.total,
          ]);
          expect(result.totalMinor >= 0n).to.equal(true);
        },
      ),
      { seed: 1616, numRuns: testEnv.thorough ? 5000 : 500 },
    );
  });
});
