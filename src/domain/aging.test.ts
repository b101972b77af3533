import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ledger } from "../../test/fixtures/ledger.js";
import { AgingConfigError, agingAt, agingBuckets, bucketFor } from "./aging.js";
import { addDays } from "./dates.js";
import {
  arAt,
  documentsOutstandingAt,
  type Ledger,
  type LedgerAllocation,
  type LedgerDocument,
  type LedgerPayment,
  unallocatedAt,
} from "./receivables.js";

const EUR = 100;

describe("bucket definitions", () => {
  it("defaults to not_due, 1_30, 31_60, 61_90, 91_plus", () => {
    expect(agingBuckets().map((b) => b.key)).toEqual(["not_due", "1_30", "31_60", "61_90", "91_plus"]);
  });

  it("places days past due at the edges", () => {
    const cases: Array<[number, string]> = [
      [-10, "not_due"],
      [0, "not_due"],
      [1, "1_30"],
      [30, "1_30"],
      [31, "31_60"],
      [60, "31_60"],
      [61, "61_90"],
      [90, "61_90"],
      [91, "91_plus"],
      [4000, "91_plus"],
    ];
    for (const [days, key] of cases) expect(bucketFor(days), `${days} days`).toBe(key);
  });

  it("takes other limits", () => {
    expect(agingBuckets([15, 45]).map((b) => b.key)).toEqual(["not_due", "1_15", "16_45", "46_plus"]);
    expect(bucketFor(16, [15, 45])).toBe("16_45");
    expect(agingBuckets([]).map((b) => b.key)).toEqual(["not_due", "1_plus"]);
  });

  it("rejects limits that are not strictly increasing positive integers", () => {
    expect(() => agingBuckets([30, 30])).toThrow(AgingConfigError);
    expect(() => agingBuckets([0, 30])).toThrow(AgingConfigError);
    expect(() => agingBuckets([10.5])).toThrow(AgingConfigError);
  });
});

const totals = (r: { buckets: Array<{ key: string; total: number; count: number }> }) =>
  Object.fromEntries(r.buckets.map((b) => [b.key, [b.total / EUR, b.count]]));

describe("agingAt", () => {
  it("ages the hand-computed ledger on 31/3/2025", () => {
    // A 30 000, 19 days late → 1_30; B 60 000 not due; C −10 000, 11 days late → 1_30;
    // D 20 000 not due; F written off (0) is left out; E issued after D.
    const r = agingAt(ledger, "2025-03-31");
    expect(totals(r)).toEqual({
      not_due: [80_000, 2],
      "1_30": [20_000, 2],
      "31_60": [0, 0],
      "61_90": [0, 0],
      "91_plus": [0, 0],
    });
    expect(r.total).toBe(100_000 * EUR);
    expect(r.count).toBe(4);
    expect(r.unapplied).toEqual({ total: 25_000 * EUR, count: 2 });
    expect(r.ar).toBe(arAt(ledger, "2025-03-31"));
  });

  it("moves documents into older buckets as time passes", () => {
    // On 15/5: A 64 days → 61_90; C 56 → 31_60; B 43 → 31_60; D 21 → 1_30; E 13 → 1_30.
    const r = agingAt(ledger, "2025-05-15");
    expect(totals(r)).toEqual({
      not_due: [0, 0],
      "1_30": [90_000, 2],
      "31_60": [50_000, 2],
      "61_90": [30_000, 1],
      "91_plus": [0, 0],
    });
    // P4 (no customer) is now received as well.
    expect(r.unapplied).toEqual({ total: 26_000 * EUR, count: 3 });
  });

  it("reports per customer; a payment without customer only counts overall", () => {
    const r = agingAt(ledger, "2025-04-05", { byCustomer: true });
    expect(r.customers?.map((c) => [c.customerId, c.total / EUR, c.unapplied.total / EUR, c.ar / EUR])).toEqual([
      [1, 80_000, 0, 80_000],
      [2, 90_000, 25_000, 65_000],
    ]);
    expect(r.unapplied.total).toBe(26_000 * EUR);
  });

  it("takes configurable limits", () => {
    const r = agingAt(ledger, "2025-03-31", { limits: [15] });
    // A is 19 days late → 16_plus; C 11 days → 1_15.
    expect(totals(r)).toEqual({
      not_due: [80_000, 2],
      "1_15": [-10_000, 1],
      "16_plus": [30_000, 1],
    });
  });

  it("is empty for an empty ledger", () => {
    const r = agingAt({ documents: [] }, "2025-03-31", { byCustomer: true });
    expect(r.total).toBe(0);
    expect(r.count).toBe(0);
    expect(r.customers).toEqual([]);
  });
});

describe("property: bucket totals always sum to the documents' AR", () => {
  const day = fc.integer({ min: 0, max: 300 }).map((n) => addDays("2024-06-01", n));
  const arbLedger = fc
    .record({
      docs: fc.array(
        fc.record({
          issue: day,
          terms: fc.integer({ min: 0, max: 120 }),
          total: fc.integer({ min: -100_000, max: 1_000_000 }),
          customer: fc.integer({ min: 0, max: 4 }),
          alloc: fc.option(fc.tuple(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 200 }))),
        }),
        { maxLength: 40 },
      ),
      payments: fc.array(
        fc.record({
          date: day,
          amount: fc.integer({ min: 1, max: 300_000 }),
          customer: fc.option(fc.integer({ min: 0, max: 4 })),
        }),
        { maxLength: 6 },
      ),
    })
    .map(({ docs, payments }): Ledger => {
      const documents: LedgerDocument[] = [];
      const paid: LedgerPayment[] = [];
      const allocations: LedgerAllocation[] = [];
      docs.forEach((d, i) => {
        documents.push({
          id: i,
          customerId: d.customer,
          kind: d.total < 0 ? "credit_note" : "invoice",
          issueDate: d.issue,
          dueDate: addDays(d.issue, d.terms),
          total: d.total,
        });
        if (d.alloc) {
          // Over-allocations (pct > 100) happen in real data; they must still add up.
          const amount = Math.floor((Math.abs(d.total) * d.alloc[0]) / 100);
          const date = addDays(d.issue, d.alloc[1]);
          paid.push({
            id: `p${i}`,
            customerId: d.customer,
            date,
            amount: amount + 1,
          });
          allocations.push({ paymentId: `p${i}`, documentId: i, date, amount });
        }
      });
      payments.forEach((p, i) => {
        paid.push({
          id: `u${i}`,
          customerId: p.customer,
          date: p.date,
          amount: p.amount,
        });
      });
      return { documents, payments: paid, allocations };
    });

  it("Σ buckets = Σ outstanding; Σ buckets − unapplied = AR; customers add up to the whole", () => {
    fc.assert(
      fc.property(arbLedger, day, fc.constantFrom([30, 60, 90], [10], [7, 14, 21, 28, 100]), (l, asOf, limits) => {
        const r = agingAt(l, asOf, { limits, byCustomer: true });
        const sum = r.buckets.reduce((s, b) => s + b.total, 0);
        expect(sum).toBe(documentsOutstandingAt(l, asOf));
        expect(r.unapplied.total).toBe(unallocatedAt(l, asOf));
        expect(sum - r.unapplied.total).toBe(arAt(l, asOf));
        const perCustomer = (r.customers ?? []).reduce((s, c) => s + c.total, 0);
        expect(perCustomer).toBe(sum);
        for (const c of r.customers ?? []) expect(c.buckets.reduce((s, b) => s + b.total, 0)).toBe(c.total);
      }),
    );
  });
});
