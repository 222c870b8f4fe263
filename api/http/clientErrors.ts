// Answers requests that Node's HTTP parser refuses before any handler runs (a request line and
// headers beyond --max-http-header-size, a malformed request, a request that took too long to
// arrive) with the API's JSON error shape, `{ code, message, details }`, instead of Node's bare
// status line ("HTTP/1.1 431 Request Header Fields Too Large" and no body). The limit itself
// stays Node's (16 KiB unless --max-http-header-size says otherwise): no URL of this API comes
// near it, and a larger one only makes every request cost more memory to parse.
import http, { type Server } from "node:http";
import type { Duplex } from "node:stream";
import { AppError } from "../../core/errors.ts";

type ParserError = Error & { code?: string };

/** The JSON answer for a parser error, by the parser's code. */
function answerFor(error: ParserError): AppError {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return new AppError(
        "headers_too_large",
        `The request line and headers together exceed ${http.maxHeaderSize} bytes. Send a shorter URL (put long data in a POST body) or fewer cookies and headers.`,
        { details: { limitBytes: http.maxHeaderSize } },
      );
    case "HPE_REQUEST_TIMEOUT":
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new AppError("request_timeout", "The request took too long to arrive; send it again.", { retryable: true });
    default:
      return new AppError("bad_request", "The request is not valid HTTP/1.1 (request line, headers or framing); it was not read.");
  }
}

function rawAnswer(body: string, status: number): string {
  return [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}`,
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Cache-Control: no-store",
    "X-Content-Type-Options: nosniff",
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

/** Installs the JSON answer on `server` (replacing Node's default 'clientError' behaviour). */
export function answerClientErrorsAsJson(server: Server): Server {
  server.on("clientError", (error: ParserError, socket: Duplex) => {
    // As Node's own handler: write only when the socket can take it and no answer has begun on it
    // (a kept-alive connection may be mid-way through one); otherwise just close it.
    const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || answering?.headersSent) {
      socket.destroy();
      return;
    }
    const answer = answerFor(error);
    const body = JSON.stringify({ code: answer.code, message: answer.message, details: answer.details ?? null });
    socket.end(rawAnswer(body, answer.status));
  });
  return server;
}
