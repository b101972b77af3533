import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../src/api/app.js";
import { RISK_HIGH_SCORE } from "../src/domain/risk.js";
import { reportRisk } from "../src/services/report-risk.js";
import { scoreCustomers } from "../src/services/risk-scores.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { loginCookie, makeApp, makeCustomer, makeInvoice, makeOrg } from "./helpers/factories.js";

type Json = Record<string, unknown>;
const AS_OF = "2026-11-20";

describe.each(BACKENDS)("customer risk in the list and on the customer page on %s", (backend) => {
  let t: TestDb;
  let app: App;
  let cookie: string;
  let owner: Awaited<ReturnType<typeof makeOrg>>["owner"];
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await openTestDb(backend);
    app = await makeApp(t.store);
    const o = await makeOrg(t.store, "risk");
    owner = o.owner;
    cookie = await loginCookie(app, o.ownerEmail);
    // A: 10 000.00 more than 60 days overdue, over its 5 000.00 credit limit — high risk.
    // D: its 5 000.00 passed 60 days overdue during the last 30 days — its risk rose.
    // B: not yet due. C: nothing at all.
    for (const [ref, extra] of [
      ["A", { credit_limit: 500_000 }],
      ["B", {}],
      ["C", {}],
      ["D", {}],
    ] as const) {
      ids[ref] = (await makeCustomer(t.store, o.org.id, ref, { name: `Client ${ref}`, ...extra })).id;
    }
    await makeInvoice(t.store, o.org.id, ids.A as number, "A-1", 1_000_000, "2026-06-01", "2026-07-01");
    await makeInvoice(t.store, o.org.id, ids.B as number, "B-1", 100_000, "2026-11-01", "2026-12-31");
    await makeInvoice(t.store, o.org.id, ids.D as number, "D-1", 500_000, "2026-08-16", "2026-09-15");
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  const get = async (url: string) => {
    const res = await app.inject({ method: "GET", url, headers: { cookie } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Json;
  };
  const listIds = async (query: string) => ((await get(`/api/customers?${query}`)).items as { id: number }[]).map((i) => i.id);

  it("serves the risk report from the snapshot, ordered, equal to scoring every customer afresh", async () => {
    const fresh = (await scoreCustomers(t.store.db, owner.orgId, AS_OF)).customers;
    const byRef = (a: { ref: string }, b: { ref: string }) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);
    const expected = [...fresh].sort((a, b) => b.score - a.score || b.receivables - a.receivables || byRef(a, b));
    const risen = fresh.filter((c) => c.rose).sort((a, b) => b.change - a.change || b.score - a.score || byRef(a, b));
    expect(expected.length).toBeGreaterThan(1);
    const computedAt = async () =>
      (await sql<{ at: Date }>`select computed_at as at from snapshots where org_id = ${owner.orgId} and kind = 'risk'`.execute(t.store.db))
        .rows[0]?.at;
    const report = await reportRisk(t.store.db, owner, { asOf: AS_OF });
    expect(report).toMatchObject({ asOf: AS_OF, comparedTo: "2026-10-21", customerCount: fresh.length });
    expect(report.customers).toEqual(expected);
    expect(report.rose).toEqual(risen);
    const made = await computedAt();
    expect(made).toBeDefined();
    const top = await reportRisk(t.store.db, owner, { asOf: AS_OF, limit: 1 });
    expect(top).toMatchObject({ customerCount: fresh.length, customers: expected.slice(0, 1), rose: risen.slice(0, 1) });
    expect(await computedAt()).toEqual(made); // read, not scored again
  });

  it("filters high-risk and rising customers exactly as the risk scores say", async () => {
    const report = { customers: (await scoreCustomers(t.store.db, owner.orgId, AS_OF)).customers };
    report.customers.sort((a, b) => b.score - a.score);
    const rose = report.customers.filter((c) => c.rose).map((c) => c.id);
    const high = report.customers.filter((c) => c.score >= RISK_HIGH_SCORE).map((c) => c.id);
    // The data is built so that both filters keep some customers and drop others.
    expect(high).toEqual([ids.A]);
    expect(rose).toContain(ids.D);
    expect(rose).not.toContain(ids.B);

    expect((await listIds(`risk=high&asOf=${AS_OF}`)).sort()).toEqual([...high].sort());
    expect((await listIds(`risk=rising&asOf=${AS_OF}`)).sort()).toEqual([...rose].sort());
    // Sorted by risk: highest first, then the others down to those that score nothing.
    const byRisk = await get(`/api/customers?sort=risk&asOf=${AS_OF}`);
    const items = byRisk.items as { id: number; risk: number; riskRose: boolean }[];
    expect(items.map((i) => i.risk)).toEqual([...items.map((i) => i.risk)].sort((a, b) => b - a));
    const scoreOf = new Map(report.customers.map((c) => [c.id, c.score]));
    for (const i of items) expect(i.risk).toBe(scoreOf.get(i.id) ?? 0);
    expect(byRisk.riskAsOf).toBe(AS_OF);
  });

  it("gives one customer's score and factors from the same snapshot, and 404 for an unknown one", async () => {
    const report = await reportRisk(t.store.db, owner, { asOf: AS_OF });
    const a = report.customers.find((c) => c.id === ids.A);
    const r = await get(`/api/customers/${ids.A}/risk?asOf=${AS_OF}`);
    expect(r).toMatchObject({ score: a?.score, previousScore: a?.previousScore, rose: a?.rose, asOf: AS_OF });
    expect(r.factors).toEqual(a?.factors);
    expect((r.factors as { key: string; points: number }[]).filter((f) => f.points > 0).map((f) => f.key)).toEqual(
      expect.arrayContaining(["overdue_share", "severe_overdue_share", "credit_limit"]),
    );
    const c = await get(`/api/customers/${ids.C}/risk?asOf=${AS_OF}`);
    expect(c).toMatchObject({ score: 0, previousScore: 0, rose: false, factors: [] });
    const missing = await app.inject({ method: "GET", url: "/api/customers/999999/risk", headers: { cookie } });
    expect(missing.statusCode).toBe(404);
  });

  it("reuses a fresh snapshot, and makes a new one for another date", async () => {
    const first = await get(`/api/customers/${ids.A}/risk?asOf=${AS_OF}`);
    const again = await get(`/api/customers/${ids.A}/risk?asOf=${AS_OF}`);
    expect(again.computedAt).toBe(first.computedAt);
    // On 2026-07-15 A was 14 days late on an invoice then the whole AR: another score.
    const earlier = await get(`/api/customers/${ids.A}/risk?asOf=2026-07-15`);
    expect(earlier.asOf).toBe("2026-07-15");
    expect(earlier.score).not.toBe(first.score);
    // The list for a date without a snapshot shows no scores rather than another date's.
    const plain = await get(`/api/customers?asOf=${AS_OF}`);
    expect(plain.riskAsOf).toBeNull();
    expect((plain.items as { risk: unknown }[]).every((i) => i.risk === null)).toBe(true);
  });

  it("computes the same balances whether the page needs every customer's or only its own", async () => {
    type Item = { id: number; outstanding: string; overdue: string; openDocuments: number };
    const byName = (await get(`/api/customers?sort=name&asOf=${AS_OF}`)).items as Item[];
    const byOverdue = (await get(`/api/customers?sort=overdue&asOf=${AS_OF}`)).items as Item[];
    const key = (xs: Item[]) => Object.fromEntries(xs.map((i) => [i.id, [i.outstanding, i.overdue, i.openDocuments]]));
    expect(key(byOverdue)).toEqual(key(byName));
    expect(key(byName)[ids.A as number]).toEqual(["10000.00", "10000.00", 1]);
    expect(key(byName)[ids.B as number]).toEqual(["1000.00", "0.00", 1]);
  });
  it("rebuilds the scores on the next read after any write to the ledger", async () => {
    const before = await get(`/api/customers/${ids.A}/risk?asOf=${AS_OF}`);
    expect(before.score as number).toBeGreaterThanOrEqual(RISK_HIGH_SCORE);
    // A pays its invoice in full on 2026-11-10: nothing overdue, nothing over its limit.
    const orgId = (
      await t.store.db
        .selectFrom("customers")
        .select("org_id")
        .where("id", "=", ids.A as number)
        .executeTakeFirstOrThrow()
    ).org_id;
    const doc = await t.store.db.selectFrom("documents").select("id").where("number", "=", "A-1").executeTakeFirstOrThrow();
    const pay = await t.store.db
      .insertInto("payments")
      .values({ org_id: orgId, customer_id: ids.A as number, date: "2026-11-10", amount: 1_000_000 })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.store.db
      .insertInto("allocations")
      .values({ org_id: orgId, payment_id: pay.id, document_id: doc.id, amount: 1_000_000, date: "2026-11-10" })
      .execute();
    const after = await get(`/api/customers/${ids.A}/risk?asOf=${AS_OF}`);
    expect(after.computedAt).not.toBe(before.computedAt);
    const fresh = await scoreCustomers(t.store.db, owner.orgId, AS_OF);
    expect(after.score).toBe(fresh.customers.find((c) => c.id === ids.A)?.score ?? 0);
    expect(after.score as number).toBeLessThan(RISK_HIGH_SCORE);
    expect(await listIds(`risk=high&asOf=${AS_OF}`)).not.toContain(ids.A);
  });
});
