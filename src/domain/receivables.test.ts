import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ledger } from "../../test/fixtures/ledger.js";
import { addDays } from "./dates.js";
import {
  arAt,
  documentsOutstandingAt,
  type Ledger,
  notDueArAt,
  openDocumentsAt,
  outstandingAt,
  revenue,
  revenueLookup,
  unallocatedAt,
} from "./receivables.js";

const EUR = 100;

function at<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new Error(`no item ${i}`);
  return item;
}

describe("outstandingAt", () => {
  const a = at(ledger.documents, 0);
  const movements = [...(ledger.allocations ?? []), ...(ledger.writeOffs ?? [])];

  it("is the total before any movement", () => {
    expect(outstandingAt(a, movements, "2025-03-04")).toBe(50_000 * EUR);
  });

  it("counts an allocation on its own date", () => {
    expect(outstandingAt(a, movements, "2025-03-05")).toBe(30_000 * EUR);
  });

  it("ignores other documents' movements", () => {
    expect(outstandingAt(a, [{ documentId: "B", date: "2025-01-01", amount: 1 }], "2025-12-31")).toBe(50_000 * EUR);
  });

  it("subtracts write-offs like allocations", () => {
    const f = at(ledger.documents, 5);
    expect(outstandingAt(f, movements, "2025-03-14")).toBe(10_000 * EUR);
    expect(outstandingAt(f, movements, "2025-03-15")).toBe(0);
  });

  it("matches ids by their string form", () => {
    const doc = { ...a, id: 7 };
    expect(outstandingAt(doc, [{ documentId: "7", date: "2025-03-01", amount: 100 }], "2025-03-01")).toBe(50_000 * EUR - 100);
  });
});

describe("arAt", () => {
  it("sums outstanding of documents issued by D minus unallocated payments (hand-computed)", () => {
    // A 30 000 + B 60 000 + C −10 000 + D 20 000 + F 0 = 100 000; unallocated P2 20 000 + P3 5 000.
    expect(documentsOutstandingAt(ledger, "2025-03-31")).toBe(100_000 * EUR);
    expect(unallocatedAt(ledger, "2025-03-31")).toBe(25_000 * EUR);
    expect(arAt(ledger, "2025-03-31")).toBe(75_000 * EUR);
  });

  it("leaves out payments dated after D", () => {
    // On 29/3: P3 (30/3) not received yet → 100 000 − 20 000.
    expect(arAt(ledger, "2025-03-29")).toBe(80_000 * EUR);
  });

  it("before the period: A and F unpaid, nothing received", () => {
    expect(arAt(ledger, "2025-02-28")).toBe(60_000 * EUR);
  });

  it("a partial allocation leaves the rest of the payment unallocated", () => {
    const l: Ledger = {
      documents: [
        {
          id: 1,
          customerId: 1,
          kind: "invoice",
          issueDate: "2025-01-01",
          dueDate: "2025-01-31",
          total: 1_000,
        },
      ],
      payments: [{ id: 1, customerId: 1, date: "2025-01-10", amount: 1_500 }],
      allocations: [{ paymentId: 1, documentId: 1, date: "2025-01-20", amount: 1_000 }],
    };
    // 10/1: invoice 1 000 − unallocated 1 500 = −500; 20/1: 0 − 500.
    expect(arAt(l, "2025-01-10")).toBe(-500);
    expect(arAt(l, "2025-01-20")).toBe(-500);
    expect(openDocumentsAt(l, "2025-01-20")).toEqual([]);
  });

  it("is 0 for an empty ledger", () => {
    expect(arAt({ documents: [] }, "2025-03-31")).toBe(0);
    expect(revenue({ documents: [] }, "2025-01-01", "2025-12-31")).toBe(0);
  });
});

describe("notDueArAt", () => {
  it("keeps documents due on or after D, without unallocated payments", () => {
    // B 60 000 (due 2/4) + D 20 000 (due 24/4).
    expect(notDueArAt(ledger, "2025-03-31")).toBe(80_000 * EUR);
    // On 2/4 B is due that day, so still not overdue; E issued that day is counted too.
    expect(notDueArAt(ledger, "2025-04-02")).toBe((60_000 + 20_000 + 70_000) * EUR);
  });
});

describe("revenue", () => {
  it("sums invoices and negative credit notes issued in [from, to], both ends included", () => {
    // March: B 60 000 + C −10 000 + D 50 000.
    expect(revenue(ledger, "2025-03-01", "2025-03-31")).toBe(100_000 * EUR);
    expect(revenue(ledger, "2025-03-03", "2025-03-20")).toBe(50_000 * EUR);
    expect(revenue(ledger, "2025-03-04", "2025-03-19")).toBe(0);
  });

  it("revenueLookup answers like revenue for any period", () => {
    const lookup = revenueLookup(ledger);
    const day = fc.integer({ min: 0, max: 150 }).map((n) => addDays("2025-01-01", n));
    fc.assert(
      fc.property(day, day, (x, y) => {
        expect(lookup(x, y)).toBe(x > y ? 0 : revenue(ledger, x, y));
      }),
    );
  });
});
