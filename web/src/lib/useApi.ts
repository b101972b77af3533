import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, type Query, withQuery } from "./api";

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
  setData(update: T | ((prev: T | undefined) => T)): void;
}

/** GET a resource; re-fetches when the path or query changes; `null` path = do nothing. */
export function useApi<T>(path: string | null, query?: Query): ApiState<T> {
  const url = path ? withQuery(path, query) : null;
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(Boolean(url));
  const [tick, setTick] = useState(0);
  const last = useRef<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick forces a reload
  useEffect(() => {
    if (!url) {
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    if (last.current !== url) setData(undefined);
    last.current = url;
    setLoading(true);
    setError(null);
    api
      .get<T>(url, undefined, { signal: controller.signal })
      .then((d) => {
        setData(d);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        setError(e instanceof ApiError ? e : new ApiError(0, String((e as Error)?.message ?? e), "network"));
        setLoading(false);
      });
    return () => controller.abort();
  }, [url, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload, setData: setData as ApiState<T>["setData"] };
}

/** Debounced value, for search boxes. */
export function useDebounced<T>(value: T, ms = 200): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}
