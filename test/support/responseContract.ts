// A root hook for every suite: the API checks each answer it gives against the schema its route
// declares (api/http/responseCheck.ts, on under NODE_ENV=test); after the last test this fails
// the run when any answer broke its contract, naming the route, the status, the problem and the
// test that caused it, and prints how many distinct operations were checked.
import { writeFileSync } from "node:fs";
import type { Context } from "mocha";
import { responseCheckRecord, setResponseCheckContext } from "../../api/http/responseCheck.ts";

export const mochaHooks = {
  beforeEach(this: Context) {
    setResponseCheckContext(this.currentTest?.fullTitle());
  },
  afterAll() {
    const { checked, violations } = responseCheckRecord();
    if (checked.size === 0) return;
    const operations = new Set([...checked.keys()].map((key) => key.split(" ").slice(0, 2).join(" ")).filter((key) => !key.endsWith("(no route)")));
    const answers = [...checked.values()].reduce((sum, count) => sum + count, 0);
    process.stdout.write(
      `\nresponse contract: ${answers} answers checked, ${operations.size} operations, ${checked.size} operation-status pairs, ${violations.length} violations\n`,
    );
    // For a report of which operations the suites reach (RESPONSE_CHECK_REPORT=path).
    if (process.env.RESPONSE_CHECK_REPORT)
      writeFileSync(process.env.RESPONSE_CHECK_REPORT, `${JSON.stringify({ checked: Object.fromEntries(checked), violations }, null, 2)}\n`);
    if (violations.length > 0) {
      const lines = violations
        .slice(0, 50)
        .map(
          (violation) =>
            `  ${violation.method.toUpperCase()} ${violation.path} ${violation.status}: ${violation.problem} (during: ${violation.during ?? "set-up"})`,
        );
      throw new Error(`${violations.length} answer(s) did not match their declared schema:\n${lines.join("\n")}`);
    }
  },
};
