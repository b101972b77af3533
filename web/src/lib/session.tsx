import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { ApiError, api, setUnauthenticatedHandler } from "./api";

export type Role = "owner" | "admin" | "collector" | "accountant" | "viewer";
export type Permission = "read" | "customers:write" | "collect:write" | "ledger:write" | "admin";

/** Mirror of src/services/actor.ts, only to hide buttons a role cannot use (the API decides). */
const PERMISSIONS: Record<Permission, Role[]> = {
  read: ["owner", "admin", "collector", "accountant", "viewer"],
  "customers:write": ["owner", "admin", "collector", "accountant"],
  "collect:write": ["owner", "admin", "collector"],
  "ledger:write": ["owner", "admin", "accountant"],
  admin: ["owner", "admin"],
};

export interface Me {
  user: { id: number; email: string; name: string; language: string } | null;
  org: { id: number; slug: string; name: string; hasLogo?: boolean };
  role: Role;
}

export type SessionState = { status: "loading" } | { status: "anonymous"; needsSetup: boolean } | { status: "ready"; me: Me };

interface Session {
  state: SessionState;
  me: Me | null;
  can(permission: Permission): boolean;
  /** Whether the API offers `METHOD /path` (OpenAPI form, e.g. "GET /api/reports/dso", "POST /api/customers/{id}/notes"). */
  has(route: string): boolean;
  /** Whether that route accepts a query parameter (from the OpenAPI document). */
  hasParam(route: string, name: string): boolean;
  routesLoaded: boolean;
  refresh(): Promise<void>;
  logout(): Promise<void>;
}

const Ctx = createContext<Session | null>(null);
const METHODS = ["get", "post", "put", "patch", "delete"];

/**
 * The routes the server offers, from its OpenAPI document: a page whose backend has not
 * landed is hidden, never faked. If the document cannot be read, the GET routes that
 * decide the navigation are probed one by one (a 404 hides the page).
 */
type Routes = Map<string, Set<string>>;
type OpenApiOp = { parameters?: { in?: string; name?: string }[] };

async function loadRoutes(): Promise<Routes> {
  const routes: Routes = new Map();
  try {
    const doc = await api.get<{ paths?: Record<string, Record<string, OpenApiOp>> }>("/api/docs/json", undefined, { quiet401: true });
    for (const [p, ops] of Object.entries(doc.paths ?? {}))
      for (const [m, op] of Object.entries(ops))
        if (METHODS.includes(m))
          routes.set(`${m.toUpperCase()} ${p}`, new Set((op.parameters ?? []).filter((x) => x.in === "query").map((x) => x.name ?? "")));
    if (routes.size) return routes;
  } catch {
    // fall through to probes
  }
  await Promise.all(
    NAV_PROBES.map(async (p) => {
      try {
        await api.get(p, undefined, { quiet401: true });
        routes.set(`GET ${p}`, new Set());
      } catch (e) {
        if (e instanceof ApiError && e.status !== 404) routes.set(`GET ${p}`, new Set());
      }
    }),
  );
  return routes;
}

export const NAV_PROBES = [
  "/api/reports/dso",
  "/api/imports",
  "/api/payments/unmatched",
  "/api/dunning/policies",
  "/api/settings",
  "/api/users",
];

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: "loading" });
  const [routes, setRoutes] = useState<Routes | null>(null);

  const refresh = useCallback(async () => {
    try {
      // Asking the status first keeps a logged-out visit free of 401s in the console.
      const status = await api.get<{ needsSetup: boolean; authenticated: boolean }>("/api/setup/status");
      if (!status.authenticated) {
        setState({ status: "anonymous", needsSetup: status.needsSetup });
        return;
      }
      const me = await api.get<Me>("/api/auth/me", undefined, { quiet401: true });
      setState({ status: "ready", me });
      setRoutes(await loadRoutes());
    } catch {
      setState({ status: "anonymous", needsSetup: false });
    }
  }, []);

  useEffect(() => {
    void refresh();
    setUnauthenticatedHandler(() => setState({ status: "anonymous", needsSetup: false }));
    return () => setUnauthenticatedHandler(null);
  }, [refresh]);

  const logout = useCallback(async () => {
    await api.post("/api/auth/logout").catch(() => undefined);
    setState({ status: "anonymous", needsSetup: false });
    setRoutes(null);
  }, []);

  const value = useMemo<Session>(() => {
    const me = state.status === "ready" ? state.me : null;
    return {
      state,
      me,
      can: (p) => Boolean(me && PERMISSIONS[p].includes(me.role)),
      has: (route) => Boolean(routes?.has(route)),
      hasParam: (route, name) => Boolean(routes?.get(route)?.has(name)),
      routesLoaded: routes !== null,
      refresh,
      logout,
    };
  }, [state, routes, refresh, logout]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const v = useContext(Ctx);
  if (!v) throw new Error("useSession outside SessionProvider");
  return v;
}
