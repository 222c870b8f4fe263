// Loads data for a screen: { data, error, loading, reload }. A newer load supersedes an older
// one (its result is dropped), and an optional poll interval refreshes while `poll` says so.
// `load` receives the previous result, so a long poll can ask the server to wait for a change
// of what the page already shows (and then poll again at once: pollMs may depend on the data).
import { useCallback, useEffect, useRef, useState } from "react";

export type AsyncState<T> = { data: T | undefined; error: unknown; loading: boolean; reload(): void };

/** After a failed poll, the next one waits at least this long, even when polls follow each other at once. */
const pollRetryMsMin = 1000;

export type UseAsyncOptions<T> = {
  /** The pause before the next poll: fixed, or chosen from the last result (0: at once, for a long poll). */
  pollMs?: number | ((data: T) => number);
  poll?: (data: T | undefined) => boolean;
  /**
   * Data the page already has (the server's embedded first answer, web/src/firstData.ts): the
   * first render shows it and the first load is skipped; later changes of deps load as usual.
   * Read on the first render only.
   */
  initial?: T;
};

export function useAsync<T>(
  load: (signal: AbortSignal, previous: T | undefined) => Promise<T>,
  deps: unknown[],
  options: UseAsyncOptions<T> = {},
): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(options.initial);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(options.initial === undefined);
  const skipFirstLoad = useRef(options.initial !== undefined);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const pollRef = useRef(options.poll);
  pollRef.current = options.poll;
  const pollMsRef = useRef(options.pollMs);
  pollMsRef.current = options.pollMs;
  const polls = options.pollMs !== undefined;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps (spread in) and `generation` (bumped by reload) are the triggers; `load`, `poll` and `pollMs` are read through refs
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let previous: T | undefined;
    const pauseAfter = (value: T): number => {
      const pollMs = pollMsRef.current ?? 0;
      return typeof pollMs === "function" ? pollMs(value) : pollMs;
    };
    const run = async (first: boolean) => {
      if (first) setLoading(true);
      try {
        const value = await loadRef.current(controller.signal, previous);
        if (controller.signal.aborted) return;
        previous = value;
        setData(value);
        setError(undefined);
        if (polls && pollRef.current?.(value)) timer = setTimeout(() => void run(false), pauseAfter(value));
      } catch (caught) {
        if (controller.signal.aborted) return;
        setError(caught);
        // A transient failure while polling retries, never faster than pollRetryMsMin (a long
        // poll that fails at once must not turn into a busy loop).
        if (polls && !first) timer = setTimeout(() => void run(false), Math.max(previous === undefined ? 0 : pauseAfter(previous), pollRetryMsMin));
      } finally {
        if (!controller.signal.aborted) setLoading(false);
      }
    };
    if (skipFirstLoad.current) {
      skipFirstLoad.current = false;
      previous = data;
      if (polls && pollRef.current?.(data as T)) timer = setTimeout(() => void run(false), pauseAfter(data as T));
    } else void run(true);
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
    // The caller's deps decide when to load again; `load`, `poll` and `pollMs` are read through
    // refs because callers pass new closures on every render.
  }, [...deps, generation, polls]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, loading, reload };
}
