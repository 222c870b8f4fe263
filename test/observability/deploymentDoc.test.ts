// docs/deployment.md lists every variable core/config.ts reads, and ops/grafana/keyledger.json
// queries only metrics the processes export. Both are read as text, independently of the code.
import { expect } from "chai";
import { readFileSync } from "node:fs";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("docs/deployment.md", () => {
  it("lists every variable of core/config.ts", () => {
    const config = read("core/config.ts");
    const schema = config.slice(config.indexOf("const envSchema = z.object({"), config.indexOf("\n});", config.indexOf("const envSchema")));
    const variables = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1]!);
    expect(variables.length).to.be.greaterThan(100);
    const documented = new Set([...read("docs/deployment.md").matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((match) => match[1]!));
    expect(variables.filter((name) => !documented.has(name))).to.deep.equal([]);
  });
});
