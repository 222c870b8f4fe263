import { expect } from "chai";
import { AppError } from "../../api/errors.ts";
import { parseImport, type ImportFormat } from "../../api/keys/parseImport.ts";

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
      problems: [{ line: 2, reasons: ["empty"] }, { line: 3, reasons: ["empty"] }, { line: 4, reasons: ["too_long"] }, { line: 5, reasons: ["control_character"] }],
    });
    expect(error.message).to.equal("4 line(s) cannot be imported (2 empty, 1 longer than 16 bytes, 1 with a control character); see details.problems for each line and its reasons.");
    expect(JSON.stringify(error.details) + error.message).not.to.match(/TOO-LONG|BELL|GOOD/);
  });

  it("lists at most 100 line numbers and the total", () => {
    const error = parseError("\n".repeat(250) + "KEY\n", "text");
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
      problems: [{ line: 3, reasons: ["duplicate_in_upload"], firstLine: 1 }, { line: 5, reasons: ["duplicate_in_upload"], firstLine: 2 }, { line: 6, reasons: ["duplicate_in_upload"], firstLine: 1 }],
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
    expect(parseImport("secret\n\"Q\"\"1\"\n", "csv", limits).keys).to.deep.equal(['Q"1']);
  });

  it("rejects bad CSV with line numbers: no key column, missing field, empty key, bad quoting", () => {
    expect(parseError("sku,note\nA,B\n", "csv").details).to.deep.include({ lines: [1], total: 1, reasons: { missing_field: 1 } });
    const error = parseError('note,key\nx,K-1\nonly\ny,""\nz,"K\n2"\n', "csv");
    expect(error.code).to.equal("invalid_keys");
    expect(error.details).to.deep.include({ lines: [3, 4, 5], total: 3, reasons: { missing_field: 1, empty: 1, control_character: 1 } });
    expect(parseError('key\n"K-1\nK-2\n', "csv").details).to.deep.equal({ lines: [2], total: 1, reasons: { malformed_csv: 1 }, problems: [{ line: 2, reasons: ["malformed_csv"] }] });
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
    expect(error.message).to.equal("4 line(s) cannot be imported (1 empty, 2 repeating an earlier line, 1 longer than 16 bytes); see details.problems for each line and its reasons.");
  });
});
