import { expect } from "chai";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderAbisModule } from "../../api/chain/contracts.ts";

describe("core/chain/abis.ts", () => {
  it("matches the compiled contracts (regenerate with node scripts/chain/generateAbis.ts)", () => {
    const committed = readFileSync(fileURLToPath(new URL("../../core/chain/abis.ts", import.meta.url)), "utf8");
    expect(committed === renderAbisModule(), "core/chain/abis.ts is stale: run `hardhat build && node scripts/chain/generateAbis.ts`").to.equal(true);
  });
});
