import { useCallback } from "react";
import { useLocation, useSearch } from "wouter";

/** Page state kept in the query string, so filters survive a reload and can be linked to. */
export function useUrlState<K extends string>(): [
  Partial<Record<K, string>>,
  (patch: Partial<Record<K, string | null | undefined>>) => void,
] {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const params = Object.fromEntries(new URLSearchParams(search)) as Partial<Record<K, string>>;
  const set = useCallback(
    (patch: Partial<Record<K, string | null | undefined>>) => {
      const next = new URLSearchParams(search);
      for (const [k, v] of Object.entries(patch) as [string, string | null | undefined][]) {
        if (v === null || v === undefined || v === "") next.delete(k);
        else next.set(k, v);
      }
      const s = next.toString();
      navigate(s ? `${location}?${s}` : location, { replace: true });
    },
    [search, location, navigate],
  );
  return [params, set];
}
