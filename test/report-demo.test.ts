import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemo } from "../src/demo/generate.js";
import { addDays, daysBetween } from "../src/domain/dates.js";
import { reportAging } from "../src/services/report-aging.js";
import { reportBehaviour } from "../src/services/report-behaviour.js";
import { reportDso } from "../src/services/report-dso.js";
import { reportForecast } from "../src/services/report-forecast.js";
import { reportRisk } from "../src/services/report-risk.js";
import { seedDemo } from "../src/services/seed-demo.js";
import { openTestDb, type TestDb } from "./helpers/db.js";
import { makeOrg } from "./helpers/factories.js";

// The demo tells a story (late payers, some getting worse, two defaulted customers,
// disputes, promises); the reports must tell it back.
const AS_OF = "2026-11-25";

/**
 * Customers whose payments got later, computed straight from the generated data (not with
 * the report code): the average of (payment date − due date) of invoices paid in one go
 * during the last 120 days, against the 245 days before, up by 15 days or more.
 */
function customersGettingWorse(): Set<string> {
  const data = generateDemo({ seed: 1, asOf: AS_OF });
  const due = new Map(data.documents.map((d) => [d.number, d]));
  const late = new Map<string, { recent: number[]; before: number[] }>();
  for (const p of data.payments) {
    if (p.allocations.length !== 1) continue;
    const a = p.allocations[0];
    const doc = a && due.get(a.documentNumber);
    if (!doc || a.amount !== doc.total) continue;
    const age = daysBetween(p.date, AS_OF);
    if (age > 364) continue;
    const e = late.get(p.customerRef) ?? { recent: [], before: [] };
    (age < 120 ? e.recent : e.before).push(daysBetween(doc.dueDate, p.date));
    late.set(p.customerRef, e);
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const worse = new Set<string>();
  for (const [ref, e] of late) if (e.recent.length >= 2 && e.before.length >= 2 && mean(e.recent) - mean(e.before) >= 15) worse.add(ref);
  return worse;
}

describe("the demo data's story, told by the reports", () => {
  let t: TestDb;
  let owner: Awaited<ReturnType<typeof makeOrg>>["owner"];

  beforeAll(async () => {
    t = await openTestDb("pglite");
    owner = (await makeOrg(t.store, "demo")).owner;
    await seedDemo(t.store, owner, { seed: 1, asOf: AS_OF });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("applies every credit note to the invoice it credits: none left floating, no invoice chased for it", async () => {
    const docs = await sql<{ number: string; kind: string; open_balance: number }>`
      select number, kind, open_balance from documents where org_id = ${owner.orgId}`.execute(t.store.db);
    const notes = docs.rows.filter((d) => d.kind === "credit_note");
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.filter((n) => n.open_balance !== 0)).toEqual([]);
    expect(docs.rows.filter((d) => d.kind === "invoice" && d.open_balance < 0)).toEqual([]);
  });

  it("has a plausible DSO for a French SME paid at 30–60 days", async () => {
    const { figures: f } = await reportDso(t.store.db, owner, { asOf: AS_OF });
    expect(f.dso).toBeGreaterThan(30);
    expect(f.dso).toBeLessThan(90);
    expect(f.countback.dso).toBeGreaterThan(30);
    expect(f.countback.dso).toBeLessThan(90);
    expect(f.bestPossibleDso).toBeLessThan(f.dso ?? 0); // some customers pay late: ADD > 0
    expect(f.add).toBeGreaterThan(3);
    expect(f.cei).toBeGreaterThan(50);
    expect(f.cei).toBeLessThanOrEqual(100);
  });

  it("has money in every aging bucket, and the aging adds up to the DSO's receivables", async () => {
    const aging = await reportAging(t.store.db, owner, { asOf: AS_OF });
    for (const b of aging.buckets) {
      expect(b.count, b.key).toBeGreaterThan(0);
      expect(b.total, b.key).toBeGreaterThan(0);
    }
    const { figures } = await reportDso(t.store.db, owner, { asOf: AS_OF });
    expect(aging.ar).toBe(figures.ar);
    expect(aging.unapplied.total).toBeGreaterThan(0); // receipts still to reconcile
  });

  it("puts the defaulted customers at the top of the risk report", async () => {
    const risk = await reportRisk(t.store.db, owner, { asOf: AS_OF });
    const defaulted = risk.customers.filter((c) => c.status === "defaulted");
    expect(defaulted).toHaveLength(2);
    expect(risk.customers.slice(0, 2).map((c) => c.status)).toEqual(["defaulted", "defaulted"]);
  });

  it("flags the customers that got worse: a worsening factor and a risk above the others'", async () => {
    const worse = customersGettingWorse();
    expect(worse.size).toBeGreaterThanOrEqual(3);
    const risk = await reportRisk(t.store.db, owner, { asOf: AS_OF });
    const byRef = new Map(risk.customers.map((c) => [c.ref, c]));
    const flagged = [...worse].filter((ref) => (byRef.get(ref)?.factors.find((f) => f.key === "worsening")?.points ?? 0) > 0);
    expect(flagged.length / worse.size).toBeGreaterThanOrEqual(0.8);
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
    const others = risk.customers.filter((c) => !worse.has(c.ref) && c.status === "active").map((c) => c.score);
    expect(median([...worse].map((ref) => byRef.get(ref)?.score ?? 0))).toBeGreaterThan(median(others));
    const behaviour = await reportBehaviour(t.store.db, owner, { asOf: AS_OF, sort: "worsening", limit: 20 });
    const topWorsening = new Set(behaviour.customers.map((c) => c.ref));
    expect([...worse].filter((ref) => topWorsening.has(ref)).length / worse.size).toBeGreaterThanOrEqual(0.6);
  });

  it("sees customers whose risk rose over the last 30 days", async () => {
    const risk = await reportRisk(t.store.db, owner, { asOf: AS_OF });
    expect(risk.rose.length).toBeGreaterThan(0);
    for (const c of risk.rose) expect(c.score - c.previousScore).toBeGreaterThanOrEqual(10);
  });

  it("forecasts every open euro, and its past weeks are in the range of what came in", async () => {
    const f = await reportForecast(t.store.db, owner, { asOf: AS_OF });
    const aging = await reportAging(t.store.db, owner, { asOf: AS_OF });
    expect(f.total).toBe(aging.total);
    expect(f.doubtful).toBeGreaterThan(0); // the defaulted customers' invoices
    expect(f.disputed).toBeGreaterThan(0);
    const expected = f.past.reduce((s, w) => s + w.expected, 0);
    const received = f.past.reduce((s, w) => s + w.received, 0);
    expect(expected).toBeGreaterThan(received * 0.5);
    expect(expected).toBeLessThan(received * 1.5);
    expect(f.past[0]?.from).toBe(addDays(AS_OF, -27));
  });
});
