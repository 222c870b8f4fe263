// Loads data for a screen: { data, error, loading, reload }. A newer load supersedes an older
// one (its result is dropped), and an optional poll interval refreshes while `poll` says so.
import { useCallback, useEffect, useRef, useState } from "react";

export type AsyncState<T> = { data: T | undefined; error: unknown; loading: boolean; reload(): void };

export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], options: { pollMs?: number; poll?: (data: T | undefined) => boolean } = {}): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const pollRef = useRef(options.poll);
  pollRef.current = options.poll;

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (first: boolean) => {
      if (first) setLoading(true);
      try {
        const value = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
        if (options.pollMs && pollRef.current?.(value)) timer = setTimeout(() => void run(false), options.pollMs);
      } catch (caught) {
        if (controller.signal.aborted) return;
        setError(caught);
        // A transient failure while polling retries on the same schedule.
        if (options.pollMs && !first) timer = setTimeout(() => void run(false), options.pollMs);
      } finally {
        if (!controller.signal.aborted) setLoading(false);
      }
    };
    void run(true);
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
    // The caller's deps decide when to load again; `load` and `poll` are read through refs
    // because callers pass new closures on every render.
  }, [...deps, generation, options.pollMs]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, loading, reload };
}
