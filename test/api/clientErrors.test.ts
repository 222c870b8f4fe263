// Requests Node's HTTP parser refuses before any route runs get the API's JSON error shape,
// over a raw socket as a client would send them. Reproduces the audit's finding that a 60 KB
// URL got a bare "431 Request Header Fields Too Large" without a body.
import { connect } from "node:net";
import { expect } from "chai";
import { usePlatform } from "../support/platform.ts";

type RawAnswer = { status: number; headers: Record<string, string>; body: unknown };

/** Sends `request` as bytes and reads the answer until the server closes the connection. */
function sendRaw(baseUrl: string, request: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const [head, ...rest] = text.split("\r\n\r\n");
      const [statusLine, ...headerLines] = head!.split("\r\n");
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
      const bodyText = rest.join("\r\n\r\n");
      let body: unknown = bodyText;
      try {
        body = JSON.parse(bodyText);
      } catch {
        // not JSON: the assertion on the body says so
      }
      resolve({ status: Number(statusLine!.split(" ")[1]), headers, body });
    });
    socket.end(request);
  });
}

describe("requests refused by the HTTP parser", function () {
  this.timeout(120_000);
  const suite = usePlatform();

  it("a 60 KB URL gets 431 with { code, message, details } in JSON, and the server keeps serving", async () => {
    const host = new URL(suite.platform.url).host;
    const answer = await sendRaw(suite.platform.url, `GET /api/shops?q=${"a".repeat(60 * 1024)} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect(answer.status).to.equal(431);
    expect(answer.headers["content-type"]).to.equal("application/json; charset=utf-8");
    expect(answer.headers["cache-control"]).to.equal("no-store");
    expect(answer.headers.connection).to.equal("close");
    // Node's default limit, --max-http-header-size: 16 KiB.
    expect(answer.body).to.deep.equal({
      code: "headers_too_large",
      message: "The request line and headers together exceed 16384 bytes. Send a shorter URL (put long data in a POST body) or fewer cookies and headers.",
      details: { limitBytes: 16384 },
    });
    // A long header line is the same limit.
    const longHeader = await sendRaw(suite.platform.url, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Filler: ${"b".repeat(20_000)}\r\n\r\n`);
    expect([longHeader.status, (longHeader.body as { code: string }).code]).to.deep.equal([431, "headers_too_large"]);
    const after = await suite.platform.http.get("/healthz");
    expect([after.status, after.body]).to.deep.equal([200, { ok: true }]);
  });

  it("a malformed request gets 400 in JSON, not a bare status line", async () => {
    const answer = await sendRaw(suite.platform.url, "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n");
    expect(answer.status).to.equal(400);
    expect(answer.headers["content-type"]).to.equal("application/json; charset=utf-8");
    expect(answer.body).to.have.property("code", "bad_request");
    expect((answer.body as { message: string }).message).to.match(/not valid HTTP/);
    const garbage = await sendRaw(suite.platform.url, "\u0001\u0002 nonsense\r\n\r\n");
    expect([garbage.status, (garbage.body as { code: string }).code]).to.deep.equal([400, "bad_request"]);
  });

  it("an answer that fits the limit is served as before (a 15 KB URL reaches the route)", async () => {
    const response = await suite.platform.http.get(`/api/shops?q=${"c".repeat(15 * 1024)}`);
    // The route runs and refuses the unknown query field: the answer comes from the app, not the parser.
    expect(response.status).to.equal(400);
    expect(response.body.code).to.equal("validation_failed");
  });
});
