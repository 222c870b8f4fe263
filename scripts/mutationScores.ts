// Prints the mutation scores of a StrykerJS JSON report (mutation-testing-report-schema) as
// name=value lines: mutation_score_<module>= per mutated file (named after the file, without
// its extension) and mutation_score_critical= over all of them, then the survivors, so a
// reader sees at once what no test noticed. Exits non-zero below the thresholds of issue 23
// (critical >= 90, every module >= 80).
//
// Score = detected / (detected + undetected), detected = killed + timeout, undetected =
// survived + no coverage; mutants Stryker ignored (`// Stryker disable` with a reason) and
// ones that did not compile or errored at run time are left out, as Stryker's own score does.
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";

type Mutant = {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
};
type Report = { files: Record<string, { mutants: Mutant[] }> };

const criticalScoreMin = 90;
const moduleScoreMin = 80;

const reportPath = process.argv[2] ?? "reports/mutation/mutation.json";
const report = JSON.parse(readFileSync(reportPath, "utf8")) as Report;

const detectedStatuses = new Set(["Killed", "Timeout"]);
const undetectedStatuses = new Set(["Survived", "NoCoverage"]);

function score(detected: number, undetected: number): number {
  const total = detected + undetected;
  return total === 0 ? 100 : (100 * detected) / total;
}

let detectedAll = 0;
let undetectedAll = 0;
const failures: string[] = [];
const survivors: string[] = [];
for (const [path, file] of Object.entries(report.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
  const detected = file.mutants.filter((mutant) => detectedStatuses.has(mutant.status)).length;
  const undetected = file.mutants.filter((mutant) => undetectedStatuses.has(mutant.status));
  detectedAll += detected;
  undetectedAll += undetected.length;
  const moduleScore = score(detected, undetected.length);
  const name = basename(path, extname(path));
  console.log(`mutation_score_${name}=${moduleScore.toFixed(2)}`);
  if (moduleScore < moduleScoreMin) failures.push(`${name} ${moduleScore.toFixed(2)} < ${moduleScoreMin}`);
  for (const mutant of undetected) {
    const where = `${path}:${mutant.location.start.line}:${mutant.location.start.column}`;
    survivors.push(`${mutant.status.toLowerCase()} ${where} ${mutant.mutatorName}: ${(mutant.replacement ?? "").replace(/\s+/g, " ").slice(0, 100)}`);
  }
}
const criticalScore = score(detectedAll, undetectedAll);
if (criticalScore < criticalScoreMin) failures.push(`critical ${criticalScore.toFixed(2)} < ${criticalScoreMin}`);
for (const survivor of survivors) console.log(`undetected ${survivor}`);
console.log(`mutation_mutants_detected=${detectedAll}`);
console.log(`mutation_mutants_undetected=${undetectedAll}`);
console.log(`mutation_score_critical=${criticalScore.toFixed(2)}`);
if (failures.length > 0) {
  console.error(`mutation scores below the bar: ${failures.join("; ")}`);
  process.exitCode = 1;
}
