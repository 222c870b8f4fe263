// The matrix as a Markdown table, kept in docs/authorisation.md between two markers (the rest
// of that page is written by hand). writeMatrixDoc.ts rewrites it; matrix.test.ts checks it.
import { fileURLToPath } from "node:url";
import { keyAnswer, keyColumnName, keyColumns, matrix, roleDescriptions, roles, rowName, type Answer } from "./matrix.ts";
import { apiOperations } from "./operations.ts";

export const matrixDocPath = fileURLToPath(new URL("../../docs/authorisation.md", import.meta.url));
const start = "<!-- authorisation matrix: generated from test/authorisation/matrix.ts -->";
const end = "<!-- end of the generated matrix -->";

function table(): string {
  const operations = apiOperations();
  const cell = (operation: string, answer: Answer) => (answer === "ok" ? `**${operations.get(operation) ?? "2xx"}**` : String(answer));
  const headers = [...roles, ...keyColumns.map((scope) => `\`${keyColumnName(scope)}\``)];
  const lines = [
    `| Operation | ${headers.join(" | ")} |`,
    `|---|${headers.map(() => "---").join("|")}|`,
    ...matrix.map((entry) => {
      const secrets = entry.secrets.length > 0 ? ` (code or salt: ${entry.secrets.length === roles.length ? "all" : entry.secrets.join(", ")})` : "";
      const answers = [...roles.map((role) => entry.expected[role]), ...keyColumns.map((scope) => keyAnswer(entry, scope))];
      return `| \`${rowName(entry)}\`${secrets} | ${answers.map((answer) => cell(entry.operation, answer)).join(" | ")} |`;
    }),
  ];
  const columns = [
    ...roles.map((role) => `- \`${role}\`: ${roleDescriptions[role]}`),
    `- \`key <scope>\`: an API key of merchant A's with that one scope (docs/api-keys.md): merchant A's answer where the scope opens the operation, otherwise 403 \`api_key_scope\``,
  ];
  return [
    start,
    "",
    `${matrix.length} rows (${new Set(matrix.map((entry) => entry.operation)).size} operations) × ${roles.length} roles and ${keyColumns.length} API-key scopes. **Bold**: the documented success status; 400, 401, 403, 404, 409: the refusal (with its code \`validation_failed\`, \`unauthorized\`, \`forbidden\`, \`not_found\`, \`conflict\` or \`invalid_state\`; \`api_key_scope\` for a key outside its scopes).`,
    "",
    ...columns,
    "",
    ...lines,
    "",
    end,
  ].join("\n");
}

/** The page with its generated section replaced by the matrix as it is now. */
export function matrixDocText(page: string): string {
  const from = page.indexOf(start);
  const to = page.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${matrixDocPath} has lost its markers: put "${start}" and "${end}" back around the table.`);
  return page.slice(0, from) + table() + page.slice(to + end.length);
}
