// The request id of the work in hand, carried through async calls with AsyncLocalStorage: the
// HTTP server opens a context per request (api/http/requestId.ts), the producers of jobs copy its
// id into the job's data (api/jobs/enqueue.ts), and the workers open the same context around the
// job. The logger's mixin (core/logger.ts) adds the id to every line written inside a context,
// so one id follows a sale from its request to the worker that delivered it.
import { AsyncLocalStorage } from "node:async_hooks";

export type RequestContext = { requestId: string };

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `work` with `context` as the current request context (its async continuations included). */
export function runInRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** The current request id, or undefined outside any request or request-caused job. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

// Ids a client may choose: short, and only characters that cannot break a log line or a header.
const acceptedRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/** A client's X-Request-Id when it is safe to carry, else undefined (the server makes its own). */
export function acceptedRequestIdOf(value: string | string[] | undefined): string | undefined {
  const id = Array.isArray(value) ? value[0] : value;
  return id !== undefined && acceptedRequestId.test(id) ? id : undefined;
}
