import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../src/api/app.js";
import type { Permission } from "../src/services/actor.js";
import { cliActor } from "../src/services/actor.js";
import { createApiKey } from "../src/services/auth.js";
import type { Role } from "../src/store/schema.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { loginCookie, makeApp, makeCustomer, makeInvoice, makeMember, makeOrg } from "./helpers/factories.js";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
type Access = "public" | Permission;
/** Whose id `:id` is: one of org A's rows, or an id that exists nowhere. */
type Entity = "customer" | "document" | "payment" | "user" | "missing";

interface Fixture {
  custA: number;
  docA: number;
  payA: number;
  seq: () => number;
}

interface RouteCase {
  method: Method;
  /** The path as registered (`:id` placeholders). */
  path: string;
  access: Access;
  entity?: Entity;
  /** A body that passes the route's schema (naming org A's rows), so that only authorisation decides. */
  body?: (f: Fixture) => Record<string, unknown>;
  /** Sent as multipart/form-data (file upload). */
  upload?: boolean;
  /** A query string that passes the route's schema (naming org A's rows). */
  query?: (f: Fixture) => string;
  /** The body names org A's rows: org B must get 404. */
  namesRows?: boolean;
  /** Routes whose success this suite also requires of the least-privileged role (the others: not refused). */
  core?: boolean;
}

/**
 * Every /api route, by hand. The first test compares this list with the routes the app
 * registers, so a new route fails the suite until it is listed here, and so gets the
 * 401 / 403 / 404 checks below.
 */
