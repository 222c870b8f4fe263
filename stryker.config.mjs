// Mutation testing of the code that signs, checks access or moves money (issue 23):
// `npm run mutate` runs StrykerJS over the modules below with the fast tests of pure logic
// listed below, then prints mutation_score_<module>= per module and mutation_score_critical=
// (scripts/mutationScores.ts). See docs/testing.md.
//
// This file is the one list of critical modules and of the tests that guard them: when a
// module moves, change its path here only.

/**
 * The critical modules. Parts that need a database or a chain are marked in the code with
 * `// Stryker disable all: <reason>` (Stryker then reports them as ignored, not as survivors).
 */
const criticalModules = [
  // EPay signing, verification and money parsing.
  "api/payments/epay.ts",
  // Who may see an order (and whether codes are shown), and guests' order tokens.
  "api/services/orders/orderViewer.ts",
  "api/services/orders/orderAccess.ts",
  // Authentication and sessions: where the token is read, the role gate, the stored hash.
  "api/http/auth.ts",
  "api/services/accounts/sessions.ts",
  // API keys: the secret's format and keyed hash, the allow-list (docs/api-keys.md).
  "api/services/apiKeys/apiKeySecret.ts",
  "api/services/apiKeys/allowList.ts",
  // The ledger: the journal's validation, the canonical encodings and the hash chain.
  "api/ledger/validateJournalInput.ts",
  "api/ledger/canonical.ts",
  // The ledger's money flows: who collected an order payment, the sale's and the unmatched
  // payment's journal entries (the rest of the module talks to the database and is disabled).
  "api/ledger/flows.ts",
  // A docked sale's legs: the supplier's share moved from the reseller's payable (docs/docking.md).
  "api/ledger/dockingLegs.ts",
  // Keys: import parsing, envelope encryption, leaves, the batch tree, the certificate verifier.
  "api/keys/parseImport.ts",
  "api/keys/envelope.ts",
  "core/keys/leaf.ts",
  "core/keys/batchMerkle.ts",
  "core/keys/verifyCertificate.ts",
  // Ticket attachments: the type check that keeps HTML out of what is served (docs/support.md).
  "api/services/tickets/sniffAttachment.ts",
];

/**
 * Tests of pure logic only: no database, chain, Redis or HTTP server, and no state kept in a
 * module between tests, so every mutant run sees the same world (see docs/testing.md).
 */
const pureTests = [
  "test/payments/epay.test.ts",
  "test/api/epayGateway.test.ts",
  "test/orders/orderViewer.test.ts",
  "test/orders/orderAccess.test.ts",
  "test/api/auth.test.ts",
  "test/apikeys/apiKeyRules.test.ts",
  "test/ledger/validateJournalInput.test.ts",
  "test/ledger/canonical.test.ts",
  "test/ledger/paymentEntries.test.ts",
  "test/ledger/dockingLegs.test.ts",
  "test/keys/parseImport.test.ts",
  "test/keys/envelope.test.ts",
  "test/keys/envelopeVectors.test.ts",
  "test/keys/leaf.test.ts",
  "test/keys/packedLeafIndexes.test.ts",
  "test/keys/batchMerkle.test.ts",
  "test/keys/verifyCertificateOffline.test.ts",
  "test/tickets/sniffAttachment.test.ts",
  "test/tickets/attachmentEnvelope.test.ts",
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
