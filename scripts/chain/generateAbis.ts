// Writes core/chain/abis.ts: every platform contract's ABI as a `const` literal, so viem infers
// function arguments, return values and event arguments at compile time. The file is committed;
// test/contracts/abis.test.ts fails when it no longer matches the compiled artifacts.
//   node scripts/chain/generateAbis.ts           (after `hardhat build`)
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderAbisModule } from "../../api/chain/contracts.ts";

const target = fileURLToPath(new URL("../../core/chain/abis.ts", import.meta.url));
writeFileSync(target, renderAbisModule());
console.log(`wrote ${target}`);
