import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../src/api/app.js";
import { cliActor } from "../src/services/actor.js";
import { agingToJson, reportAging } from "../src/services/report-aging.js";
import { dsoToJson, reportDso } from "../src/services/report-dso.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { loginCookie, makeApp, makeCustomer, makeInvoice, makeMember, makeOrg } from "./helpers/factories.js";

const EUR = 100;
const ROUTES = [
  "/api/reports/dso",
  "/api/reports/aging",
  "/api/reports/forecast",
  "/api/reports/risk",
  "/api/reports/trend",
  "/api/reports/bridge",
  "/api/reports/behaviour",
];

describe.each(BACKENDS)("report routes on %s", (backend) => {
  let t: TestDb;
  let app: App;
  let a: Awaited<ReturnType<typeof makeOrg>>;
  let b: Awaited<ReturnType<typeof makeOrg>>;
  let customerA: number;
  let cookieA: string;
  let cookieB: string;
  let viewerA: string;

  beforeAll(async () => {
    t = await openTestDb(backend);
    a = await makeOrg(t.store, "alpha");
    b = await makeOrg(t.store, "beta");
    // Alpha: 150 000 € open on 31/3/2025 (DESIGN count-back seed). Beta: one invoice of 1 000 €.
    const ca = await makeCustomer(t.store, a.org.id, "C1");
    customerA = ca.id;
    const jan = await makeInvoice(t.store, a.org.id, ca.id, "F-JAN", 50_000 * EUR, "2025-01-15", "2025-02-14");
    await makeInvoice(t.store, a.org.id, ca.id, "F-FEB", 60_000 * EUR, "2025-02-15", "2025-03-17");
    await makeInvoice(t.store, a.org.id, ca.id, "F-MAR", 80_000 * EUR, "2025-03-15", "2025-04-14");
    const p = await t.store.db
      .insertInto("payments")
      .values({ org_id: a.org.id, customer_id: ca.id, date: "2025-02-20", amount: 40_000 * EUR })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.store.db
      .insertInto("allocations")
      .values({ org_id: a.org.id, payment_id: p.id, document_id: jan.id, amount: 40_000 * EUR, date: "2025-02-20" })
      .execute();
    const cb = await makeCustomer(t.store, b.org.id, "C1");
    await makeInvoice(t.store, b.org.id, cb.id, "F-1", 1_000 * EUR, "2025-03-01", "2025-03-31");
    await makeMember(t.store, a.org.id, "viewer", "viewer@alpha.example");
    app = await makeApp(t.store);
    cookieA = await loginCookie(app, a.ownerEmail);
    cookieB = await loginCookie(app, b.ownerEmail);
    viewerA = await loginCookie(app, "viewer@alpha.example");
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  const get = (url: string, cookie?: string) => app.inject({ method: "GET", url, headers: cookie ? { cookie } : {} });

  it("refuses every report without a session (401 problem details)", async () => {
    for (const url of [...ROUTES, `/api/customers/${customerA}/behaviour`]) {
      const res = await get(`${url}?asOf=2025-03-31`);
      expect(res.statusCode, url).toBe(401);
      expect(res.headers["content-type"]).toContain("application/problem+json");
    }
  });

  it("answers the JSON of `relance report dso --json` (same service)", async () => {
    const res = await get("/api/reports/dso?asOf=2025-03-31", cookieA);
    expect(res.statusCode).toBe(200);
    const direct = await reportDso(t.store.db, cliActor(a.org.id), { asOf: "2025-03-31" });
    expect(res.json()).toEqual(dsoToJson(direct.asOf, direct.figures));
    expect(res.json().receivables).toBe("150000.00");
  });

  it("answers the aging of `relance report aging --json`, and lets a viewer read it", async () => {
    const res = await get("/api/reports/aging?asOf=2025-03-31&buckets=30,60,90", viewerA);
    expect(res.statusCode).toBe(200);
    const direct = await reportAging(t.store.db, cliActor(a.org.id), { asOf: "2025-03-31", customerLimit: 100 });
    expect(res.json()).toEqual(agingToJson(direct));
  });

  it("answers every report with 200 for a member", async () => {
    for (const url of ROUTES) {
      const res = await get(`${url}?asOf=2025-03-31`, cookieA);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      expect(res.body).not.toMatch(/NaN|Infinity/);
    }
    const res = await get(`/api/customers/${customerA}/behaviour?asOf=2025-03-31`, cookieA);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ref: "C1", paidDocuments: 0, daysLate: null });
  });

  it("never shows one organisation's figures to another", async () => {
    const dso = (await get("/api/reports/dso?asOf=2025-03-31", cookieB)).json();
    expect(dso.receivables).toBe("1000.00");
    expect(dso.revenue).toBe("1000.00");
    const aging = (await get("/api/reports/aging?asOf=2025-03-31", cookieB)).json();
    expect(aging.total).toBe("1000.00");
    expect(aging.customers.map((c: { id: number }) => c.id)).not.toContain(customerA);
    const risk = (await get("/api/reports/risk?asOf=2025-03-31", cookieB)).json();
    expect(risk.customers.map((c: { id: number }) => c.id)).not.toContain(customerA);
    const forecast = (await get("/api/reports/forecast?asOf=2025-03-31", cookieB)).json();
    expect(forecast.total).toBe("1000.00");
  });

  it("answers 404 for another organisation's customer", async () => {
    expect((await get(`/api/customers/${customerA}/behaviour`, cookieB)).statusCode).toBe(404);
    expect((await get(`/api/reports/aging?customerId=${customerA}`, cookieB)).statusCode).toBe(404);
    expect((await get(`/api/reports/behaviour?customerId=${customerA}`, cookieB)).statusCode).toBe(404);
  });

  it("answers 400 problem details for bad parameters", async () => {
    for (const url of [
      "/api/reports/dso?asOf=2025-02-30",
      "/api/reports/dso?from=2025-03-31&to=2025-01-01",
      "/api/reports/dso?days=0",
      "/api/reports/aging?buckets=60,30",
      "/api/reports/aging?buckets=abc",
      "/api/reports/forecast?weeks=0",
      "/api/reports/behaviour?sort=random",
      "/api/reports/bridge?asOf=2025-03-31&compareTo=2025-04-30",
    ]) {
      const res = await get(url, cookieA);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.headers["content-type"]).toContain("application/problem+json");
    }
  });
});
