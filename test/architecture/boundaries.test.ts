// The parts' import boundaries (docs/engineering.md): api/ and indexer/ never import each other,
// core/ imports neither, and the web app reaches only core's browser-safe modules. Every static
// import, re-export and dynamic import() of every source file is checked, as TypeScript itself
// reads them (ts.preProcessFile), so an import written in any form is seen.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The folders each part's sources may import from (besides packages). */
const allowed: Record<string, (target: string) => boolean> = {
  core: (target) => target.startsWith("core/"),
  // The API buys from other Keyledger instances through the SDK's client (docs/docking.md, "Across instances").
  api: (target) => target.startsWith("api/") || target.startsWith("core/") || target.startsWith("sdk/src/"),
  indexer: (target) => target.startsWith("indexer/") || target.startsWith("core/"),
  // The browser bundle must not pull in the database, configuration or logging.
  "web/src": (target) => target.startsWith("web/src/") || /^core\/(keys\/[^/]+|money\/[^/]+|roles|webRoutes|firstPaintText\/[^/]+)\.ts$/.test(target),
};

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, folder), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.(ts|tsx)$/.test(entry.name)) out.push(path.relative(root, path.join(entry.parentPath, entry.name)));
  }
  return out;
}

/** Every relative import of a file, resolved to a path from the repository root. */
function relativeImports(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(path.join(root, file), "utf8"), true, true);
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((name) => name.startsWith("."))
    .map((name) => path.relative(root, path.resolve(path.dirname(path.join(root, file)), name)));
}

function boundaryViolations(): string[] {
  const violations: string[] = [];
  for (const [part, mayImport] of Object.entries(allowed)) {
    for (const file of sourceFiles(part)) {
      for (const target of relativeImports(file)) {
        if (!mayImport(target)) violations.push(`${file} imports ${target}`);
      }
    }
  }
  return violations;
}

describe("architecture: import boundaries", () => {
  it("finds the imports of every form it is meant to check", () => {
    // The checker is only as good as its import reader: check it on a file whose imports are known.
    const imports = relativeImports("indexer/runPlatformIndexer.ts");
    expect(imports).to.include("core/config.ts");
    expect(imports).to.include("indexer/startIndexer.ts");
    expect(sourceFiles("api").length).to.be.greaterThan(50);
    expect(sourceFiles("indexer").length).to.be.greaterThan(20);
  });

  it("api/ and indexer/ never import each other, core/ imports neither, the web only core's browser-safe modules", () => {
    expect(boundaryViolations()).to.deep.equal([]);
  });
});
