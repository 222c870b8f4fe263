// Walks the authorisation matrix (matrix.ts) against the running platform: every operation of
// the OpenAPI document asked by every role with a valid request (requests.ts), on one platform
// with realistic fixtures (world.ts). A cell fails when its answer differs from the matrix (a
// refusal must also carry its code), when a refused call changed what the row's probe reads,
// when a key's code or salt reaches a role the row does not name, or when a role it names gets
// an answer without one, or when an answer carries an EPay key, a password or another person's
// session token. All failures are printed at once. The API-key columns (a key of merchant A's
// per scope) are walked the same way, each refusal of a key outside its scopes with
// `api_key_scope`.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { startTestPlatform, type HttpResponse, type TestPlatform } from "../support/platform.ts";
import { keyAnswer, keyColumnName, keyColumns, keyScopes, matrix, roles, rowName, type Answer, type KeyColumn, type MatrixRow, type Role } from "./matrix.ts";
import { matrixDocPath, matrixDocText } from "./matrixDoc.ts";
import { apiOperations } from "./operations.ts";
import { requests, type Call } from "./requests.ts";
import { buildWorld, type World } from "./world.ts";

const operations = apiOperations();
const refusalCodes: Record<Exclude<Answer, "ok">, string[]> = {
  400: ["validation_failed"],
  401: ["unauthorized"],
  403: ["forbidden"],
  404: ["not_found"],
  // erasure_refused: the person's own open legal hold or dispute (docs/compliance.md).
  409: ["conflict", "invalid_state", "erasure_refused"],
};
/** Walked first and all at once: they change nothing (payment notifications do, so they are not here). */
const readOnly = (entry: MatrixRow) => entry.operation.startsWith("GET ") && !entry.operation.includes("/notify");

