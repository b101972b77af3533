import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ledger } from "../../test/fixtures/ledger.js";
import { addDays } from "./dates.js";
import { averageDaysDelinquent, bestPossibleDso, cei, classicDso, countbackDso, daysRatio, dsoFigures } from "./dso.js";
import { arAt, type Ledger, type LedgerAllocation, type LedgerDocument, type LedgerPayment, revenueLookup } from "./receivables.js";

const EUR = 100;

describe("classicDso", () => {
  it("DESIGN seed: 40 000 / 100 000 × 31 = 12.4", () => {
    expect(classicDso({ ar: 40_000 * EUR, revenue: 100_000 * EUR, days: 31 })).toBeCloseTo(12.4, 12);
  });

  it("DESIGN seed: 12 000 / 78 000 × 360 = 55.38…", () => {
    const dso = classicDso({
      ar: 12_000 * EUR,
      revenue: 78_000 * EUR,
      days: 360,
    });
    expect(dso).toBeCloseTo(55.384615384615, 10);
    expect(Math.round((dso ?? 0) * 10) / 10).toBe(55.4);
  });

  it("is null, never Infinity or NaN, when revenue is 0", () => {
    expect(classicDso({ ar: 1_000, revenue: 0, days: 31 })).toBeNull();
    expect(classicDso({ ar: 0, revenue: 0, days: 31 })).toBeNull();
  });

  it("is null when credit notes exceed invoices (negative revenue)", () => {
    expect(classicDso({ ar: 1_000, revenue: -5, days: 31 })).toBeNull();
  });

  it("is 0 with no receivables and is not rounded", () => {
    expect(classicDso({ ar: 0, revenue: 300, days: 30 })).toBe(0);
    expect(daysRatio(1, 3, 1)).toBe(1 / 3);
  });
});

