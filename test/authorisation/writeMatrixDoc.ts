// Rewrites the matrix table in docs/authorisation.md: node test/authorisation/writeMatrixDoc.ts
import { readFileSync, writeFileSync } from "node:fs";
import { matrixDocPath, matrixDocText } from "./matrixDoc.ts";

writeFileSync(matrixDocPath, matrixDocText(readFileSync(matrixDocPath, "utf8")));