describe("authorisation matrix", () => {
  it("has a row for every operation of the API, and a request for every row", () => {
    const covered = new Set(matrix.map((entry) => entry.operation));
    const missing = [...operations.keys()].filter((operation) => !covered.has(operation));
    const unknown = matrix.filter((entry) => !operations.has(entry.operation)).map(rowName);
    const withoutRequest = matrix.map(rowName).filter((name) => !requests[name]);
    const requestWithoutRow = Object.keys(requests).filter((name) => !matrix.some((entry) => rowName(entry) === name));
    const problems = [
      ...missing.map((operation) => `no matrix row (add one to test/authorisation/matrix.ts and a request to requests.ts): ${operation}`),
      ...unknown.map((name) => `a row for an operation the API does not have: ${name}`),
      ...withoutRequest.map((name) => `no request in test/authorisation/requests.ts: ${name}`),
      ...requestWithoutRow.map((name) => `a request without a matrix row: ${name}`),
    ];
    expect(problems, `\n${problems.join("\n")}\n`).to.deep.equal([]);
  });

  it("names for API keys exactly the scopes the OpenAPI document declares (x-scope)", () => {
    const document = JSON.parse(readFileSync(new URL("../../api/openapi.json", import.meta.url), "utf8")) as {
      paths: Record<string, Record<string, { "x-scope"?: string }>>;
    };
    const declared = Object.fromEntries(
      Object.entries(document.paths).flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([, operation]) => operation["x-scope"] !== undefined)
          .map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation["x-scope"]]),
      ),
    );
    expect(declared).to.deep.equal(keyScopes);
  });

  it("is what docs/authorisation.md shows", () => {
    const committed = readFileSync(matrixDocPath, "utf8");
    expect(committed === matrixDocText(committed), "docs/authorisation.md is stale: run `node test/authorisation/writeMatrixDoc.ts`").to.equal(true);
  });

  describe("walked against the running platform", function () {
    this.timeout(900_000);
    let platform: TestPlatform;
    let world: World;
    let secretsSeen = 0;
    const keySecrets = {} as Record<KeyColumn, string>;

    before(async () => {
      // Anchored journal transactions are needed for the inclusion proof's row.
      // Ticket event streams end after a second, so their allowed cells' answers complete.
      // The key columns send over a thousand calls in bursts: the per-key rate limit is lifted.
      platform = await startTestPlatform({
        env: {
          LEDGER_ANCHOR_INTERVAL_SECONDS: "2",
          SUPPORT_STREAM_SECONDS_MAX: "1",
          API_KEY_REQUESTS_PER_MINUTE_MAX: "1000000",
          SIGNUP_TAKEN_ATTEMPTS_MAX: "100000",
        },
      });
      world = await buildWorld(platform);
      for (const scope of keyColumns) {
        const created = await world.people.merchant.client.post("/api/api-keys", { name: `matrix ${scope}`, scopes: [scope] });
        expect(created.status, created.text).to.equal(201);
        keySecrets[scope] = created.body.secret;
      }
    });
    after(async () => {
      await platform?.stopAll();
    });

    async function send(role: Role, call: Call): Promise<HttpResponse> {
      const token = call.token === undefined ? (role === "guest" ? undefined : world.people[role].client.token) : (call.token ?? undefined);
      return platform.http.as(token).request(call.method, call.path, call.body, call.headers);
    }

    /** A column of a row: a role, or an API key of merchant A's (whose secrets rule is the merchant's). */
    type Column = { label: string; role: Role; expected: Answer; codes?: string[]; token?: string };
    const roleColumn = (entry: MatrixRow, role: Role): Column => ({ label: role, role, expected: entry.expected[role] });
    const keyColumn = (entry: MatrixRow, scope: KeyColumn): Column => ({
      label: keyColumnName(scope),
      role: "merchant",
      expected: keyAnswer(entry, scope),
      codes: keyScopes[entry.operation] === scope ? undefined : ["api_key_scope"],
      token: keySecrets[scope],
    });

    function verdict(entry: MatrixRow, column: Column, response: HttpResponse): string | undefined {
      const { expected, role } = column;
      const answered = `${response.status}${response.body?.code ? ` ${response.body.code}` : ""}`;
      if (expected === "ok") {
        const status = operations.get(entry.operation);
        if (response.status !== status) return `expected ${status}, got ${answered}: ${response.text.slice(0, 200)}`;
      } else {
        const codes = column.codes ?? refusalCodes[expected];
        if (response.status !== expected || !codes.includes(response.body?.code)) {
          return `expected ${expected} ${codes.join(" or ")}, got ${answered}: ${response.text.slice(0, 200)}`;
        }
      }
      const forbidden = world.forbiddenIn(response.text, role);
      if (forbidden) return `the answer carries a secret no one may receive (${forbidden.slice(0, 6)}…)`;
      const secret = world.secretIn(response.text);
      if (expected === "ok" && entry.secrets.includes(role)) {
        secretsSeen += 1;
        if (!secret) return `expected the answer to carry a key's code or salt: ${response.text.slice(0, 200)}`;
      } else if (secret) return `the answer carries a key's code or salt (${secret})`;
      return undefined;
    }

    async function probe(entry: MatrixRow): Promise<string | undefined> {
      const statement = requests[rowName(entry)]!.probe;
      if (!statement) return undefined;
      const text = typeof statement === "function" ? statement(world) : statement;
      const row = await queryOne<Record<string, string | null>>(platform.ctx.database.db, sql.raw(text));
      return String(Object.values(row ?? {})[0]);
    }

    /** A key column's call: merchant A's request, sent with the key instead of any session or token. */
    async function sendColumn(column: Column, call: Call): Promise<HttpResponse> {
      if (column.token === undefined) return send(column.role, call);
      return platform.http.as(column.token).request(call.method, call.path, call.body, call.headers);
    }

    /** One row: refused cells first (all at once), then the allowed ones, each with its own request. */
    async function walkRow(entry: MatrixRow): Promise<string[]> {
      const failures: string[] = [];
      const build = requests[rowName(entry)]!.build;
      const roleCells = await Promise.all(
        roles.map(async (role) => {
          const column = roleColumn(entry, role);
          const allowed = column.expected === "ok";
          return { column, allowed, call: await build(world, { role, allowed }) };
        }),
      );
      // A key a row refuses is sent merchant A's own request (a refused key is answered before its
      // request is looked at, and the probe shows it changed nothing); a key it allows gets a
      // request built for merchant A, as merchant A's allowed cell does.
      const merchantCall = roleCells.find((cell) => cell.column.role === "merchant")!.call;
      const keyCells = await Promise.all(
        keyColumns.map(async (scope) => {
          const column = keyColumn(entry, scope);
          const allowed = column.expected === "ok";
          return { column, allowed, call: allowed ? await build(world, { role: "merchant", allowed }) : merchantCall };
        }),
      );
      const cells = [...roleCells, ...keyCells];
      const before = await probe(entry);
      const refused = cells.filter((cell) => !cell.allowed);
      const answers = await Promise.all(refused.map((cell) => sendColumn(cell.column, cell.call)));
      refused.forEach((cell, index) => {
        const problem = verdict(entry, cell.column, answers[index]!);
        if (problem) failures.push(`${rowName(entry)} × ${cell.column.label}: ${problem}`);
      });
      const after = await probe(entry);
      if (before !== after) failures.push(`${rowName(entry)}: a refused call changed something (probe ${before} -> ${after})`);
      for (const cell of cells.filter((candidate) => candidate.allowed)) {
        const problem = verdict(entry, cell.column, await sendColumn(cell.column, cell.call));
        if (problem) failures.push(`${rowName(entry)} × ${cell.column.label}: ${problem}`);
      }
      return failures;
    }

    const rowsWalkedAtOnce = 8;
    it("answers every cell as the matrix says, changes nothing on a refusal, and shows codes only where allowed", async () => {
      const started = Date.now();
      // Read-only rows side by side, a few at a time: all at once opened over a thousand
      // connections, and on a loaded 2-core machine some waited past the server's headers timeout
      // and were reset (fetch failed, ECONNRESET).
      const readOnlyRows = matrix.filter(readOnly);
      const failures: string[] = [];
      let next = 0;
      const walker = async () => {
        while (next < readOnlyRows.length) failures.push(...(await walkRow(readOnlyRows[next++]!)));
      };
      await Promise.all(Array.from({ length: rowsWalkedAtOnce }, walker));
      for (const entry of matrix.filter((candidate) => !readOnly(candidate))) failures.push(...(await walkRow(entry)));
      const cells = matrix.length * (roles.length + keyColumns.length);
      console.log(
        `matrix_rows=${matrix.length} matrix_operations=${new Set(matrix.map((entry) => entry.operation)).size} matrix_roles=${roles.length} matrix_key_columns=${keyColumns.length}`,
      );
      console.log(`matrix_cells=${cells} matrix_failures=${failures.length} matrix_answers_with_secrets=${secretsSeen} matrix_walk_ms=${Date.now() - started}`);
      expect(failures, `\n${failures.length} of ${cells} cells differ from the matrix:\n${failures.join("\n")}\n`).to.deep.equal([]);
    });
  });
});