describe("countbackDso", () => {
  const seed = new Map([
    ["2025-03", 80_000 * EUR],
    ["2025-02", 60_000 * EUR],
    ["2025-01", 50_000 * EUR],
  ]);

  it("DESIGN seed: 150 000 on 31/3/2025 → 31 + 28 + 10 000/50 000 × 31 = 65.2", () => {
    const r = countbackDso(150_000 * EUR, "2025-03-31", seed);
    expect(r.dso).toBeCloseTo(65.2, 12);
    expect(r.exhausted).toBe(false);
    expect(r.months.map((m) => [m.month, m.days, m.daysCounted])).toEqual([
      ["2025-03", 31, 31],
      ["2025-02", 28, 28],
      ["2025-01", 31, 0.2 * 31],
    ]);
  });

  it("accepts a record keyed YYYY-MM", () => {
    const r = countbackDso(150_000 * EUR, "2025-03-31", Object.fromEntries(seed));
    expect(r.dso).toBeCloseTo(65.2, 12);
  });

  it("leap year: February 2024 counts 29 days → 31 + 29 + 0.2 × 31 = 66.2", () => {
    const r = countbackDso(150_000 * EUR, "2024-03-31", {
      "2024-03": 80_000 * EUR,
      "2024-02": 60_000 * EUR,
      "2024-01": 50_000 * EUR,
    });
    expect(r.dso).toBeCloseTo(66.2, 12);
  });

  it("as-of mid-month counts the month from its 1st to D (15 days) with its revenue to D", () => {
    // Invoices: 10/3 30 000 (open), 20/3 99 999 (after D, ignored), 5/2 40 000 (20 000 paid on 1/3),
    // 10/1 100 000 (paid on 15/2). AR(15/3) = 30 000 + 20 000 = 50 000.
    // March 1–15: revenue 30 000 ≤ 50 000 → 15 days, R = 20 000.
    // February: revenue 40 000 > 20 000 → 20 000/40 000 × 28 = 14. DSO = 29.
    const l: Ledger = {
      documents: [
        {
          id: 1,
          customerId: 1,
          kind: "invoice",
          issueDate: "2025-01-10",
          dueDate: "2025-02-09",
          total: 100_000 * EUR,
        },
        {
          id: 2,
          customerId: 1,
          kind: "invoice",
          issueDate: "2025-02-05",
          dueDate: "2025-03-07",
          total: 40_000 * EUR,
        },
        {
          id: 3,
          customerId: 1,
          kind: "invoice",
          issueDate: "2025-03-10",
          dueDate: "2025-04-09",
          total: 30_000 * EUR,
        },
        {
          id: 4,
          customerId: 1,
          kind: "invoice",
          issueDate: "2025-03-20",
          dueDate: "2025-04-19",
          total: 99_999 * EUR,
        },
      ],
      payments: [
        { id: 1, customerId: 1, date: "2025-02-15", amount: 100_000 * EUR },
        { id: 2, customerId: 1, date: "2025-03-01", amount: 20_000 * EUR },
      ],
      allocations: [
        {
          paymentId: 1,
          documentId: 1,
          date: "2025-02-15",
          amount: 100_000 * EUR,
        },
        {
          paymentId: 2,
          documentId: 2,
          date: "2025-03-01",
          amount: 20_000 * EUR,
        },
      ],
    };
    const ar = arAt(l, "2025-03-15");
    expect(ar).toBe(50_000 * EUR);
    const r = countbackDso(ar, "2025-03-15", revenueLookup(l));
    expect(r.months[0]).toMatchObject({
      from: "2025-03-01",
      to: "2025-03-15",
      days: 15,
      revenue: 30_000 * EUR,
    });
    expect(r.dso).toBeCloseTo(29, 12);
  });

  it("a month without revenue adds its days and the walk goes on: 31 + 28 + 100/200 × 31 = 74.5", () => {
    const r = countbackDso(100, "2025-03-31", {
      "2025-03": 0,
      "2025-02": 0,
      "2025-01": 200,
    });
    expect(r.dso).toBeCloseTo(74.5, 12);
  });

  it("AR equal to the month's revenue counts exactly that month", () => {
    const r = countbackDso(80_000 * EUR, "2025-03-31", seed);
    expect(r.dso).toBe(31);
    expect(r.exhausted).toBe(false);
  });

  it("no receivables (or a credit balance) is 0 days", () => {
    expect(countbackDso(0, "2025-03-31", seed)).toEqual({
      dso: 0,
      exhausted: false,
      months: [],
    });
    expect(countbackDso(-500, "2025-03-31", seed).dso).toBe(0);
  });

  it("stops after 24 months and flags exhausted", () => {
    // 24 months back from 31/3/2025: 1/4/2023 → 31/3/2025 = 365 + 366 = 731 days.
    const r = countbackDso(1_000_000, "2025-03-31", () => 1_000);
    expect(r.exhausted).toBe(true);
    expect(r.months).toHaveLength(24);
    expect(r.months[23]?.from).toBe("2023-04-01");
    expect(r.dso).toBe(731);
  });

  it("an empty ledger: AR 0 → 0 days, classic DSO null", () => {
    const figures = dsoFigures({ documents: [] }, { from: "2025-03-01", to: "2025-03-31" });
    expect(figures).toMatchObject({
      ar: 0,
      revenue: 0,
      dso: null,
      bestPossibleDso: null,
      add: null,
      cei: null,
    });
    expect(figures.countback).toEqual({ dso: 0, exhausted: false, months: [] });
  });
});

describe("best possible DSO, ADD, CEI", () => {
  it("best possible DSO = not-yet-due AR / revenue × days", () => {
    expect(bestPossibleDso({ notDueAr: 30_000, revenue: 100_000, days: 30 })).toBeCloseTo(9, 12);
    expect(bestPossibleDso({ notDueAr: 30_000, revenue: 0, days: 30 })).toBeNull();
  });

  it("ADD = DSO − best possible DSO", () => {
    expect(averageDaysDelinquent(12.4, 9)).toBeCloseTo(3.4, 12);
    expect(averageDaysDelinquent(null, 9)).toBeNull();
  });

  it("CEI = (100 000 + 200 000 − 120 000) / (100 000 + 200 000 − 70 000) × 100 = 78.26…", () => {
    expect(
      cei({
        arBefore: 100_000,
        revenue: 200_000,
        arEnd: 120_000,
        currentArEnd: 70_000,
      }),
    ).toBeCloseTo((180 / 230) * 100, 10);
    expect(cei({ arBefore: 0, revenue: 0, arEnd: 0, currentArEnd: 0 })).toBeNull();
  });
});

