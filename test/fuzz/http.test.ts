// A smaller seeded run of the OpenAPI-driven HTTP fuzzer (scripts/fuzz/, docs/fuzzing.md) in
// every test run: 1,500 requests spread over every operation of api/openapi.json against the
// whole platform. Never a 5xx, every 4xx with a code and a message and no change to the
// database, every answer matching its declared schema; a failure names the shrunk request.
import { expect } from "chai";
import { startFuzzPlatform, type FuzzPlatform } from "../../scripts/fuzz/fuzzPlatform.ts";
import { runHttpFuzz } from "../../scripts/fuzz/runHttpFuzz.ts";

describe("HTTP fuzzing from the OpenAPI document", function () {
  this.timeout(600_000);
  let fuzz: FuzzPlatform;

  before(async () => {
    fuzz = await startFuzzPlatform();
  });

  after(async () => {
    await fuzz?.stop();
  });

  it("answers 1,500 generated requests over every operation without a 5xx, and every 4xx changes nothing", async () => {
    const result = await runHttpFuzz({ seed: 14, requests: 1_500, baseUrl: fuzz.platform.url, db: fuzz.platform.database.db, fixtures: fuzz.fixtures });
    process.stdout.write(
      `      fuzz_requests=${result.requests} fuzz_server_errors=${result.serverErrors} fuzz_state_changes_on_4xx=${result.stateChangesOn4xx} ` +
        `fuzz_requests_per_second=${(result.requests / result.seconds).toFixed(1)} fuzz_cpu_ms_per_request=${result.cpuMsPerRequest.toFixed(2)}\n`,
    );
    const report = result.failures
      .map((failure) => `${failure.operation}: ${failure.kind} (${failure.status}) ${failure.detail}\n  ${failure.shrunk}`)
      .join("\n");
    expect(result.failures, report).to.deep.equal([]);
    expect(result.operations).to.be.greaterThan(70);
    expect(result.requests).to.be.at.least(1_500);
    expect([result.serverErrors, result.stateChangesOn4xx, result.badErrorBodies, result.contractViolations]).to.deep.equal([0, 0, 0, 0]);
  });
});
