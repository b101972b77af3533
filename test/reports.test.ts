import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { delayProfile } from "../src/domain/behaviour.js";
import { cliActor } from "../src/services/actor.js";
import { agingToJson, reportAging } from "../src/services/report-aging.js";
import { behaviourToJson, reportBehaviour } from "../src/services/report-behaviour.js";
import { reportBridge } from "../src/services/report-bridge.js";
import { dsoToJson, reportDso } from "../src/services/report-dso.js";
import { forecastToJson, reportForecast } from "../src/services/report-forecast.js";
import { reportRisk } from "../src/services/report-risk.js";
import { reportTrend, trendToJson } from "../src/services/report-trend.js";
import type { Store } from "../src/store/connect.js";
import { delayProfileColumns } from "../src/store/ledger-sql.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { makeCustomer, makeInvoice, makeOrg } from "./helpers/factories.js";

const EUR = 100;

/** Small ledgers written straight into the tables, amounts in euros (× `scale`). */
function ledger(store: Store, orgId: number, scale = 1) {
  const db = store.db;
  const cents = (euros: number) => Math.round(euros * EUR * scale);
  return {
    customer: (ref: string, extra: Record<string, unknown> = {}) => makeCustomer(store, orgId, ref, extra),
    invoice: async (customerId: number, number: string, euros: number, issue: string, due: string) =>
      (await makeInvoice(store, orgId, customerId, number, cents(euros), issue, due)).id,
    creditNote: async (customerId: number, number: string, euros: number, issue: string) =>
      (await makeInvoice(store, orgId, customerId, number, -cents(euros), issue, issue, "credit_note")).id,
    payment: async (customerId: number | null, date: string, euros: number, allocations: Array<[number, number]> = []) => {
      const p = await db
        .insertInto("payments")
        .values({ org_id: orgId, customer_id: customerId, date, amount: cents(euros) })
        .returning("id")
        .executeTakeFirstOrThrow();
      if (allocations.length > 0) {
        await db
          .insertInto("allocations")
          .values(
            allocations.map(([documentId, e]) => ({ org_id: orgId, payment_id: p.id, document_id: documentId, amount: cents(e), date })),
          )
          .execute();
      }
      return p.id;
    },
  };
}