describe("dsoFigures over a ledger (credit note, partial payment, unallocated payments, write-off)", () => {
  const f = dsoFigures(ledger, { from: "2025-03-01", to: "2025-03-31" });

  it("AR(31/3) = 75 000 and revenue of March = 60 000 − 10 000 + 50 000 = 100 000", () => {
    expect(f.ar).toBe(75_000 * EUR);
    expect(f.revenue).toBe(100_000 * EUR);
    expect(f.days).toBe(31);
  });

  it("classic DSO = 75 000 / 100 000 × 31 = 23.25; count-back agrees (0.75 of March)", () => {
    expect(f.dso).toBeCloseTo(23.25, 12);
    expect(f.countback.dso).toBeCloseTo(23.25, 12);
  });

  it("best possible = 80 000 / 100 000 × 31 = 24.8, ADD = −1.55 (unallocated cash lowers AR, not the not-due part)", () => {
    expect(f.notDueAr).toBe(80_000 * EUR);
    expect(f.bestPossibleDso).toBeCloseTo(24.8, 12);
    expect(f.add).toBeCloseTo(-1.55, 12);
  });

  it("CEI = (60 000 + 100 000 − 75 000) / (60 000 + 100 000 − 80 000) × 100 = 106.25", () => {
    expect(f.arBefore).toBe(60_000 * EUR);
    expect(f.cei).toBeCloseTo(106.25, 12);
  });

  it("--days 360 overrides the calendar days: 0.75 × 360 = 270", () => {
    expect(dsoFigures(ledger, { from: "2025-03-01", to: "2025-03-31", days: 360 }).dso).toBeCloseTo(270, 12);
  });

  it("rejects a period that ends before it starts", () => {
    expect(() => dsoFigures(ledger, { from: "2025-04-01", to: "2025-03-31" })).toThrow(RangeError);
  });
});

describe("property: scaling every amount by an integer k leaves the DSO unchanged", () => {
  const day = fc.integer({ min: 0, max: 400 }).map((n) => addDays("2024-01-01", n));
  const arbLedger = fc
    .record({
      docs: fc.array(
        fc.record({
          issue: day,
          terms: fc.integer({ min: 0, max: 90 }),
          total: fc.integer({ min: -50_000, max: 1_000_000 }),
          paid: fc.option(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 120 }))),
        }),
        { maxLength: 30 },
      ),
      payments: fc.array(fc.record({ date: day, amount: fc.integer({ min: 1, max: 500_000 }) }), { maxLength: 5 }),
    })
    .map(({ docs, payments }): Ledger => {
      const documents: LedgerDocument[] = [];
      const paid: LedgerPayment[] = [];
      const allocations: LedgerAllocation[] = [];
      docs.forEach((d, i) => {
        documents.push({
          id: i,
          customerId: i % 3,
          kind: d.total < 0 ? "credit_note" : "invoice",
          issueDate: d.issue,
          dueDate: addDays(d.issue, d.terms),
          total: d.total,
        });
        if (d.paid && d.total > 0) {
          const [pct, delay] = d.paid;
          const amount = Math.floor((d.total * pct) / 100);
          const date = addDays(d.issue, delay);
          paid.push({ id: `p${i}`, customerId: i % 3, date, amount });
          allocations.push({ paymentId: `p${i}`, documentId: i, date, amount });
        }
      });
      payments.forEach((p, i) => {
        paid.push({ id: `u${i}`, customerId: null, ...p });
      });
      return { documents, payments: paid, allocations };
    });
  const scale = (l: Ledger, k: number): Ledger => ({
    documents: l.documents.map((d) => ({ ...d, total: d.total * k })),
    payments: l.payments?.map((p) => ({ ...p, amount: p.amount * k })),
    allocations: l.allocations?.map((a) => ({ ...a, amount: a.amount * k })),
  });

  it("classic, best possible, count-back DSO and CEI", () => {
    fc.assert(
      fc.property(arbLedger, fc.integer({ min: 1, max: 1_000 }), day, (l, k, to) => {
        const from = addDays(to, -89);
        const a = dsoFigures(l, { from, to });
        const b = dsoFigures(scale(l, k), { from, to });
        for (const key of ["dso", "bestPossibleDso", "add", "cei"] as const) {
          const x = a[key];
          const y = b[key];
          if (x === null) expect(y).toBeNull();
          else expect(y).toBeCloseTo(x, 9);
        }
        expect(b.countback.dso).toBeCloseTo(a.countback.dso, 9);
        expect(b.countback.exhausted).toBe(a.countback.exhausted);
      }),
    );
  });
});
