// The proof-of-work captcha (ALTCHA, docs/abuse.md), solved in one place for every request: when
// the API answers 428 captcha_required (a risky checkout, a login after failed attempts, many
// sign-ups from one address), this fetches a challenge, solves it with altcha-lib's own solver
// and sends the request once more with the solution in X-Captcha. altcha-lib's v1 solver awaits
// crypto.subtle for every hash, so the page stays responsive without a worker (and the strict CSP
// needs no blob: or eval). Screens learn that a solve is running through onCaptchaSolving.
import { solveChallenge } from "altcha-lib/v1";

type Challenge = { algorithm: string; challenge: string; maxnumber?: number; salt: string; signature: string };
type Listener = (solving: boolean) => void;

const listeners = new Set<Listener>();
let solvesRunning = 0;

/** Calls the listener with true while a captcha is being solved, false when done; returns the unsubscribe. */
export function onCaptchaSolving(listener: Listener): () => void {
  listeners.add(listener);
  listener(solvesRunning > 0);
  return () => listeners.delete(listener);
}

function announce(change: 1 | -1): void {
  solvesRunning += change;
  for (const listener of listeners) listener(solvesRunning > 0);
}

/** fetch for openapi-fetch: a 428 captcha_required answer is retried once with a solved challenge. */
export function captchaFetch(baseUrl: string, send: (request: Request) => Promise<Response> = (request) => fetch(request)) {
  return async (request: Request): Promise<Response> => {
    // The body is read when sent: keep a copy for the retry.
    const retry = request.clone();
    const response = await send(request);
    if (response.status !== 428 || !(await isCaptchaRequired(response))) return response;
    announce(1);
    let solution: string | undefined;
    try {
      solution = await solve(baseUrl, request.signal);
    } finally {
      announce(-1);
    }
    if (!solution) return response;
    retry.headers.set("x-captcha", solution);
    return send(retry);
  };
}

async function isCaptchaRequired(response: Response): Promise<boolean> {
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return body.code === "captcha_required";
  } catch {
    return false;
  }
}

/** The base64 JSON solution of a fresh challenge, or undefined when none could be fetched or found. */
async function solve(baseUrl: string, signal: AbortSignal): Promise<string | undefined> {
  const challengeResponse = await fetch(`${baseUrl}/api/captcha/challenge`, { headers: { accept: "application/json" }, signal });
  if (!challengeResponse.ok) return undefined;
  const challenge = (await challengeResponse.json()) as Challenge;
  const solving = solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber);
  const stop = () => solving.controller.abort();
  signal.addEventListener("abort", stop);
  try {
    const found = await solving.promise;
    if (!found) return undefined;
    return btoa(
      JSON.stringify({
        algorithm: challenge.algorithm,
        challenge: challenge.challenge,
        number: found.number,
        salt: challenge.salt,
        signature: challenge.signature,
      }),
    );
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
