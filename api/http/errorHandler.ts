// Maps every error to JSON `{ code, message, details }`. AppError codes map to their status;
// body-parser failures become 400/413 with a code; anything else is a 500 whose message is
// hidden from the client and logged with an id the client can quote.
import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { isAppError, type AppError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { toJson } from "../../core/json.ts";
import { checkJsonResponse, responseCheckEnabled, type CheckedOperation } from "./responseCheck.ts";

type BodyParserError = Error & { type?: string; status?: number; limit?: number };

export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    const { status, body, headers } = errorResponse(error, logger, { method: req.method, path: req.path });
    if (headers) res.set(headers);
    if (responseCheckEnabled) checkJsonResponse(operationOf(req, res), status, toJson(body), undefined);
    res.status(status).json(body);
  };
}

export type ErrorBody = { code: string; message: string; details: unknown };

/** The status and JSON body for an error, for Express's error handler and the lean routes alike. */
export function errorResponse(
  error: unknown,
  logger: Logger,
  request: { method: string; path: string },
): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (isAppError(error)) {
    return { status: error.status, body: { code: error.code, message: error.message, details: error.details ?? null }, headers: retryAfterHeader(error) };
  }
  const parserError = error as BodyParserError;
  if (parserError?.type === "entity.too.large") {
    return {
      status: 413,
      body: {
        code: "payload_too_large",
        message: `The request body is larger than ${parserError.limit} bytes. Send less per request (imports: split the file).`,
        details: { limitBytes: parserError.limit ?? null },
      },
    };
  }
  if (parserError?.type === "entity.parse.failed") {
    return { status: 400, body: { code: "invalid_json", message: "The request body is not valid JSON.", details: null } };
  }
  if (parserError?.type === "encoding.unsupported" || parserError?.type === "charset.unsupported") {
    return { status: 415, body: { code: "bad_request", message: "Send the body as UTF-8.", details: null } };
  }
  if (typeof parserError?.status === "number" && parserError.status >= 400 && parserError.status < 500) {
    return { status: parserError.status, body: { code: "bad_request", message: "The request could not be read.", details: null } };
  }
  const errorId = randomUUID();
  logger.error({ errorId, method: request.method, path: request.path, err: error }, "unhandled error");
  return {
    status: 500,
    body: { code: "internal", message: `Something went wrong on our side. Quote error id ${errorId} if you contact support.`, details: { errorId } },
  };
}

/** `Retry-After` (seconds) for a 429 or 503 whose details say when to come back (RFC 9110, 10.2.3). */
function retryAfterHeader(error: AppError): Record<string, string> | undefined {
  if (error.status !== 429 && error.status !== 503) return undefined;
  const seconds = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof seconds === "number" && Number.isFinite(seconds) ? { "retry-after": String(Math.max(1, Math.ceil(seconds))) } : undefined;
}

export function notFoundHandler(req: Request, res: Response) {
  const body = { code: "not_found", message: `No route ${req.method} ${req.path}. See /api/docs.`, details: null };
  if (responseCheckEnabled) checkJsonResponse(operationOf(req, res), 404, toJson(body), undefined);
  res.status(404).json(body);
}

/** The declared operation an answer belongs to (set by defineRoute), or none for an unknown path. */
function operationOf(req: Request, res: Response): CheckedOperation {
  return (res.locals.operation as CheckedOperation | undefined) ?? { method: req.method.toLowerCase(), path: "(no route)" };
}