const ROUTES: RouteCase[] = [
  { method: "GET", path: "/api/health", access: "public" },
  { method: "POST", path: "/api/auth/login", access: "public" },
  { method: "POST", path: "/api/auth/logout", access: "public" },
  { method: "GET", path: "/api/setup/status", access: "public" },
  { method: "POST", path: "/api/setup", access: "public" },
  { method: "GET", path: "/api/auth/me", access: "read", core: true },
  { method: "POST", path: "/api/api-keys", access: "admin", core: true, body: (f) => ({ name: `key-${f.seq()}` }) },
  // Customers, documents, payments.
  { method: "GET", path: "/api/customers", access: "read", core: true },
  {
    method: "POST",
    path: "/api/customers",
    access: "customers:write",
    core: true,
    body: (f) => ({ ref: `NEW-${f.seq()}`, name: "Nouveau client" }),
  },
  { method: "GET", path: "/api/customers/:id", access: "read", entity: "customer", core: true },
  {
    method: "PATCH",
    path: "/api/customers/:id",
    access: "customers:write",
    entity: "customer",
    core: true,
    body: (f) => ({ name: `Renamed ${f.seq()}` }),
  },
  { method: "GET", path: "/api/documents", access: "read", core: true },
  {
    method: "POST",
    path: "/api/documents",
    access: "ledger:write",
    core: true,
    namesRows: true,
    body: (f) => ({ number: `F-NEW-${f.seq()}`, customerId: f.custA, issueDate: "2026-10-01", total: "10.00" }),
  },
  { method: "GET", path: "/api/documents/:id", access: "read", entity: "document", core: true },
  { method: "GET", path: "/api/documents/:id/original", access: "read", entity: "document" },
  {
    method: "PATCH",
    path: "/api/documents/:id",
    access: "ledger:write",
    entity: "document",
    core: true,
    body: () => ({ dueDate: "2026-03-01" }),
  },
  // :id is org A's invoice, not a credit note: the right role gets 400, never 401/403/404.
  {
    method: "POST",
    path: "/api/documents/:id/credit-applications",
    access: "ledger:write",
    entity: "document",
    namesRows: true,
    body: (f) => ({ invoiceId: f.docA }),
  },
  {
    method: "DELETE",
    path: "/api/documents/:id/credit-applications",
    access: "ledger:write",
    entity: "document",
    query: (f) => `invoiceId=${f.docA}`,
  },
  { method: "GET", path: "/api/payments", access: "read", core: true },
  {
    method: "POST",
    path: "/api/payments",
    access: "ledger:write",
    core: true,
    namesRows: true,
    body: (f) => ({ date: "2026-10-01", amount: "10.00", customerId: f.custA }),
  },
  { method: "GET", path: "/api/payments/:id", access: "read", entity: "payment", core: true },
  {
    method: "POST",
    path: "/api/payments/:id/allocations",
    access: "ledger:write",
    entity: "payment",
    core: true,
    body: (f) => ({ allocations: [{ documentId: f.docA, amount: "1.00" }] }),
  },
  { method: "GET", path: "/api/payments/unmatched", access: "read" },
  // Reports: read-only figures, isolation by organisation is tested in test/report-api.test.ts too.
  { method: "GET", path: "/api/reports/dso", access: "read" },
  { method: "GET", path: "/api/reports/aging", access: "read" },
  { method: "GET", path: "/api/reports/forecast", access: "read" },
  { method: "GET", path: "/api/reports/risk", access: "read" },
  { method: "GET", path: "/api/reports/trend", access: "read" },
  { method: "GET", path: "/api/reports/bridge", access: "read" },
  { method: "GET", path: "/api/reports/behaviour", access: "read" },
  { method: "GET", path: "/api/customers/:id/behaviour", access: "read", entity: "customer" },
  { method: "GET", path: "/api/customers/:id/risk", access: "read", entity: "customer" },
  // Team.
  { method: "GET", path: "/api/users", access: "read" },
  {
    method: "POST",
    path: "/api/users",
    access: "admin",
    body: (f) => ({ email: `new-${f.seq()}@alpha.example`, password: "assez longue phrase", role: "viewer" }),
  },
  { method: "PATCH", path: "/api/users/:id", access: "admin", entity: "user", body: () => ({ role: "collector" }) },
  // Imports.
  { method: "POST", path: "/api/imports", access: "ledger:write", upload: true },
  { method: "GET", path: "/api/imports", access: "read" },
  // Collection work: notes, tasks, promises, disputes, pauses, reminders.
  { method: "GET", path: "/api/customers/:id/timeline", access: "read", entity: "customer" },
  { method: "GET", path: "/api/customers/:id/notes", access: "read", entity: "customer" },
  {
    method: "POST",
    path: "/api/customers/:id/notes",
    access: "collect:write",
    entity: "customer",
    body: () => ({ body: "Appelé, rappeler lundi" }),
  },
  { method: "GET", path: "/api/tasks", access: "read" },
  {
    method: "POST",
    path: "/api/tasks",
    access: "collect:write",
    namesRows: true,
    body: (f) => ({ customerId: f.custA, title: "Rappeler la comptabilité" }),
  },
  { method: "POST", path: "/api/tasks/:id/complete", access: "collect:write", entity: "missing", body: () => ({ result: "fait" }) },
  { method: "GET", path: "/api/promises", access: "read" },
  {
    method: "POST",
    path: "/api/customers/:id/promises",
    access: "collect:write",
    entity: "customer",
    body: () => ({ amount: "10.00", promisedDate: "2026-12-15" }),
  },
  { method: "POST", path: "/api/promises/:id/status", access: "collect:write", entity: "missing", body: () => ({ status: "kept" }) },
  { method: "GET", path: "/api/disputes", access: "read" },
  {
    method: "POST",
    path: "/api/documents/:id/disputes",
    access: "collect:write",
    entity: "document",
    body: () => ({ reason: "Prix contesté" }),
  },
  { method: "POST", path: "/api/disputes/:id/resolve", access: "collect:write", entity: "missing", body: () => ({ status: "resolved" }) },
  { method: "POST", path: "/api/customers/:id/pause", access: "collect:write", entity: "customer", body: () => ({ until: "2026-12-31" }) },
  { method: "POST", path: "/api/customers/:id/resume", access: "collect:write", entity: "customer" },
  { method: "POST", path: "/api/customers/:id/remind", access: "collect:write", entity: "customer", body: () => ({ asOf: "2026-01-02" }) },
  // Dunning.
  { method: "GET", path: "/api/dunning/policies", access: "read" },
  { method: "GET", path: "/api/dunning/policies/:id", access: "read", entity: "missing" },
  {
    method: "POST",
    path: "/api/dunning/policies",
    access: "collect:write",
    body: (f) => ({ name: `Politique ${f.seq()}`, steps: [{ name: "Appel J+10", offsetDays: 10, channel: "call", templates: {} }] }),
  },
  { method: "PATCH", path: "/api/dunning/policies/:id", access: "collect:write", entity: "missing", body: () => ({ name: "Renommée" }) },
  { method: "DELETE", path: "/api/dunning/policies/:id", access: "collect:write", entity: "missing" },
  {
    method: "PUT",
    path: "/api/customers/:id/dunning-policy",
    access: "collect:write",
    entity: "customer",
    body: () => ({ policyId: null }),
  },
  { method: "POST", path: "/api/dunning/preview", access: "read", body: (f) => ({ customerId: f.custA, stepId: 987654 }) },
  { method: "GET", path: "/api/dunning/approvals", access: "read" },
  { method: "POST", path: "/api/dunning/approvals/:id/approve", access: "collect:write", entity: "missing" },
  {
    method: "POST",
    path: "/api/dunning/approvals/:id/reject",
    access: "collect:write",
    entity: "missing",
    body: () => ({ reason: "non" }),
  },
  { method: "GET", path: "/api/dunning/messages", access: "read" },
  { method: "GET", path: "/api/dunning/messages/:id", access: "read", entity: "missing" },
  { method: "GET", path: "/api/dunning/messages/:id/attachment", access: "read", entity: "missing" },
  { method: "POST", path: "/api/dunning/run", access: "collect:write", body: () => ({ asOf: "2026-01-02", dryRun: false }) },
  // A raw RFC 822 body; without one the least-privileged role gets a 400, the others 401/403 first.
  { method: "POST", path: "/api/dunning/bounces", access: "collect:write" },
  // Settings.
  { method: "GET", path: "/api/settings", access: "read" },
  { method: "GET", path: "/api/settings/logo", access: "read" },
  { method: "PATCH", path: "/api/settings", access: "admin", body: () => ({ "company.name": "Alpha SAS" }) },
  { method: "POST", path: "/api/settings/test-email", access: "admin", body: () => ({ to: "test@alpha.example" }) },
];

