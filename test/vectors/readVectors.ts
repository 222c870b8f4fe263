// Reads a known-answer vector file of this folder. The vectors are produced by the generator
// committed beside each file (another implementation than the module under test), never by
// the code they check.
import { readFileSync } from "node:fs";

export function readVectors<T>(fileName: string): T {
  return JSON.parse(readFileSync(new URL(fileName, import.meta.url), "utf8")) as T;
}
