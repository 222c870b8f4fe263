// CSV for downloads (RFC 4180): every field quoted, rows ended with CRLF. A field that a
// spreadsheet could run as a formula (it starts with =, +, -, @, a tab or a carriage return) is
// prefixed with ' — except a plain integer such as -500 (money in minor units), which no
// spreadsheet reads as anything but a number. The web app's exports follow the same rule
// (web/src/auditor/csv.ts).
export function csvField(value: unknown): string {
  const text =
    value === null || value === undefined ? "" : typeof value === "string" ? value : typeof value === "bigint" ? value.toString() : JSON.stringify(value);
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d+$/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function csvText(rows: unknown[][]): string {
  return `${rows.map((row) => row.map(csvField).join(",")).join("\r\n")}\r\n`;
}