/** Roles that must get 403 on each kind of write, written out rather than derived from the code under test. */
const DENIED: Partial<Record<Access, Role[]>> = {
  "customers:write": ["viewer"],
  "collect:write": ["viewer", "accountant"],
  "ledger:write": ["viewer", "collector"],
  admin: ["viewer", "collector", "accountant"],
};
/** The least-privileged role that may do each kind of write. */
const LEAST_ALLOWED: Partial<Record<Access, Role>> = {
  "customers:write": "collector",
  "collect:write": "collector",
  "ledger:write": "accountant",
  admin: "admin",
};

const key = (method: string, path: string) => `${method} ${path}`;

/**
 * Reads the routes out of `app.printRoutes()`: a radix tree drawn with box characters, one
 * node per line, whose full path is its parents' segments concatenated.
 */
function registeredRoutes(app: App): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split("\n")) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    const full = (depth > 0 ? (stack[depth - 1] ?? "") : "") + (m[2] as string);
    stack[depth] = full;
    stack.length = depth + 1;
    for (const method of (m[3] ?? "").split(",").map((s) => s.trim())) {
      if (method && method !== "HEAD") out.push({ method, path: full });
    }
  }
  return out;
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
  const body = res.json() as Record<string, unknown>;
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, code, detail: expect.any(String) });
  expect((body.detail as string).length).toBeGreaterThan(0);
  return body;
}

