// `npm run fuzz:http [-- --seed N --requests N]`: the OpenAPI-driven HTTP fuzzer against the whole
// platform (test/support/platform.ts: real PostgreSQL, Redis and a local chain; scripts/fuzz/
// fixtures.ts builds what it aims at, then the workers stop so that only requests change the
// database). Prints name=value lines: requests, 5xx answers, 4xx answers that changed the
// database, 4xx answers without code and message, response contract violations, requests/s and
// CPU ms per request (this process: the API and the fuzzer; PostgreSQL apart). Exits 1 on any
// failure, after printing each shrunk failing request. See docs/fuzzing.md.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startFuzzPlatform } from "./fuzzPlatform.ts";
import { runHttpFuzz } from "./runHttpFuzz.ts";

const { values } = parseArgs({ options: { seed: { type: "string", default: "20261207" }, requests: { type: "string", default: "20000" } } });
const seed = Number(values.seed);
const requests = Number(values.requests);
if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(requests) || requests < 1) {
  process.stderr.write("usage: npm run fuzz:http -- [--seed <integer>] [--requests <count, at least 1>]\n");
  process.exit(2);
}

const fuzz = await startFuzzPlatform();
let failed = true;
try {
  const result = await runHttpFuzz({
    seed,
    requests,
    baseUrl: fuzz.platform.url,
    db: fuzz.platform.database.db,
    fixtures: fuzz.fixtures,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const lines = {
    fuzz_seed: seed,
    fuzz_operations: result.operations,
    fuzz_requests: result.requests,
    fuzz_answers_2xx: result.answers2xx,
    fuzz_answers_4xx: result.answers4xx,
    fuzz_operations_with_2xx: result.operationsWith2xx.length,
    fuzz_server_errors: result.serverErrors,
    fuzz_state_changes_on_4xx: result.stateChangesOn4xx,
    fuzz_4xx_without_code: result.badErrorBodies,
    fuzz_contract_violations: result.contractViolations,
    fuzz_seconds: result.seconds.toFixed(1),
    fuzz_requests_per_second: (result.requests / result.seconds).toFixed(1),
    fuzz_cpu_ms_per_request: result.cpuMsPerRequest.toFixed(2),
    fuzz_change_check_ms_per_request: result.changeCheckMsPerRequest.toFixed(2),
  };
  const without2xx = (await import("./openapiArbitraries.ts"))
    .operationsOf(JSON.parse(readFileSync(new URL("../../api/openapi.json", import.meta.url), "utf8")))
    .map((operation) => `${operation.method} ${operation.pathTemplate}`)
    .filter((name) => !result.operationsWith2xx.includes(name));
  process.stdout.write(`operations never answered 2xx: ${without2xx.join(", ")}\n`);
  for (const [name, value] of Object.entries(lines)) process.stdout.write(`${name}=${value}\n`);
  failed = result.failures.length > 0;
} finally {
  await fuzz.stop();
}
process.exit(failed ? 1 : 0);
