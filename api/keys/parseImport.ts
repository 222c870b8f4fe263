// Parses an import upload into its keys, each with the line it came from, and rejects the
// whole upload (writing nothing) if any line is unusable. Every problem of the upload is found
// before it is rejected (unusable lines, lines repeating an earlier one, and, checked by the
// caller against the store, keys already in the shop), so one answer lists them all, each line
// with its reasons. Errors carry line numbers and counts, never a key's text: the error reaches
// the API response, logs and imports.error.
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

export type KeyProblem = "empty" | "too_long" | "control_character" | "missing_field" | "malformed_csv" | "duplicate_in_upload" | "already_in_shop";

/** Usable keys (each once, with its line) and the problems of the other lines. */
export type InspectedImport = ParsedImport & { problems: ImportProblems };

/** Errors list at most this many line numbers (and the total), so a bad 100,000-line upload
 * does not produce a megabyte of error. */
export const problemLinesMax = 100;

const keyColumnNames = ["key", "code", "secret"];
// C0 controls and DEL: a tab or a line break inside a key is an upload mistake, never a code.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse these; \p{Cc} would also refuse U+0080-U+009F
const controlCharacter = /[\u0000-\u001f\u007f]/;

type CsvRecord = { fields: string[]; line: number };

/** The upload's keys; throws one AppError listing every problem line if any line is unusable. */
export function parseImport(content: string, format: ImportFormat, limits: ParseImportLimits): ParsedImport {
  const { keys, lines, problems } = inspectImport(content, format, limits);
  problems.throwIfAny();
  return { keys, lines };
}

/**
 * The upload's usable keys and every problem of its lines, without throwing for those, so a
 * caller can add what only the store knows (keys already in the shop) before answering once.
 * Throws only when the upload as a whole cannot be read (no keys, too many, malformed CSV, no
 * key column): then there are no lines to judge.
 */
export function inspectImport(content: string, format: ImportFormat, limits: ParseImportLimits): InspectedImport {
  const text = content.startsWith("\uFEFF") ? content.slice(1) : content;
  const candidates = format === "csv" ? csvKeyCandidates(text, limits) : textKeyCandidates(text, limits);
  if (candidates.length === 0) {
    throw new AppError("invalid_keys", "The upload contains no keys.", { details: { lines: [], total: 0, reasons: {}, problems: [] } });
  }
  const problems = new ImportProblems(limits);
  // Compared in memory only, in the same normalised form as the stored dedupe hashes.
  const firstLineOf = new Map<string, number>();
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
      const normalised = normaliseSecret(key);
      const firstLine = firstLineOf.get(normalised);
      if (firstLine !== undefined) {
        problems.add(line, "duplicate_in_upload", firstLine);
        continue;
      }
      firstLineOf.set(normalised, line);
      keys.push(key);
      lines.push(line);
    }
  }
  return { keys, lines, problems };
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
      details: { lines: [1], total: 1, reasons: { missing_field: 1 }, problems: [{ line: 1, reasons: ["missing_field"] }] },
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
    details: { lines: [line], total: 1, reasons: { malformed_csv: 1 }, problems: [{ line, reasons: ["malformed_csv"] }] },
  });
}

function rejectTooMany(count: number, limits: ParseImportLimits): void {
  if (count > limits.keysMax) {
    throw new AppError("invalid_keys", `An import holds at most ${limits.keysMax} keys; split the upload.`, {
      details: { lines: [], total: 0, reasons: {}, problems: [], keysMax: limits.keysMax },
    });
  }
}

type LineProblem = { line: number; reasons: KeyProblem[]; firstLine?: number };

const reasonWords: Record<KeyProblem, (limits: ParseImportLimits | undefined) => string> = {
  empty: () => "empty",
  too_long: (limits) => (limits ? `longer than ${limits.keyLengthMax} bytes` : "too long"),
  control_character: () => "with a control character",
  missing_field: () => "missing the key field",
  malformed_csv: () => "malformed CSV",
  duplicate_in_upload: () => "repeating an earlier line",
  already_in_shop: () => "already in this shop's stock",
};

/** Every problem line of one upload, answered at once as one AppError. */
export class ImportProblems {
  readonly #byLine = new Map<number, LineProblem>();
  readonly #reasons: Partial<Record<KeyProblem, number>> = {};
  readonly #limits: ParseImportLimits | undefined;

  /** limits: those the upload was read with, named in the message (none for store-only checks). */
  constructor(limits?: ParseImportLimits) {
    this.#limits = limits;
  }

  add(line: number, reason: KeyProblem, firstLine?: number): void {
    const problem = this.#byLine.get(line) ?? { line, reasons: [] };
    problem.reasons.push(reason);
    if (firstLine !== undefined) problem.firstLine = firstLine;
    this.#byLine.set(line, problem);
    this.#reasons[reason] = (this.#reasons[reason] ?? 0) + 1;
  }

  get total(): number {
    return this.#byLine.size;
  }

  /**
   * duplicate_keys when every problem is a repeated key (the upload's keys are fine, some are
   * already there), invalid_keys when any line is unusable. Details list the first
   * problemLinesMax lines, each with its reasons (and the line it repeats), and the totals.
   */
  toError(): AppError | undefined {
    if (this.total === 0) return undefined;
    const listed = [...this.#byLine.values()].sort((a, b) => a.line - b.line).slice(0, problemLinesMax);
    const onlyDuplicates = Object.keys(this.#reasons).every((reason) => reason === "duplicate_in_upload" || reason === "already_in_shop");
    const counts = (Object.entries(this.#reasons) as [KeyProblem, number][]).map(([reason, count]) => `${count} ${reasonWords[reason](this.#limits)}`);
    return new AppError(
      onlyDuplicates ? "duplicate_keys" : "invalid_keys",
      `${this.total} line(s) cannot be imported (${counts.join(", ")}); see details.problems for each line and its reasons.`,
      { details: { lines: listed.map((problem) => problem.line), total: this.total, reasons: { ...this.#reasons }, problems: listed } },
    );
  }

  throwIfAny(): void {
    const error = this.toError();
    if (error) throw error;
  }
}