describe.each(BACKENDS)("API security on %s", (backend) => {
  let t: TestDb;
  let app: App;
  const cookies = {} as Record<"ownerA" | "ownerB" | "both" | Role, string>;
  const ids = {} as {
    orgA: number;
    orgB: number;
    custA: number;
    custB: number;
    docA: number;
    docB: number;
    payA: number;
    payB: number;
    adminA: number;
    memberA: number;
  };
  let apiKeyB = "";
  let seq = 0;

  async function insertPayment(orgId: number, customerId: number, amount: number) {
    return t.store.db
      .insertInto("payments")
      .values({ org_id: orgId, customer_id: customerId, date: "2026-10-15", amount })
      .returning("id")
      .executeTakeFirstOrThrow();
  }

  beforeAll(async () => {
    // POST /api/settings/test-email writes an .eml without SMTP_URL: into a temporary directory, not ./data.
    delete process.env.SMTP_URL;
    process.env.RELANCE_MAIL_DIR = await mkdtemp(path.join(tmpdir(), "relance-security-mail-"));
    t = await openTestDb(backend);
    const a = await makeOrg(t.store, "alpha");
    const b = await makeOrg(t.store, "beta");
    ids.orgA = a.org.id;
    ids.orgB = b.org.id;
    for (const role of ["admin", "collector", "accountant", "viewer"] as const) {
      const m = await makeMember(t.store, a.org.id, role, `${role}@alpha.example`);
      if (role === "admin") ids.adminA = m.id;
    }
    ids.memberA = (await makeMember(t.store, a.org.id, "collector", "target@alpha.example")).id;
    // One person in both organisations: viewer in alpha, owner in beta.
    await makeMember(t.store, a.org.id, "viewer", "both@example.com");
    await makeMember(t.store, b.org.id, "owner", "both@example.com");
    const ca = await makeCustomer(t.store, a.org.id, "A-1", { name: "Alpha Client" });
    const cb = await makeCustomer(t.store, b.org.id, "B-1", { name: "Beta Client" });
    ids.custA = ca.id;
    ids.custB = cb.id;
    ids.docA = (await makeInvoice(t.store, a.org.id, ca.id, "FA-1", 100_000)).id;
    ids.docB = (await makeInvoice(t.store, b.org.id, cb.id, "FB-1", 100_000)).id;
    ids.payA = (await insertPayment(a.org.id, ca.id, 50_000)).id;
    ids.payB = (await insertPayment(b.org.id, cb.id, 50_000)).id;
    apiKeyB = (await createApiKey(t.store.db, cliActor(b.org.id), { name: "beta-admin", role: "admin" })).key;

    app = await makeApp(t.store);
    cookies.ownerA = await loginCookie(app, a.ownerEmail);
    cookies.ownerB = await loginCookie(app, b.ownerEmail);
    for (const role of ["admin", "collector", "accountant", "viewer"] as const)
      cookies[role] = await loginCookie(app, `${role}@alpha.example`);
    const res = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { email: "both@example.com", password: "correct horse battery", org: "beta" },
    });
    expect(res.statusCode).toBe(200);
    cookies.both = `relance_session=${res.cookies.find((c) => c.name === "relance_session")?.value}`;
  });

  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  const fixture = (): Fixture => ({ custA: ids.custA, docA: ids.docA, payA: ids.payA, seq: () => ++seq });
  const urlOf = (r: RouteCase) => {
    const entityId = { customer: ids.custA, document: ids.docA, payment: ids.payA, user: ids.memberA, missing: 987654 }[
      r.entity ?? "missing"
    ];
    const path = r.path.replace(":id", String(entityId));
    return r.query ? `${path}?${r.query(fixture())}` : path;
  };

  /** A multipart/form-data body, as a browser sends a file upload. */
  function multipart(fields: Record<string, string>, file: { name: string; content: string }) {
    const boundary = `----relance-test-${++seq}`;
    const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
    parts.push(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n${file.content}\r\n`,
    );
    return { payload: `${parts.join("")}--${boundary}--\r\n`, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
  }

  /** A request that passes the route's validation, naming org A's rows, so that only authorisation decides. */
  function validRequest(r: RouteCase, headers: Record<string, string>) {
    if (r.upload) {
      const m = multipart({ kind: "customers", dryRun: "true" }, { name: "clients.csv", content: "code_client;nom\nIMP-1;Importé\n" });
      return { method: r.method, url: urlOf(r), payload: m.payload, headers: { ...headers, ...m.headers } };
    }
    return { method: r.method, url: urlOf(r), headers, ...(r.body ? { payload: r.body(fixture()) } : {}) };
  }

  const auditCount = async (orgId: number) =>
    Number(
      (
        await t.store.db
          .selectFrom("audit_log")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("org_id", "=", orgId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("lists every registered /api route in the security table (a new route must be added here)", () => {
    const registered = registeredRoutes(app).filter((r) => r.path.startsWith("/api/") && !r.path.startsWith("/api/docs"));
    expect(registered.length).toBeGreaterThan(10);
    expect(registered.map((r) => key(r.method, r.path)).sort()).toEqual(ROUTES.map((r) => key(r.method, r.path)).sort());
  });

  it("serves the API documentation and health without a session, and nothing else", async () => {
    expect((await app.inject({ method: "GET", url: "/api/docs/json" })).statusCode).toBe(200);
    const health = await app.inject({ method: "GET", url: "/api/health" });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: "ok", database: backend });
    // Logging out without a session is harmless and says so.
    expect((await app.inject({ method: "POST", url: "/api/auth/logout" })).statusCode).toBe(204);
    expect((await app.inject({ method: "GET", url: "/api/setup/status" })).json()).toMatchObject({ needsSetup: false });
    // The first-run screen cannot be replayed to take over an installation.
    const takeover = await app.inject({
      method: "POST",
      url: "/api/setup",
      payload: { orgName: "Pirate", email: "pirate@example.com", password: "a long enough password" },
    });
    expectProblem(takeover, 409, "conflict");
    expect(await t.store.db.selectFrom("users").select("id").where("email", "=", "pirate@example.com").execute()).toEqual([]);
    // An unknown route stays a 404, with or without a session.
    expectProblem(await app.inject({ method: "GET", url: "/api/nope" }), 404, "not_found");
  });

  const protectedRoutes = ROUTES.filter((r) => r.access !== "public");

  it.each(protectedRoutes.map((r) => [key(r.method, r.path), r] as const))(
    "%s answers 401 problem details without a session, before looking at the input",
    async (_name, r) => {
      // An empty body would be a 400 for every write: authentication must be checked first.
      const res = await app.inject({ method: r.method, url: urlOf(r), ...(r.method === "GET" ? {} : { payload: {} }) });
      const body = expectProblem(res, 401, "unauthenticated");
      expect(body.problems ?? []).toEqual([]);
    },
  );

  it.each(protectedRoutes.map((r) => [key(r.method, r.path), r] as const))(
    "%s answers 401 to an unknown API key and to an unknown session cookie",
    async (_name, r) => {
      const bearer = await app.inject(validRequest(r, { authorization: "Bearer rlk_notAKeyThatExists0000000000000000000000000" }));
      expectProblem(bearer, 401, "unauthenticated");
      const cookie = await app.inject(validRequest(r, { cookie: "relance_session=forged" }));
      expectProblem(cookie, 401, "unauthenticated");
    },
  );

  const writes = ROUTES.filter((r) => DENIED[r.access]);
  const denials = writes.flatMap((r) => (DENIED[r.access] as Role[]).map((role) => [key(r.method, r.path), role, r] as const));

  it.each(denials)("%s is forbidden (403) to a %s, and writes nothing", async (_name, role, r) => {
    const before = await auditCount(ids.orgA);
    const res = await app.inject(validRequest(r, { cookie: cookies[role] }));
    const body = expectProblem(res, 403, "forbidden");
    expect(body.detail).toContain(role);
    expect(await auditCount(ids.orgA)).toBe(before);
  });

  it("forbids writes to an API key with the viewer role", async () => {
    const { key: viewerKey } = await createApiKey(t.store.db, cliActor(ids.orgA), { name: "ro", role: "viewer" });
    for (const r of writes) {
      expectProblem(await app.inject(validRequest(r, { authorization: `Bearer ${viewerKey}` })), 403, "forbidden");
    }
    const read = await app.inject({ method: "GET", url: "/api/customers", headers: { authorization: `Bearer ${viewerKey}` } });
    expect(read.statusCode).toBe(200);
  });

  it("lets a viewer through every read route and the least-privileged allowed role through each write", async () => {
    const refused: string[] = [];
    for (const r of ROUTES.filter((x) => x.access !== "public")) {
      const role = r.access === "read" ? "viewer" : (LEAST_ALLOWED[r.access] as Role);
      const res = await app.inject(validRequest(r, { cookie: cookies[role] }));
      const name = `${key(r.method, r.path)} as ${role} → ${res.statusCode} ${res.body.slice(0, 200)}`;
      if (r.core) {
        if (![200, 201].includes(res.statusCode)) refused.push(name);
      } else if ([401, 403].includes(res.statusCode) || res.statusCode >= 500) refused.push(name);
    }
    expect(refused).toEqual([]);
  });

  it("answers 404 to org B for every route naming one of org A's rows, and writes nothing", async () => {
    const auditA = await auditCount(ids.orgA);
    const auditB = await auditCount(ids.orgB);
    const wrong: string[] = [];
    const naming = ROUTES.filter((x) => (x.entity && x.entity !== "missing") || x.namesRows);
    expect(naming.length).toBeGreaterThan(15);
    for (const r of naming) {
      const res = await app.inject(validRequest(r, { cookie: cookies.ownerB }));
      if (res.statusCode !== 404) wrong.push(`${key(r.method, r.path)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
    expect(await auditCount(ids.orgA)).toBe(auditA);
    expect(await auditCount(ids.orgB)).toBe(auditB);
  });

  it("answers 404 to a user of org B asking for org A's rows, exactly as for ids that do not exist", async () => {
    const asB = { cookie: cookies.ownerB };
    for (const [url, missing] of [
      [`/api/customers/${ids.custA}`, "/api/customers/987654"],
      [`/api/documents/${ids.docA}`, "/api/documents/987654"],
      [`/api/payments/${ids.payA}`, "/api/payments/987654"],
    ] as const) {
      const other = expectProblem(await app.inject({ method: "GET", url, headers: asB }), 404, "not_found");
      const none = expectProblem(await app.inject({ method: "GET", url: missing, headers: asB }), 404, "not_found");
      expect(other.detail).toBe(none.detail);
    }
    // The same through org B's API key.
    const viaKey = await app.inject({ method: "GET", url: `/api/customers/${ids.custA}`, headers: { authorization: `Bearer ${apiKeyB}` } });
    expectProblem(viaKey, 404, "not_found");
  });

  it("answers 404 to every write by org B on org A's rows, and leaves them untouched", async () => {
    const asB = { cookie: cookies.ownerB };
    const attempts: { method: Method; url: string; payload: Record<string, unknown> }[] = [
      { method: "PATCH", url: `/api/customers/${ids.custA}`, payload: { name: "Pris par B" } },
      { method: "PATCH", url: `/api/documents/${ids.docA}`, payload: { dueDate: "2026-12-31" } },
      // B allocating A's payment to A's document, to B's document, and B's payment to A's document.
      {
        method: "POST",
        url: `/api/payments/${ids.payA}/allocations`,
        payload: { allocations: [{ documentId: ids.docA, amount: "1.00" }] },
      },
      {
        method: "POST",
        url: `/api/payments/${ids.payA}/allocations`,
        payload: { allocations: [{ documentId: ids.docB, amount: "1.00" }] },
      },
      {
        method: "POST",
        url: `/api/payments/${ids.payB}/allocations`,
        payload: { allocations: [{ documentId: ids.docA, amount: "1.00" }] },
      },
      // Creating B's rows that point at A's customer or A's user.
      {
        method: "POST",
        url: "/api/documents",
        payload: { number: "FB-X", customerId: ids.custA, issueDate: "2026-10-01", total: "10.00" },
      },
      { method: "POST", url: "/api/payments", payload: { date: "2026-10-01", amount: "10.00", customerId: ids.custA } },
      { method: "POST", url: "/api/customers", payload: { ref: "B-X", name: "X", assignedUserId: ids.adminA } },
      { method: "PATCH", url: `/api/customers/${ids.custB}`, payload: { assignedUserId: ids.adminA } },
      // B's owner changing the role of one of A's members.
      { method: "PATCH", url: `/api/users/${ids.memberA}`, payload: { role: "viewer" } },
    ];
    const auditA = await auditCount(ids.orgA);
    const auditB = await auditCount(ids.orgB);
    for (const a of attempts) {
      const res = await app.inject({ method: a.method, url: a.url, headers: asB, payload: a.payload });
      expectProblem(res, 404, "not_found");
    }
    expect(await auditCount(ids.orgA)).toBe(auditA);
    expect(await auditCount(ids.orgB)).toBe(auditB);
    const custA = await t.store.db.selectFrom("customers").select("name").where("id", "=", ids.custA).executeTakeFirstOrThrow();
    expect(custA.name).not.toBe("Pris par B");
    const docA = await t.store.db.selectFrom("documents").select("due_date").where("id", "=", ids.docA).executeTakeFirstOrThrow();
    expect(docA.due_date).not.toBe("2026-12-31");
    const crossAllocations = await t.store.db
      .selectFrom("allocations")
      .select("id")
      .where((eb) => eb.or([eb("payment_id", "=", ids.payB), eb("document_id", "=", ids.docB)]))
      .execute();
    expect(crossAllocations).toEqual([]);
    const custB = await t.store.db.selectFrom("customers").select("assigned_user_id").where("id", "=", ids.custB).executeTakeFirstOrThrow();
    expect(custB.assigned_user_id).toBeNull();
    const member = await t.store.db
      .selectFrom("memberships")
      .select("role")
      .where("org_id", "=", ids.orgA)
      .where("user_id", "=", ids.memberA)
      .executeTakeFirstOrThrow();
    expect(member.role).toBe("collector");
  });

  it("never lists another organisation's rows, even when the search matches them", async () => {
    for (const [cookie, own, other] of [
      [cookies.ownerA, ids.orgA, ids.orgB],
      [cookies.ownerB, ids.orgB, ids.orgA],
    ] as const) {
      for (const resource of ["customers", "documents", "payments"] as const) {
        const res = await app.inject({ method: "GET", url: `/api/${resource}?limit=200`, headers: { cookie } });
        expect(res.statusCode).toBe(200);
        const listed = (res.json() as { items: { id: number }[] }).items.map((i) => i.id).sort((x, y) => x - y);
        const table = resource;
        const expected = (await t.store.db.selectFrom(table).select("id").where("org_id", "=", own).orderBy("id").execute()).map(
          (r) => r.id,
        );
        const foreign = (await t.store.db.selectFrom(table).select("id").where("org_id", "=", other).execute()).map((r) => r.id);
        expect(listed).toEqual(expected);
        expect(foreign.length).toBeGreaterThan(0);
        expect(listed.filter((id) => foreign.includes(id))).toEqual([]);
      }
      // Users are global (one person may belong to both): the team is the organisation's memberships.
      const team = await app.inject({ method: "GET", url: "/api/users", headers: { cookie } });
      const members = (await t.store.db.selectFrom("memberships").select("user_id").where("org_id", "=", own).execute()).map(
        (m) => m.user_id,
      );
      expect((team.json() as { items: { id: number }[] }).items.map((i) => i.id).sort((x, y) => x - y)).toEqual(
        members.sort((x, y) => x - y),
      );
    }
    // Derived lists too: the payments to reconcile of B name none of A's customers or invoices.
    const unmatched = await app.inject({ method: "GET", url: "/api/payments/unmatched", headers: { cookie: cookies.ownerB } });
    expect(unmatched.statusCode).toBe(200);
    expect(unmatched.body).not.toMatch(/Alpha Client|FA-1|A-1/);
    const search = await app.inject({ method: "GET", url: "/api/customers?q=client", headers: { cookie: cookies.ownerB } });
    expect((search.json() as { items: { ref: string }[] }).items.map((i) => i.ref)).toEqual(["B-1"]);
    const docs = await app.inject({ method: "GET", url: "/api/documents?q=F", headers: { cookie: cookies.ownerB } });
    expect((docs.json() as { items: { number: string }[] }).items.map((i) => i.number)).toEqual(["FB-1"]);
  });

  it("keeps a session in the organisation it was opened for, for a person who belongs to two", async () => {
    const me = await app.inject({ method: "GET", url: "/api/auth/me", headers: { cookie: cookies.both } });
    expect(me.json()).toMatchObject({ org: { slug: "beta" }, role: "owner" });
    const res = await app.inject({ method: "GET", url: `/api/customers/${ids.custA}`, headers: { cookie: cookies.both } });
    expectProblem(res, 404, "not_found");
    const notMember = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { email: "viewer@alpha.example", password: "correct horse battery", org: "beta" },
    });
    expectProblem(notMember, 401, "unauthenticated");
    expect(notMember.cookies.find((c) => c.name === "relance_session")).toBeUndefined();
  });
});
