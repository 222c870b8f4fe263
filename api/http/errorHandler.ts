// Maps every error to JSON `{ code, message, details }`. AppError codes map to their status;
// body-parser failures become 400/413 with a code; anything else is a 500 whose message is
// hidden from the client and logged with an id the client can quote.
import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { isAppError } from "../errors.ts";
import type { Logger } from "../logger.ts";

type BodyParserError = Error & { type?: string; status?: number; limit?: number };

export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (isAppError(error)) {
      res.status(error.status).json({ code: error.code, message: error.message, details: error.details ?? null });
      return;
    }
    const parserError = error as BodyParserError;
    if (parserError?.type === "entity.too.large") {
      res.status(413).json({
        code: "payload_too_large",
        message: `The request body is larger than ${parserError.limit} bytes. Send less per request (imports: split the file).`,
        details: { limitBytes: parserError.limit ?? null },
      });
      return;
    }
    if (parserError?.type === "entity.parse.failed") {
      res.status(400).json({ code: "invalid_json", message: "The request body is not valid JSON.", details: null });
      return;
    }
    if (parserError?.type === "encoding.unsupported" || parserError?.type === "charset.unsupported") {
      res.status(415).json({ code: "bad_request", message: "Send the body as UTF-8.", details: null });
      return;
    }
    if (typeof parserError?.status === "number" && parserError.status >= 400 && parserError.status < 500) {
      res.status(parserError.status).json({ code: "bad_request", message: "The request could not be read.", details: null });
      return;
    }
    const errorId = randomUUID();
    logger.error({ errorId, method: req.method, path: req.path, err: error }, "unhandled error");
    res.status(500).json({
      code: "internal",
      message: `Something went wrong on our side. Quote error id ${errorId} if you contact support.`,
      details: { errorId },
    });
  };
}

export function notFoundHandler(req: Request, res: Response) {
  res.status(404).json({ code: "not_found", message: `No route ${req.method} ${req.path}. See /api/docs.`, details: null });
}
