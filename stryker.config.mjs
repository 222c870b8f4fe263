// Mutation testing of the code that signs, checks access or moves money (issue 23):
// `npm run mutate` runs StrykerJS over the modules below with the fast tests of pure logic
// listed below, then prints mutation_score_<module>= per module and mutation_score_critical=
// (scripts/mutationScores.ts). See docs/testing.md.
//
// This file is the one list of critical modules and of the tests that guard them: when a
// module moves, change its path here only.

/** The critical modules. `path:from-to` limits a module to the lines of its pure logic. */
const criticalModules = [
  "api/payments/epay.ts",
];

/**
 * Tests of pure logic only: no database, chain, Redis or HTTP server, and no state kept in a
 * module between tests, so every mutant run sees the same world (see docs/testing.md).
 */
const pureTests = [
  "test/payments/epay.test.ts",
];

export default {
  mutate: criticalModules,
  testRunner: "mocha",
  plugins: ["@stryker-mutator/mocha-runner"],
  mochaOptions: { config: ".mocharc.mutation.json", spec: pureTests },
  // Only the tests that cover a mutant run for it.
  coverageAnalysis: "perTest",
  // No TypeScript checker: Node strips types and runs the mutants as they are; a mutant that
  // would not type-check is still a change the tests must notice.
  checkers: [],
  concurrency: 2,
  timeoutMS: 10000,
  reporters: ["json", "clear-text", "progress-append-only"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: ".stryker-tmp",
  // What the sandbox does not need: build output, caches, data, the web app.
  ignorePatterns: ["artifacts", "cache", "types", "web", ".data", "test-artifacts", "reports", "docs", ".stryker-tmp"],
  cleanTempDir: "always",
};
