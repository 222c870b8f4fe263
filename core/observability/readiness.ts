// Readiness: whether a process should be given work now. Each process names its checks
// (database, Redis, chain, queue lag, indexer lag); all run at once, each within a timeout, and
// the answer lists every check with what it saw, so a 503 says which one failed. A process that
// has started shutting down is not ready whatever its checks say (core/shutdown.ts flips it), so
// a load balancer stops sending it requests while it finishes the ones it has.

export type ReadinessCheckResult = { ok: boolean; detail: string };

export type ReadinessCheck = { name: string; run(): Promise<ReadinessCheckResult> };

export type ReadinessReport = { ready: boolean; checks: Array<{ name: string } & ReadinessCheckResult> };

/** The process's lifecycle as readiness sees it: set `draining` when shutdown starts. */
export type ProcessState = { draining: boolean };

export function createProcessState(): ProcessState {
  return { draining: false };
}

/** Runs every check at once, each cut off after `timeoutMs` (a hung dependency is a failed check). */
export async function evaluateReadiness(state: ProcessState, checks: readonly ReadinessCheck[], timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map(async (check) => ({ name: check.name, ...(await runWithin(check, timeoutMs)) })));
  const lifecycle = { name: "lifecycle", ok: !state.draining, detail: state.draining ? "shutting down: taking no new work" : "running" };
  const all = [lifecycle, ...results];
  return { ready: all.every((check) => check.ok), checks: all };
}

async function runWithin(check: ReadinessCheck, timeoutMs: number): Promise<ReadinessCheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ReadinessCheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([
      check.run().catch((error: unknown) => ({ ok: false, detail: error instanceof Error ? error.message : String(error) })),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A check that compares a measured lag with its limit ("at most"). */
export function lagCheck(name: string, unit: string, limit: number, measure: () => Promise<number | undefined>): ReadinessCheck {
  return {
    name,
    async run() {
      const lag = await measure();
      if (lag === undefined) return { ok: true, detail: "nothing to measure yet" };
      return { ok: lag <= limit, detail: `${lag} ${unit} (at most ${limit})` };
    },
  };
}