describe.each(BACKENDS)("reports through the database on %s", (backend) => {
  let t: TestDb;
  const org: Record<string, number> = {};
  const actor = (name: string) => cliActor(org[name] as number);
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await openTestDb(backend);
    for (const name of ["jan", "year", "year7", "q1", "leap", "empty", "mix"]) org[name] = (await makeOrg(t.store, name)).org.id;

    // jan — DESIGN seed 40 000 / 100 000 × 31 = 12.4.
    {
      const l = ledger(t.store, org.jan as number);
      const c = await l.customer("C1");
      const f1 = await l.invoice(c.id, "F1", 60_000, "2025-01-05", "2025-02-04");
      await l.invoice(c.id, "F2", 40_000, "2025-01-20", "2025-02-19");
      await l.payment(c.id, "2025-01-25", 60_000, [[f1, 60_000]]);
    }

    // year — DESIGN seed 12 000 / 78 000 × 360 = 55.4, with a credit note, a partial payment,
    // an unallocated payment and a December without sales; year7 is the same ledger × 7.
    for (const [name, scale] of [
      ["year", 1],
      ["year7", 7],
    ] as const) {
      const l = ledger(t.store, org[name] as number, scale);
      const c = await l.customer("C1");
      const f1 = await l.invoice(c.id, "F1", 50_000, "2025-03-01", "2025-03-31");
      await l.payment(c.id, "2025-03-25", 50_000, [[f1, 50_000]]);
      const f2 = await l.invoice(c.id, "F2", 30_000, "2025-11-15", "2025-12-15");
      await l.creditNote(c.id, "AV1", 2_000, "2025-11-20");
      await l.payment(c.id, "2025-12-10", 15_000, [[f2, 15_000]]);
      await l.payment(c.id, "2025-12-20", 1_000);
    }

    // q1 and leap — DESIGN count-back seed: revenue Jan 50 000, Feb 60 000, Mar 80 000; AR 150 000 on 31/3.
    for (const [name, year] of [
      ["q1", 2025],
      ["leap", 2024],
    ] as const) {
      const l = ledger(t.store, org[name] as number);
      const c = await l.customer("C1");
      const jan = await l.invoice(c.id, "F-JAN", 50_000, `${year}-01-15`, `${year}-02-14`);
      await l.invoice(c.id, "F-FEB", 60_000, `${year}-02-15`, `${year}-03-17`);
      await l.invoice(c.id, "F-MAR", 80_000, `${year}-03-15`, `${year}-04-14`);
      await l.payment(c.id, `${year}-02-20`, 40_000, [[jan, 40_000]]);
    }

    // mix — behaviour, forecast and risk on three customers, as of 31/10/2025.
    {
      const l = ledger(t.store, org.mix as number);
      const k1 = await l.customer("K1", { credit_limit: 3_000 * EUR });
      const k2 = await l.customer("K2", { status: "defaulted" });
      const k3 = await l.customer("K3");
      ids.k1 = k1.id;
      ids.k2 = k2.id;
      ids.k3 = k3.id;
      // K1 paid 10 days late (1/6 → 11/7) then 20 days late (1/8 → 20/9).
      const p1 = await l.invoice(k1.id, "P-1", 1_000, "2025-06-01", "2025-07-01");
      await l.payment(k1.id, "2025-07-11", 1_000, [[p1, 1_000]]);
      const p2 = await l.invoice(k1.id, "P-2", 1_000, "2025-08-01", "2025-08-31");
      await l.payment(k1.id, "2025-09-20", 1_000, [[p2, 1_000]]);
      await l.invoice(k1.id, "O-1", 3_000, "2025-10-15", "2025-11-14");
      ids.o2 = await l.invoice(k1.id, "O-2", 500, "2025-10-01", "2025-10-31");
      const o3 = await l.invoice(k1.id, "O-3", 400, "2025-08-15", "2025-09-14");
      await l.payment(k1.id, "2025-10-28", 100, [[o3, 100]]);
      await t.store.db.updateTable("documents").set({ disputed: true }).where("id", "=", ids.o2).execute();
      await t.store.db
        .insertInto("disputes")
        .values({ org_id: org.mix as number, document_id: ids.o2, reason: "quantités", opened_at: "2025-10-20" })
        .execute();
      await t.store.db
        .insertInto("promises")
        .values({ org_id: org.mix as number, customer_id: k1.id, amount: 400 * EUR, promised_date: "2025-10-10", status: "broken" })
        .execute();
      await l.invoice(k2.id, "D-1", 2_000, "2025-05-01", "2025-05-31");
      await l.invoice(k3.id, "N-1", 1_000, "2025-10-20", "2025-11-19");
    }
  });
  afterAll(async () => {
    await t?.dispose();
  });

  describe("report dso", () => {
    it("DESIGN seed: 40 000 / 100 000 × 31 = 12.4 (classic, count-back, best possible, CEI)", async () => {
      const r = await reportDso(t.store.db, actor("jan"), { from: "2025-01-01", to: "2025-01-31" });
      expect(dsoToJson(r.asOf, r.figures)).toEqual({
        asOf: "2025-01-31",
        from: "2025-01-01",
        to: "2025-01-31",
        days: 31,
        receivables: "40000.00",
        revenue: "100000.00",
        dso: { classic: expect.closeTo(12.4, 10), countback: expect.closeTo(12.4, 10), bestPossible: expect.closeTo(12.4, 10), add: 0 },
        cei: 100,
        countbackExhausted: false,
        notDue: "40000.00",
        receivablesBefore: "0.00",
      });
    });

    it("DESIGN seed: 12 000 / 78 000 × 360 = 55.4, with a credit note, a partial and an unallocated payment", async () => {
      const r = await reportDso(t.store.db, actor("year"), { from: "2025-01-01", to: "2025-12-31", days: 360 });
      const j = dsoToJson(r.asOf, r.figures);
      expect(j.receivables).toBe("12000.00"); // F2 15 000 + AV1 −2 000 − unallocated 1 000
      expect(j.revenue).toBe("78000.00"); // 50 000 + 30 000 − 2 000
      expect(j.days).toBe(360);
      expect(j.dso.classic).toBeCloseTo((12_000 / 78_000) * 360, 10);
      expect(Math.round((j.dso.classic ?? 0) * 10) / 10).toBe(55.4);
      expect(j.dso.bestPossible).toBe(0); // nothing is still to fall due on 31/12
      expect(j.dso.add).toBeCloseTo(j.dso.classic ?? 0, 10);
      expect(j.cei).toBeCloseTo(((78_000 - 12_000) / 78_000) * 100, 10);
    });

    it("count-back through a month without sales: 31 (December) + 12 000 / 28 000 × 30 (November)", async () => {
      const r = await reportDso(t.store.db, actor("year"), { asOf: "2025-12-31" });
      expect(r.figures.countback.dso).toBeCloseTo(31 + (12_000 / 28_000) * 30, 10);
      expect(r.figures.countback.months.map((m) => [m.month, m.revenue])).toEqual([
        ["2025-12", 0],
        ["2025-11", 28_000 * EUR],
      ]);
    });

    it("is unchanged when every amount is multiplied by 7", async () => {
      const a = await reportDso(t.store.db, actor("year"), { from: "2025-01-01", to: "2025-12-31" });
      const b = await reportDso(t.store.db, actor("year7"), { from: "2025-01-01", to: "2025-12-31" });
      expect(b.figures.ar).toBe(7 * a.figures.ar);
      expect(b.figures.dso).toBeCloseTo(a.figures.dso ?? 0, 12);
      expect(b.figures.countback.dso).toBeCloseTo(a.figures.countback.dso, 12);
      expect(b.figures.cei).toBeCloseTo(a.figures.cei ?? 0, 12);
    });

    it("DESIGN seed: count-back 31 + 28 + 10 000 / 50 000 × 31 = 65.2 on 31/3/2025", async () => {
      const r = await reportDso(t.store.db, actor("q1"), { asOf: "2025-03-31" });
      expect(r.figures.ar).toBe(150_000 * EUR);
      expect(r.figures.countback.dso).toBeCloseTo(65.2, 10);
      // Classic over the 90 days to 31/3 (1/1–31/3): 150 000 / 190 000 × 90.
      expect(r.figures.from).toBe("2025-01-01");
      expect(r.figures.dso).toBeCloseTo((150_000 / 190_000) * 90, 10);
    });

    it("leap year: count-back 31 + 29 + 0.2 × 31 = 66.2; February 2024 has 29 days", async () => {
      const r = await reportDso(t.store.db, actor("leap"), { asOf: "2024-03-31" });
      expect(r.figures.countback.dso).toBeCloseTo(66.2, 10);
      const feb = await reportDso(t.store.db, actor("leap"), { from: "2024-02-01", to: "2024-02-29" });
      expect(feb.figures.days).toBe(29);
      expect(feb.figures.dso).toBeCloseTo((70_000 / 60_000) * 29, 10);
    });

    it("an empty organisation: no receivables, ratios null (never NaN), count-back 0", async () => {
      const r = await reportDso(t.store.db, actor("empty"), { asOf: "2025-06-30" });
      expect(dsoToJson(r.asOf, r.figures)).toMatchObject({
        receivables: "0.00",
        revenue: "0.00",
        dso: { classic: null, countback: 0, bestPossible: null, add: null },
        cei: null,
        countbackExhausted: false,
      });
    });

    it("refuses --to and --as-of that differ, and --from after --to (usage errors)", async () => {
      await expect(reportDso(t.store.db, actor("jan"), { asOf: "2025-01-31", to: "2025-01-30" })).rejects.toMatchObject({ code: "usage" });
      await expect(reportDso(t.store.db, actor("jan"), { from: "2025-02-01", to: "2025-01-31" })).rejects.toMatchObject({ code: "usage" });
      await expect(reportDso(t.store.db, actor("jan"), { asOf: "2025-02-30" })).rejects.toMatchObject({ code: "usage" });
    });
  });

  describe("report aging", () => {
    it("buckets by days past due, with counts; unapplied cash apart (hand-computed)", async () => {
      const r = agingToJson(await reportAging(t.store.db, actor("year"), { asOf: "2025-12-31" }));
      expect(r).toMatchObject({
        asOf: "2025-12-31",
        // F2 due 15/12: 16 days; AV1 due 20/11: 41 days.
        buckets: { not_due: "0.00", "1_30": "15000.00", "31_60": "-2000.00", "61_90": "0.00", "91_plus": "0.00" },
        counts: { not_due: 0, "1_30": 1, "31_60": 1, "61_90": 0, "91_plus": 0 },
        total: "13000.00",
        unapplied: "1000.00",
        unappliedCount: 1,
        receivables: "12000.00",
        customerCount: 1,
      });
      expect(r.customers).toEqual([
        expect.objectContaining({ ref: "C1", total: "13000.00", unapplied: "1000.00", receivables: "12000.00" }),
      ]);
    });

    it("takes other bucket limits", async () => {
      const r = agingToJson(await reportAging(t.store.db, actor("year"), { asOf: "2025-12-31", limits: [15, 45] }));
      expect(r.buckets).toEqual({ not_due: "0.00", "1_15": "0.00", "16_45": "13000.00", "46_plus": "0.00" });
    });

    it("drills down to a customer's open documents", async () => {
      const c = await t.store.db
        .selectFrom("customers")
        .select("id")
        .where("org_id", "=", org.year as number)
        .executeTakeFirstOrThrow();
      const r = agingToJson(await reportAging(t.store.db, actor("year"), { asOf: "2025-12-31", customerId: c.id }));
      expect(r.documents?.map((d) => [d.number, d.daysPastDue, d.bucket, d.outstanding])).toEqual([
        ["AV1", 41, "31_60", "-2000.00"],
        ["F2", 16, "1_30", "15000.00"],
      ]);
    });

    it("ages a past date with the movements of that date only", async () => {
      // On 12/12/2025 F2 was half paid (10/12), the 1 000 € had not come in yet.
      const r = agingToJson(await reportAging(t.store.db, actor("year"), { asOf: "2025-12-12" }));
      expect(r.buckets).toMatchObject({ not_due: "15000.00", "1_30": "-2000.00" });
      expect(r.receivables).toBe("13000.00");
    });

    it("is empty for an empty organisation", async () => {
      const r = agingToJson(await reportAging(t.store.db, actor("empty"), { asOf: "2025-06-30" }));
      expect(r).toMatchObject({ total: "0.00", receivables: "0.00", count: 0, customerCount: 0, customers: [] });
    });
  });

  describe("report trend", () => {
    it("is the DSO report taken at each month end", async () => {
      const tr = trendToJson(await reportTrend(t.store.db, actor("q1"), { asOf: "2025-03-31", months: 3 }));
      expect(tr.points.map((p) => p.month)).toEqual(["2025-01", "2025-02", "2025-03"]);
      for (const p of tr.points) {
        const d = await reportDso(t.store.db, actor("q1"), { asOf: p.to });
        expect(p).toEqual({ month: p.month, ...dsoToJson(p.to, d.figures) });
      }
      expect(tr.points[2]?.dso.countback).toBeCloseTo(65.2, 10);
      expect(tr.points[0]?.receivables).toBe("50000.00");
    });

    it("includes the current month at the as-of date", async () => {
      const tr = trendToJson(await reportTrend(t.store.db, actor("year"), { asOf: "2025-12-20", months: 2 }));
      expect(tr.points.map((p) => p.to)).toEqual(["2025-11-30", "2025-12-20"]);
    });
  });

  describe("report bridge", () => {
    it("explains the DSO change: contributions add up to it, each side is the DSO report", async () => {
      const b = await reportBridge(t.store.db, actor("mix"), { asOf: "2025-10-31", compareTo: "2025-10-01" });
      const before = await reportDso(t.store.db, actor("mix"), { asOf: "2025-10-01" });
      const after = await reportDso(t.store.db, actor("mix"), { asOf: "2025-10-31" });
      expect(b.before.dso).toBeCloseTo(before.figures.dso ?? Number.NaN, 10);
      expect(b.after.dso).toBeCloseTo(after.figures.dso ?? Number.NaN, 10);
      const sum = b.lines.reduce((s, l) => s + (l.contribution ?? 0), 0) + (b.others.contribution ?? 0) + (b.calendarEffect ?? 0);
      expect(sum).toBeCloseTo(b.change ?? Number.NaN, 10);
      expect(b.lines.map((l) => l.ref)).toContain("K1");
      const abs = b.lines.map((l) => Math.abs(l.contribution ?? 0));
      expect([...abs].sort((x, y) => y - x)).toEqual(abs);
    });

    it("sums the customers beyond --limit into `others`", async () => {
      const all = await reportBridge(t.store.db, actor("mix"), { asOf: "2025-10-31", compareTo: "2025-10-01" });
      const one = await reportBridge(t.store.db, actor("mix"), { asOf: "2025-10-31", compareTo: "2025-10-01", limit: 1 });
      expect(one.lines).toHaveLength(1);
      expect(one.others.count).toBe(all.lineCount - 1);
      expect((one.lines[0]?.contribution ?? 0) + (one.others.contribution ?? 0)).toBeCloseTo(all.change ?? Number.NaN, 10);
    });
  });

  describe("report behaviour", () => {
    it("weighs days to pay and days late of paid documents, and sees the trend (hand-computed)", async () => {
      const r = behaviourToJson(await reportBehaviour(t.store.db, actor("mix"), { asOf: "2025-10-31", customerId: ids.k1 }));
      expect(r.customers).toEqual([
        {
          id: ids.k1,
          ref: "K1",
          name: "Client K1",
          status: "active",
          paidDocuments: 2,
          paidAmount: "2000.00",
          daysToPay: 45, // (40 + 50) / 2
          daysLate: 15, // (10 + 20) / 2
          spread: 5,
          onTimeShare: 0,
          trend: { recent: 20, previous: 10, change: 10, worsening: true },
          brokenPromises: 1,
          openDisputes: 1,
          disputesOpened: 1,
          reminders: 0,
        },
      ]);
    });

    it("lists customers with activity only, sorted by amount paid", async () => {
      const r = await reportBehaviour(t.store.db, actor("mix"), { asOf: "2025-10-31" });
      expect(r.customers.map((c) => c.ref)).toEqual(["K1"]);
    });
  });

  describe("report forecast", () => {
    it("places open invoices at due date + the customer's delay ± its spread (hand-computed)", async () => {
      const r = forecastToJson(await reportForecast(t.store.db, actor("mix"), { asOf: "2025-10-31", weeks: 5, months: 2, pastWeeks: 2 }));
      // K1 profile (and the organisation's, taken by K3 who never paid): shift 15, spread 5.
      // O-1 3 000 € due 14/11 → 24/11–4/12 (11 days): week 4 (22–28/11) 5 days, week 5 (29/11–5/12) 6 days.
      // N-1 (K3) 1 000 € due 19/11 → 29/11–9/12: week 5 7 days, later 4 days.
      expect(r.weeks.map((w) => w.expected)).toEqual(["0.00", "0.00", "0.00", "1363.64", "2272.72"]);
      expect(r.laterThanWeeks).toBe("363.64");
      // November: O-1 24–30/11 (7 days) + N-1 29–30/11 (2 days); December the rest.
      expect(r.months.map((m) => m.expected)).toEqual(["2090.91", "1909.09"]);
      expect(r).toMatchObject({ overdue: "300.00", disputed: "500.00", doubtful: "2000.00", total: "6800.00" });
      // The forecast of 17/10 expected nothing in the next two weeks; 100 € came in on 28/10.
      expect(r.pastFrom).toBe("2025-10-17");
      expect(r.past).toEqual([
        { from: "2025-10-18", to: "2025-10-24", expected: "0.00", received: "0.00" },
        { from: "2025-10-25", to: "2025-10-31", expected: "0.00", received: "100.00" },
      ]);
      expect(r.receivedByMonth.at(-1)).toEqual({ month: "2025-10", received: "100.00" });
    });

    it("keeps the forecast between requests only until the ledger changes", async () => {
      const orgId = (await makeOrg(t.store, "profiles")).org.id;
      const l = ledger(t.store, orgId);
      const c = await l.customer("P1");
      // Paid 10 days late; then an open 1 000 € due 10/11 → expected 20/11 (week 3 of 6/11).
      const p1 = await l.invoice(c.id, "P-1", 1_000, "2025-06-01", "2025-07-01");
      await l.payment(c.id, "2025-07-11", 1_000, [[p1, 1_000]]);
      await l.invoice(c.id, "O-1", 1_000, "2025-10-11", "2025-11-10");
      const weeks = async () =>
        forecastToJson(await reportForecast(t.store.db, cliActor(orgId), { asOf: "2025-10-31", weeks: 4, pastWeeks: 0 })).weeks.map(
          (w) => w.expected,
        );
      expect(await weeks()).toEqual(["0.00", "0.00", "1000.00", "0.00"]);
      expect(await weeks()).toEqual(["0.00", "0.00", "1000.00", "0.00"]); // from the snapshot
      // A second invoice paid 30 days late: equal amounts, shift (10 + 30) / 2 = 20, spread 10
      // → 20/11 to 10/12 (21 days): week 3 (15–21/11) 2 days, week 4 (22–28/11) 7 days.
      const p2 = await l.invoice(c.id, "P-2", 1_000, "2025-08-01", "2025-08-31");
      await l.payment(c.id, "2025-09-30", 1_000, [[p2, 1_000]]);
      expect(await weeks()).toEqual(["0.00", "0.00", "95.24", "333.33"]);
    });

    it("adds another past date to the kept forecast, with the figures of a fresh one", async () => {
      const orgId = (await makeOrg(t.store, "eves")).org.id;
      const l = ledger(t.store, orgId);
      const c = await l.customer("E1");
      const p1 = await l.invoice(c.id, "E-P", 1_000, "2025-06-01", "2025-07-01");
      await l.payment(c.id, "2025-07-11", 1_000, [[p1, 1_000]]);
      await l.invoice(c.id, "E-1", 2_000, "2025-09-20", "2025-10-20");
      await l.invoice(c.id, "E-2", 3_000, "2025-10-11", "2025-11-10");
      const run = (pastWeeks: number) => reportForecast(t.store.db, cliActor(orgId), { asOf: "2025-10-31", weeks: 4, pastWeeks });
      const eves = async () =>
        (
          await sql<{ eves: string[] }>`select data->'eves' as eves from snapshots where org_id = ${orgId} and kind = 'forecast'`.execute(
            t.store.db,
          )
        ).rows[0]?.eves;
      const today = forecastToJson(await run(0));
      expect(await eves()).toEqual(["2025-10-31"]);
      const kept = forecastToJson(await run(3));
      expect(await eves()).toEqual(["2025-10-31", "2025-10-10"]);
      expect(kept.weeks).toEqual(today.weeks);
      await sql`delete from snapshots where org_id = ${orgId}`.execute(t.store.db);
      expect(forecastToJson(await run(3))).toEqual(kept);
      // E-1 (due 20/10, expected 30/10 with its 10 days of delay) was open on 10/10.
      expect(kept.past.map((w) => w.expected)).toEqual(["0.00", "0.00", "2000.00"]);
    });

    it("computes the delay profile in SQL exactly as the domain does", async () => {
      const samples: Array<[number, number, number]> = [
        [2, -3, 9],
        [2, 3, 9],
        [4, 2, 2],
        [3, 1, 1],
        [1000, 15_000, 250_000],
        [7, -7, 7],
      ];
      let seed = 7;
      const rnd = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      for (let i = 0; i < 200; i++) {
        const w = 1 + Math.floor(rnd() * 1e9);
        const late = Math.floor(rnd() * 200) - 40;
        const sd = Math.floor(rnd() * 30);
        samples.push([w, w * late, w * (late * late + sd * sd)]);
      }
      const values = sql.join(samples.map(([w, l, l2]) => sql`(${w}::bigint, ${l}::bigint, ${l2}::bigint)`));
      const rows = await sql<{ shift: number; spread: number }>`
        select ${delayProfileColumns(sql`x.w::float8`, sql`x.l::float8`, sql`x.l2::float8`)}
        from (values ${values}) as x(w, l, l2)`.execute(t.store.db);
      const domain = samples.map(([w, l, l2]) =>
        delayProfile({ documents: 1, paid: w, paidDays: 0, lateDays: l, lateDaysSquared: l2, paidOnTime: 0 }),
      );
      expect(rows.rows).toEqual(domain);
    });
  });

  describe("report risk", () => {
    it("scores each customer with its factors, and sees whose risk rose in 30 days (hand-computed)", async () => {
      const r = await reportRisk(t.store.db, actor("mix"), { asOf: "2025-10-31" });
      const k1 = r.customers.find((c) => c.ref === "K1");
      const pts = Object.fromEntries((k1?.factors ?? []).map((f) => [f.key, f.points]));
      // O-3: 300 € of 3 800 €, 47 days past due (weight 2/3).
      expect(pts.overdue_share).toBeCloseTo((25 * (300 + 300)) / (3 * 3_800), 10);
      expect(pts.severe_overdue_share).toBe(0);
      expect(pts.days_late).toBeCloseTo(2.5, 10); // 15 days / 60 × 10
      expect(pts.worsening).toBeCloseTo(5, 10); // +10 days / 30 × 15
      expect(pts.credit_limit).toBe(10); // 3 800 of 3 000 allowed
      expect(pts.broken_promises).toBe(5);
      expect(pts.disputes).toBe(5);
      expect(pts.concentration).toBe(10); // 3 800 of 6 800
      expect(k1?.score).toBe(39);
      // On 1/10: O-3 400 € of 900 €, 17 days past due (25 × 400 / 2 700 = 3.7), 15 days late (2.5),
      // 900 € of the 2 900 € of AR (10).
      expect(k1?.previousScore).toBe(16);
      expect(k1?.rose).toBe(true);
      expect(r.customers[0]?.ref).toBe("K2"); // defaulted: 100
      expect(r.customers[0]?.score).toBe(100);
      expect(r.rose.map((c) => c.ref)).toEqual(["K1"]);
    });

    it("is empty for an empty organisation", async () => {
      const r = await reportRisk(t.store.db, actor("empty"), { asOf: "2025-06-30" });
      expect(r.customers).toEqual([]);
    });
  });
});
