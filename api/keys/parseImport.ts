// Parses an import upload into its keys, each with the line it came from, and rejects the
// whole upload (writing nothing) if any line is unusable. Errors carry line numbers and
// counts, never a key's text: the error reaches the API response, logs and imports.error.
//
// text: one key per line; a trailing CR (Windows line ends) is stripped; surrounding
//       whitespace is trimmed; one final newline at the end of the file is not a line.
// csv:  RFC 4180 (quoted fields, "" escapes, commas and line breaks inside quotes); the first
//       record is a header naming a `key`, `code` or `secret` column (case-insensitive);
//       line numbers are the physical line where a record starts (the header is line 1).
import { AppError } from "../../core/errors.ts";
import { normaliseSecret } from "./dedupe.ts";

export type ImportFormat = "text" | "csv";

export type ParseImportLimits = { keysMax: number; keyLengthMax: number };

export type ParsedImport = {
  keys: string[];
  /** lines[i] is the 1-based line number keys[i] came from. */
  lines: number[];
};

export type KeyProblem = "empty" | "too_long" | "control_character" | "missing_field" | "malformed_csv";

/** Errors list at most this many line numbers (and the total), so a bad 100,000-line upload
 * does not produce a megabyte of error. */
export const problemLinesMax = 100;

const keyColumnNames = ["key", "code", "secret"];
// C0 controls and DEL: a tab or a line break inside a key is an upload mistake, never a code.
const controlCharacter = /[\u0000-\u001f\u007f]/;

type CsvRecord = { fields: string[]; line: number };

export function parseImport(content: string, format: ImportFormat, limits: ParseImportLimits): ParsedImport {
  const text = content.startsWith("\uFEFF") ? content.slice(1) : content;
  const candidates = format === "csv" ? csvKeyCandidates(text, limits) : textKeyCandidates(text, limits);
  if (candidates.length === 0) {
    throw new AppError("invalid_keys", "The upload contains no keys.", { details: { lines: [], total: 0, reasons: {} } });
  }
  const problems = new ProblemList();
  const keys: string[] = [];
  const lines: number[] = [];
  for (const { value, line } of candidates) {
    if (value === undefined) {
      problems.add(line, "missing_field");
      continue;
    }
    const key = value.trim();
    if (key === "") problems.add(line, "empty");
    else if (Buffer.byteLength(key, "utf8") > limits.keyLengthMax) problems.add(line, "too_long");
    else if (controlCharacter.test(key)) problems.add(line, "control_character");
    else {
      keys.push(key);
      lines.push(line);
    }
  }
  if (problems.total > 0) {
    throw new AppError(
      "invalid_keys",
      `${problems.total} line(s) cannot be imported (empty, longer than ${limits.keyLengthMax} bytes, a control character, or a missing field); see details.lines.`,
      { details: problems.details() },
    );
  }
  rejectDuplicates(keys, lines);
  return { keys, lines };
}

function textKeyCandidates(text: string, limits: ParseImportLimits): { value: string; line: number }[] {
  const rawLines = text.split("\n");
  if (rawLines.length > 1 && rawLines[rawLines.length - 1] === "") rawLines.pop();
  if (text === "") return [];
  rejectTooMany(rawLines.length, limits);
  return rawLines.map((raw, index) => ({ value: raw.endsWith("\r") ? raw.slice(0, -1) : raw, line: index + 1 }));
}

function csvKeyCandidates(text: string, limits: ParseImportLimits): { value: string | undefined; line: number }[] {
  const records = parseCsv(text, limits.keysMax + 1);
  const header = records[0];
  if (!header) return [];
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const column = keyColumnNames.map((name) => names.indexOf(name)).find((index) => index >= 0);
  if (column === undefined) {
    throw new AppError("invalid_keys", "The CSV header (line 1) needs a column named key, code or secret.", {
      details: { lines: [1], total: 1, reasons: { missing_field: 1 } },
    });
  }
  rejectTooMany(records.length - 1, limits);
  return records.slice(1).map((record) => ({ value: record.fields[column], line: record.line }));
}

/** RFC 4180 records. Stops reading after recordsMax records (the caller rejects the upload). */
function parseCsv(text: string, recordsMax: number): CsvRecord[] {
  const records: CsvRecord[] = [];
  let index = 0;
  let line = 1;
  while (index < text.length && records.length <= recordsMax) {
    const record: CsvRecord = { fields: [], line };
    for (;;) {
      let field = "";
      if (text[index] === '"') {
        const openedLine = line;
        index++;
        for (;;) {
          if (index >= text.length) throw malformedCsv(openedLine, "a quoted field is not closed");
          const char = text[index]!;
          if (char === '"') {
            if (text[index + 1] === '"') {
              field += '"';
              index += 2;
              continue;
            }
            index++;
            break;
          }
          if (char === "\n") line++;
          field += char;
          index++;
        }
        const next = text[index];
        if (next !== undefined && next !== "," && next !== "\n" && !(next === "\r" && text[index + 1] === "\n")) {
          throw malformedCsv(line, "a closing quote must end its field");
        }
      } else {
        const start = index;
        while (index < text.length && text[index] !== "," && text[index] !== "\n") {
          if (text[index] === '"') throw malformedCsv(line, "a quote inside an unquoted field");
          index++;
        }
        field = text.slice(start, index);
        if (field.endsWith("\r") && text[index] === "\n") field = field.slice(0, -1);
      }
      record.fields.push(field);
      if (text[index] === ",") {
        index++;
        continue;
      }
      if (text[index] === "\r") index++;
      if (text[index] === "\n") {
        index++;
        line++;
      }
      break;
    }
    records.push(record);
  }
  return records;
}

function malformedCsv(line: number, what: string): AppError {
  return new AppError("invalid_keys", `The CSV is malformed at line ${line}: ${what} (RFC 4180).`, {
    details: { lines: [line], total: 1, reasons: { malformed_csv: 1 } },
  });
}

function rejectTooMany(count: number, limits: ParseImportLimits): void {
  if (count > limits.keysMax) {
    throw new AppError("invalid_keys", `An import holds at most ${limits.keysMax} keys; split the upload.`, {
      details: { lines: [], total: 0, reasons: {}, keysMax: limits.keysMax },
    });
  }
}

function rejectDuplicates(keys: string[], lines: number[]): void {
  // Compared in memory only, in the same normalised form as the stored dedupe hashes.
  const firstLineOf = new Map<string, number>();
  const duplicateLines: number[] = [];
  const firstLines: number[] = [];
  let total = 0;
  keys.forEach((key, index) => {
    const normalised = normaliseSecret(key);
    const first = firstLineOf.get(normalised);
    if (first === undefined) {
      firstLineOf.set(normalised, lines[index]!);
      return;
    }
    total++;
    if (duplicateLines.length < problemLinesMax) {
      duplicateLines.push(lines[index]!);
      firstLines.push(first);
    }
  });
  if (total > 0) {
    throw new AppError("duplicate_keys", `${total} key(s) repeat an earlier line of the same upload; see details.lines.`, {
      details: { scope: "import", lines: duplicateLines, firstLines, total },
    });
  }
}

class ProblemList {
  lines: number[] = [];
  total = 0;
  reasons: Partial<{ [reason in KeyProblem]: number }> = {};

  add(line: number, reason: KeyProblem): void {
    this.total++;
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
    if (this.lines.length < problemLinesMax) this.lines.push(line);
  }

  details() {
    return { lines: this.lines, total: this.total, reasons: this.reasons };
  }
}
