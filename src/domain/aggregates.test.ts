import { describe, expect, it } from "vitest";
import { AgingAccumulator } from "./aging.js";
import { dsoFigures, dsoFiguresFrom } from "./dso.js";
import { type Ledger, revenueLookup, revenueLookupFromDaily } from "./receivables.js";

// The figures from aggregates (what a database sums) and from a ledger in memory are one formula.

const EUR = 100;
const ledger: Ledger = {
  documents: [
    { id: 1, customerId: 1, kind: "invoice", issueDate: "2025-01-10", dueDate: "2025-02-09", total: 50_000 * EUR },
    { id: 2, customerId: 1, kind: "invoice", issueDate: "2025-02-10", dueDate: "2025-03-12", total: 60_000 * EUR },
    { id: 3, customerId: 2, kind: "invoice", issueDate: "2025-03-10", dueDate: "2025-04-09", total: 80_000 * EUR },
  ],
  payments: [{ id: "P", customerId: 1, date: "2025-02-20", amount: 40_000 * EUR }],
  allocations: [{ paymentId: "P", documentId: 1, date: "2025-02-20", amount: 40_000 * EUR }],
};

describe("dsoFiguresFrom", () => {
  it("gives the DESIGN count-back example from aggregates: 31 + 28 + 10 000/50 000 × 31 = 65.2", () => {
    const f = dsoFiguresFrom({
      from: "2025-01-01",
      to: "2025-03-31",
      ar: 150_000 * EUR,
      arBefore: 0,
      notDueAr: 80_000 * EUR,
      revenue: 190_000 * EUR,
      monthlyRevenue: { "2025-03": 80_000 * EUR, "2025-02": 60_000 * EUR, "2025-01": 50_000 * EUR },
    });
    expect(f.countback.dso).toBeCloseTo(65.2, 12);
    expect(f.dso).toBeCloseTo((150_000 / 190_000) * 90, 12);
  });

  it("equals dsoFigures of the ledger the aggregates come from", () => {
    const period = { from: "2025-01-01", to: "2025-03-31" };
    const fromLedger = dsoFigures(ledger, period);
    const fromAggregates = dsoFiguresFrom({
      ...period,
      ar: fromLedger.ar,
      arBefore: fromLedger.arBefore,
      notDueAr: fromLedger.notDueAr,
      revenue: fromLedger.revenue,
      monthlyRevenue: revenueLookupFromDaily([
        ["2025-03-10", 80_000 * EUR],
        ["2025-01-10", 50_000 * EUR],
        ["2025-02-10", 60_000 * EUR],
      ]),
    });
    expect(fromAggregates).toEqual(fromLedger);
    expect(fromLedger.countback.dso).toBeCloseTo(65.2, 12);
  });

  it("refuses a non-positive --days", () => {
    expect(() =>
      dsoFiguresFrom({ from: "2025-01-01", to: "2025-01-31", days: 0, ar: 1, arBefore: 0, notDueAr: 0, revenue: 1, monthlyRevenue: {} }),
    ).toThrow(RangeError);
  });
});

describe("revenueLookupFromDaily", () => {
  it("answers like the ledger's lookup, summing repeated days", () => {
    const a = revenueLookup(ledger);
    const b = revenueLookupFromDaily([
      ["2025-02-10", 20_000 * EUR],
      ["2025-01-10", 50_000 * EUR],
      ["2025-02-10", 40_000 * EUR],
      ["2025-03-10", 80_000 * EUR],
    ]);
    for (const [from, to] of [
      ["2025-01-01", "2025-12-31"],
      ["2025-02-10", "2025-02-10"],
      ["2025-02-11", "2025-03-09"],
      ["2025-03-11", "2025-01-01"],
    ] as const) {
      expect(b(from, to)).toBe(a(from, to));
    }
  });
});

describe("AgingAccumulator.addGroup", () => {
  it("adds a group of documents like adding them one by one", () => {
    const one = new AgingAccumulator();
    const grouped = new AgingAccumulator();
    for (const [days, amount] of [
      [0, 100],
      [0, 50],
      [31, 70],
      [31, -20],
      [120, 5],
    ] as const)
      one.add(days, amount);
    grouped.addGroup(0, 150, 2);
    grouped.addGroup(31, 50, 2);
    grouped.addGroup(120, 5, 1);
    one.addUnapplied(30);
    one.addUnapplied(10);
    grouped.addUnapplied(40, 2);
    expect(grouped.result()).toEqual(one.result());
  });
});
