import { expect } from "chai";
import { AppError } from "../../core/errors.ts";
import { ImportProblems, parseImport, type ImportFormat } from "../../api/keys/parseImport.ts";

const limits = { keysMax: 1000, keyLengthMax: 16 };

function parseError(content: string, format: ImportFormat, custom = limits): AppError {
  try {
    parseImport(content, format, custom);
  } catch (error) {
    expect(error).to.be.instanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected the upload to be rejected");
}

describe("keys: parseImport", () => {
  it("reads text: one key per line, CR stripped, whitespace trimmed, a final newline ignored", () => {
    const parsed = parseImport("\uFEFFAAAA-1\r\n  BBBB-2  \r\n\tCCCC-3\n", "text", limits);
    expect(parsed).to.deep.equal({ keys: ["AAAA-1", "BBBB-2", "CCCC-3"], lines: [1, 2, 3] });
  });

  it("rejects empty, overlong and control-character lines with their line numbers, never their text", () => {
    const error = parseError("GOOD-1\n\n   \nTHIS-KEY-IS-MUCH-TOO-LONG\nBAD\u0007BELL\nGOOD-2\n", "text");
    expect(error.code).to.equal("invalid_keys");
    expect(error.status).to.equal(422);
    expect(error.details).to.deep.equal({
      lines: [2, 3, 4, 5],
      total: 4,
      reasons: { empty: 2, too_long: 1, control_character: 1 },
      problems: [
        { line: 2, reasons: ["empty"] },
        { line: 3, reasons: ["empty"] },
        { line: 4, reasons: ["too_long"] },
        { line: 5, reasons: ["control_character"] },
      ],
    });
    expect(error.message).to.equal(
      "4 line(s) cannot be imported (2 empty, 1 longer than 16 bytes, 1 with a control character); see details.problems for each line and its reasons.",
    );
    expect(JSON.stringify(error.details) + error.message).not.to.match(/TOO-LONG|BELL|GOOD/);
  });

  it("lists at most 100 line numbers and the total", () => {
    const error = parseError(`${"\n".repeat(250)}KEY\n`, "text");
    const details = error.details as { lines: number[]; total: number; problems: unknown[] };
    expect(details.total).to.equal(250);
    expect(details.lines).to.have.length(100);
    expect(details.problems).to.have.length(100);
    expect(details.lines[0]).to.equal(1);
    expect(details.lines[99]).to.equal(100);
  });

  it("rejects duplicates within the upload with both line numbers", () => {
    const error = parseError("A-1\nB-2\nA-1\nC-3\n B-2\nA-1\n", "text");
    expect(error.code).to.equal("duplicate_keys");
    expect(error.details).to.deep.equal({
      lines: [3, 5, 6],
      total: 3,
      reasons: { duplicate_in_upload: 3 },
      problems: [
        { line: 3, reasons: ["duplicate_in_upload"], firstLine: 1 },
        { line: 5, reasons: ["duplicate_in_upload"], firstLine: 2 },
        { line: 6, reasons: ["duplicate_in_upload"], firstLine: 1 },
      ],
    });
    expect(error.message).not.to.match(/A-1|B-2/);
  });

  it("rejects more keys than the limit and an upload with no keys", () => {
    expect(parseError("A\nB\nC\n", "text", { keysMax: 2, keyLengthMax: 16 }).message).to.match(/at most 2 keys/);
    expect(parseError("", "text").message).to.match(/no keys/);
    expect(parseError("code\n", "csv").message).to.match(/no keys/);
  });

  it("reads CSV with a key, code or secret column and RFC 4180 quoting", () => {
    const csv = 'sku,Code,note\r\nA,"X-1",plain\r\nB,"X,2","say ""hi""\nsecond line"\r\nC,X-3,\n';
    expect(parseImport(csv, "csv", limits)).to.deep.equal({ keys: ["X-1", "X,2", "X-3"], lines: [2, 3, 5] });
    expect(parseImport('secret\n"Q""1"\n', "csv", limits).keys).to.deep.equal(['Q"1']);
  });

  it("rejects bad CSV with line numbers: no key column, missing field, empty key, bad quoting", () => {
    expect(parseError("sku,note\nA,B\n", "csv").details).to.deep.include({ lines: [1], total: 1, reasons: { missing_field: 1 } });
    const error = parseError('note,key\nx,K-1\nonly\ny,""\nz,"K\n2"\n', "csv");
    expect(error.code).to.equal("invalid_keys");
    expect(error.details).to.deep.include({ lines: [3, 4, 5], total: 3, reasons: { missing_field: 1, empty: 1, control_character: 1 } });
    expect(parseError('key\n"K-1\nK-2\n', "csv").details).to.deep.equal({
      lines: [2],
      total: 1,
      reasons: { malformed_csv: 1 },
      problems: [{ line: 2, reasons: ["malformed_csv"] }],
    });
    expect(parseError('key\nK"1\n', "csv").message).to.match(/line 2/);
    expect(parseError('key\n"K-1"x\n', "csv").message).to.match(/line 2/);
  });

  it("rejects CSV duplicates with the lines where their records start", () => {
    const error = parseError('key,n\n"K-1",1\n"K-2","two\nlines"\nK-1,3\n', "csv");
    expect(error.details).to.deep.include({ lines: [5], problems: [{ line: 5, reasons: ["duplicate_in_upload"], firstLine: 2 }] });
  });

  it("answers every problem of an upload at once: unusable lines and repeated keys, each line with its reasons", () => {
    const error = parseError("A-1\n\nB-2\nA-1\nTHIS-KEY-IS-MUCH-TOO-LONG\nB-2\n", "text");
    expect(error.code).to.equal("invalid_keys");
    expect(error.details).to.deep.equal({
      lines: [2, 4, 5, 6],
      total: 4,
      reasons: { empty: 1, duplicate_in_upload: 2, too_long: 1 },
      problems: [
        { line: 2, reasons: ["empty"] },
        { line: 4, reasons: ["duplicate_in_upload"], firstLine: 1 },
        { line: 5, reasons: ["too_long"] },
        { line: 6, reasons: ["duplicate_in_upload"], firstLine: 3 },
      ],
    });
    expect(error.message).to.equal(
      "4 line(s) cannot be imported (1 empty, 2 repeating an earlier line, 1 longer than 16 bytes); see details.problems for each line and its reasons.",
    );
  });

  describe("at keysMax and one over", () => {
    const keysMax = 5;
    const small = { keysMax, keyLengthMax: 16 };
    const keys = (count: number) => Array.from({ length: count }, (_, index) => `KEY-${index + 1}`);
    const tooMany = { lines: [], total: 0, reasons: {}, problems: [], keysMax };

    it("reads a text upload of exactly keysMax keys, with or without a final newline, the last key included", () => {
      for (const content of [keys(keysMax).join("\n"), `${keys(keysMax).join("\n")}\n`, `${keys(keysMax).join("\r\n")}\r\n`]) {
        expect(parseImport(content, "text", small)).to.deep.equal({ keys: keys(keysMax), lines: [1, 2, 3, 4, 5] });
      }
    });

    it("refuses a text upload of keysMax + 1 keys whole, instead of cutting it short", () => {
      for (const content of [keys(keysMax + 1).join("\n"), `${keys(keysMax + 1).join("\n")}\n`]) {
        const error = parseError(content, "text", small);
        expect(error.code).to.equal("invalid_keys");
        expect(error.message).to.equal("An import holds at most 5 keys; split the upload.");
        expect(error.details).to.deep.equal(tooMany);
      }
      // A blank line past the limit is a line too: refused as too many, not read as 5 keys.
      expect(parseError(`${keys(keysMax).join("\n")}\n\n`, "text", small).details).to.deep.equal(tooMany);
    });

    it("reads a CSV of exactly keysMax records after its header, the last key included", () => {
      for (const content of [
        `key\n${keys(keysMax).join("\n")}`,
        `key\r\n${keys(keysMax).join("\r\n")}\r\n`,
        `n,code\n${keys(keysMax)
          .map((key, index) => `${index},"${key}"`)
          .join("\n")}\n`,
      ]) {
        expect(parseImport(content, "csv", small)).to.deep.equal({ keys: keys(keysMax), lines: [2, 3, 4, 5, 6] });
      }
    });

    it("refuses a CSV of keysMax + 1 records whole, instead of cutting it short", () => {
      for (const content of [`key\n${keys(keysMax + 1).join("\n")}`, `key\n${keys(keysMax + 1).join("\n")}\n`, `key\n${keys(keysMax + 5).join("\n")}\n`]) {
        const error = parseError(content, "csv", small);
        expect(error.message).to.equal("An import holds at most 5 keys; split the upload.");
        expect(error.details).to.deep.equal(tooMany);
      }
      // Even when the records past the limit are malformed: the limit is what the merchant must fix.
      expect(parseError(`key\n${keys(keysMax + 1).join("\n")}\n"unclosed\n`, "csv", small).details).to.deep.equal(tooMany);
    });
  });

  describe("edges the mutation run found untested", () => {
    it("says exactly what is wrong, with the code the API answers", () => {
      const none = parseError("", "csv");
      expect([none.code, none.message]).to.deep.equal(["invalid_keys", "The upload contains no keys."]);
      expect(none.details).to.deep.equal({ lines: [], total: 0, reasons: {}, problems: [] });
      expect(parseError("", "text").details).to.deep.equal({ lines: [], total: 0, reasons: {}, problems: [] });
      expect(parseError("A\n\n", "text").message).to.equal("1 line(s) cannot be imported (1 empty); see details.problems for each line and its reasons.");
      const noColumn = parseError("sku\nA\n", "csv");
      expect([noColumn.code, noColumn.message]).to.deep.equal(["invalid_keys", "The CSV header (line 1) needs a column named key, code or secret."]);
      const unclosed = parseError('key\n"K-1\nK-2\n', "csv");
      expect([unclosed.code, unclosed.message]).to.deep.equal(["invalid_keys", "The CSV is malformed at line 2: a quoted field is not closed (RFC 4180)."]);
      expect(parseError('key\n"K-1"x\n', "csv").message).to.equal("The CSV is malformed at line 2: a closing quote must end its field (RFC 4180).");
      expect(parseError('key\nK"1\n', "csv").message).to.equal("The CSV is malformed at line 2: a quote inside an unquoted field (RFC 4180).");
      expect(parseError("A\nB\nA\n", "text").message).to.equal(
        "1 line(s) cannot be imported (1 repeating an earlier line); see details.problems for each line and its reasons.",
      );
    });

    it("measures the key length in UTF-8 bytes, keyLengthMax included", () => {
      expect(parseImport(`${"K".repeat(16)}\n${"密".repeat(5)}X`, "text", limits).keys).to.deep.equal(["K".repeat(16), `${"密".repeat(5)}X`]);
      expect(parseError(`${"K".repeat(17)}\n`, "text").details).to.deep.equal({
        lines: [1],
        total: 1,
        reasons: { too_long: 1 },
        problems: [{ line: 1, reasons: ["too_long"] }],
      });
      expect(parseError(`OK\n${"密".repeat(6)}\n`, "text").details).to.deep.equal({
        lines: [2],
        total: 1,
        reasons: { too_long: 1 },
        problems: [{ line: 2, reasons: ["too_long"] }],
      });
    });

    it("drops a byte-order mark before a quoted CSV header, and trims header names", () => {
      expect(parseImport('\uFEFF"key"\nK-1\n', "csv", limits).keys).to.deep.equal(["K-1"]);
      expect(parseImport(" n , Key \n1,K-1\n", "csv", limits).keys).to.deep.equal(["K-1"]);
    });

    it("reads a quoted last field at the end of the file and refuses a lone CR after a closing quote", () => {
      expect(parseImport('key\n"K-1"', "csv", limits)).to.deep.equal({ keys: ["K-1"], lines: [2] });
      expect(parseImport('key\r\n"K-1"\r\n"K-2"', "csv", limits)).to.deep.equal({ keys: ["K-1", "K-2"], lines: [2, 3] });
      expect(parseError('key\n"K-1"\rx\n', "csv").details).to.deep.equal({
        lines: [2],
        total: 1,
        reasons: { malformed_csv: 1 },
        problems: [{ line: 2, reasons: ["malformed_csv"] }],
      });
    });

    it("lists at most 100 duplicate lines, with the total", () => {
      const error = parseError(`${Array.from({ length: 102 }, () => "SAME").join("\n")}\n`, "text");
      const details = error.details as { lines: number[]; problems: { line: number; firstLine?: number }[]; total: number };
      expect(details.total).to.equal(101);
      expect(details.lines).to.have.length(100);
      expect(details.lines[99]).to.equal(101);
      expect(details.problems.map((problem) => problem.firstLine)).to.deep.equal(Array.from({ length: 100 }, () => 1));
      expect(details.problems[99]!.line).to.equal(101);
    });
  });

  describe("all of an upload's problems in one answer", () => {
    it("a CSV header without a key column names line 1 and its reason", () => {
      expect(parseError("sku\nA\n", "csv").details).to.deep.equal({
        lines: [1],
        total: 1,
        reasons: { missing_field: 1 },
        problems: [{ line: 1, reasons: ["missing_field"] }],
      });
    });

    it("lists problems in line order whatever order they were found in, with every reason's words", () => {
      const problems = new ImportProblems();
      problems.add(9, "already_in_shop");
      problems.add(4, "malformed_csv");
      problems.add(2, "missing_field");
      problems.add(4, "too_long");
      const error = problems.toError()!;
      expect(error.code).to.equal("invalid_keys");
      expect(error.message).to.equal(
        "3 line(s) cannot be imported (1 already in this shop's stock, 1 malformed CSV, 1 missing the key field, 1 too long); see details.problems for each line and its reasons.",
      );
      expect(error.details).to.deep.equal({
        lines: [2, 4, 9],
        total: 3,
        reasons: { already_in_shop: 1, malformed_csv: 1, missing_field: 1, too_long: 1 },
        problems: [
          { line: 2, reasons: ["missing_field"] },
          { line: 4, reasons: ["malformed_csv", "too_long"] },
          { line: 9, reasons: ["already_in_shop"] },
        ],
      });
    });

    it("answers duplicate_keys only when every problem is a repeated key, and nothing when there is none", () => {
      const repeated = new ImportProblems();
      repeated.add(3, "duplicate_in_upload", 1);
      repeated.add(5, "already_in_shop");
      expect(repeated.toError()!.code).to.equal("duplicate_keys");
      expect(repeated.toError()!.message).to.equal(
        "2 line(s) cannot be imported (1 repeating an earlier line, 1 already in this shop's stock); see details.problems for each line and its reasons.",
      );
      const mixed = new ImportProblems();
      mixed.add(3, "duplicate_in_upload", 1);
      mixed.add(4, "empty");
      expect(mixed.toError()!.code).to.equal("invalid_keys");
      expect(new ImportProblems().toError()).to.equal(undefined);
    });
  });
});
