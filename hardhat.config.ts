// Hardhat 3 compiles offline: the compiler is the `solc` npm package's soljson.js,
// so no compiler download ever happens (this machine and CI reach only the npm registry).
// Hardhat does not check that `version` matches the file at `path`, so the version is
// read from the package itself and `solc` is pinned exactly in package.json.
import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
const solcVersion: string = require("solc/package.json").version;

export default defineConfig({
  solidity: {
    version: solcVersion,
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // OpenZeppelin Contracts 5.7 uses `mcopy`, which needs cancun or later.
      evmVersion: "cancun",
    },
  },
  paths: {
    sources: "./contracts",
    artifacts: "./artifacts",
    cache: "./cache",
    // Solidity property tests (fuzz and invariants) live apart from the mocha suites in test/.
    tests: { solidity: "./test/solidity" },
  },
  // `hardhat test solidity` (run by npm test): fuzz and invariant runs sized so the whole run takes
  // well under a minute on this project's 2-core machines; a fixed seed keeps failures
  // reproducible (docs/testing.md, "Contract fuzzing"). A test can ask for more with an inline
  // `/// hardhat-config: fuzz.runs = N` comment.
  test: {
    solidity: {
      fuzz: { runs: 1000, seed: "0x4b65796c6564676572" },
      invariant: { runs: 128, depth: 40 },
    },
  },
  networks: {
    localhost: { type: "http", url: "http://127.0.0.1:8545" },
    // The network `hardhat node` serves (npm start's local chain, the suites' chains). It mines a
    // block per transaction and one a second; without this each block had to be a second after
    // the last, so bursts of transactions pushed block timestamps ahead of the wall clock for
    // good (23 s after five minutes of the demo) and timelines put events out of order.
    node: { type: "edr-simulated", allowBlocksWithSameTimestamp: true },
  },
});
