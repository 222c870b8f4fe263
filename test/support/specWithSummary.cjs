// mocha's spec reporter plus one plain closing line, "N passed, N failed, N skipped", which
// CI reads to know how many tests ran. CommonJS because mocha loads reporters with require.
const Mocha = require("mocha");

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once("end", () => {
      const stats = this.stats;
      process.stdout.write(`\n${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped\n`);
    });
  }
}

module.exports = SpecWithSummary;
