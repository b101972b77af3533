import { describe, expect, it } from "vitest";
import { behaviourTrend, delayProfile, EMPTY_SUMS, paidDocumentsIn, paymentBehaviour, sumPaidDocuments } from "./behaviour.js";
import type { Ledger } from "./receivables.js";

const EUR = 100;

describe("payment behaviour over paid documents", () => {
  // A: 1 000 € issued 1/1, due 31/1, paid 10/2 → 40 days to pay, 10 late.
  // B: 3 000 € issued 1/2, due 3/3, paid 23/2 → 22 days to pay, 9 days early (−9: 2024 is a leap year).
  const docs = [
    { issueDate: "2024-01-01", dueDate: "2024-01-31", paidDate: "2024-02-10", paid: 1_000 * EUR },
    { issueDate: "2024-02-01", dueDate: "2024-03-03", paidDate: "2024-02-23", paid: 3_000 * EUR },
  ];

  it("weighs days to pay and days late by the amount paid (hand-computed)", () => {
    const b = paymentBehaviour(sumPaidDocuments(docs));
    expect(b.documents).toBe(2);
    expect(b.paid).toBe(4_000 * EUR);
    expect(b.daysToPay).toBeCloseTo((1 * 40 + 3 * 22) / 4, 12); // 26.5
    expect(b.daysLate).toBeCloseTo((1 * 10 + 3 * -9) / 4, 12); // −4.25
    // Variance = (1×100 + 3×81)/4 − 4.25² = 85.75 − 18.0625 = 67.6875
    expect(b.spread).toBeCloseTo(Math.sqrt(67.6875), 12);
    expect(b.onTimeShare).toBe(0.75);
  });

  it("is unknown (null), never NaN, without paid documents", () => {
    expect(paymentBehaviour(EMPTY_SUMS)).toEqual({
      documents: 0,
      paid: 0,
      daysToPay: null,
      daysLate: null,
      spread: null,
      onTimeShare: null,
    });
  });

  it("says a customer is getting worse when its days late grew by 5 days or more", () => {
    const previous = sumPaidDocuments([{ issueDate: "2024-01-01", dueDate: "2024-01-31", paidDate: "2024-02-05", paid: 100 }]);
    const recent = sumPaidDocuments([{ issueDate: "2024-06-01", dueDate: "2024-07-01", paidDate: "2024-07-11", paid: 100 }]);
    expect(behaviourTrend(recent, previous)).toEqual({ recent: 10, previous: 5, change: 5, worsening: true });
    expect(behaviourTrend(previous, recent).worsening).toBe(false);
    expect(behaviourTrend(recent, EMPTY_SUMS)).toEqual({ recent: 10, previous: null, change: null, worsening: false });
  });
});

describe("delayProfile", () => {
  it("rounds the weighted mean and standard deviation of days late to whole days", () => {
    // Days late 10 and 20, equal weights: mean 15, sd 5.
    const s = sumPaidDocuments([
      { issueDate: "2024-01-01", dueDate: "2024-01-31", paidDate: "2024-02-10", paid: 500 },
      { issueDate: "2024-01-01", dueDate: "2024-01-31", paidDate: "2024-02-20", paid: 500 },
    ]);
    expect(delayProfile(s)).toEqual({ shift: 15, spread: 5 });
  });

  it("rounds halves up, like SQL floor(x + 0.5)", () => {
    const s = sumPaidDocuments([
      { issueDate: "2024-01-01", dueDate: "2024-01-31", paidDate: "2024-01-28", paid: 1 },
      { issueDate: "2024-01-01", dueDate: "2024-01-31", paidDate: "2024-01-31", paid: 1 },
    ]);
    // Days late −3 and 0: mean −1.5 → −1; sd 1.5 → 2.
    expect(delayProfile(s)).toEqual({ shift: -1, spread: 2 });
  });

  it("falls back to the organisation's profile, then to the due date", () => {
    const org = sumPaidDocuments([{ issueDate: "2024-01-01", dueDate: "2024-01-31", paidDate: "2024-02-07", paid: 10 }]);
    expect(delayProfile(EMPTY_SUMS, org)).toEqual({ shift: 7, spread: 0 });
    expect(delayProfile(EMPTY_SUMS, EMPTY_SUMS)).toEqual({ shift: 0, spread: 0 });
  });
});

describe("paidDocumentsIn", () => {
  const ledger: Ledger = {
    documents: [
      { id: "A", customerId: 1, kind: "invoice", issueDate: "2024-01-01", dueDate: "2024-01-31", total: 1000 },
      { id: "B", customerId: 1, kind: "invoice", issueDate: "2024-01-05", dueDate: "2024-02-04", total: 1000 },
      { id: "C", customerId: 2, kind: "invoice", issueDate: "2024-01-10", dueDate: "2024-02-09", total: 1000 },
      { id: "D", customerId: 2, kind: "invoice", issueDate: "2024-01-10", dueDate: "2024-02-09", total: 500 },
      { id: "N", customerId: 2, kind: "credit_note", issueDate: "2024-01-10", dueDate: "2024-01-10", total: -200 },
    ],
    allocations: [
      { paymentId: "P1", documentId: "A", date: "2024-02-01", amount: 400 },
      { paymentId: "P2", documentId: "A", date: "2024-02-15", amount: 600 }, // A paid on 15/2 (last allocation)
      { paymentId: "P3", documentId: "B", date: "2024-02-20", amount: 990 }, // B: 10 written off on 1/3
      { paymentId: "P4", documentId: "C", date: "2024-02-20", amount: 500 }, // C only half paid
    ],
    writeOffs: [
      { documentId: "B", date: "2024-03-01", amount: 10 },
      { documentId: "D", date: "2024-03-01", amount: 500 }, // D only written off: never paid
    ],
  };

  it("keeps invoices settled at `to`, dated by their last allocation, weighted by what was paid", () => {
    expect(paidDocumentsIn(ledger, "2024-01-01", "2024-03-31")).toEqual([
      { customerId: 1, issueDate: "2024-01-01", dueDate: "2024-01-31", paidDate: "2024-02-15", paid: 1000 },
      { customerId: 1, issueDate: "2024-01-05", dueDate: "2024-02-04", paidDate: "2024-02-20", paid: 990 },
    ]);
  });

  it("leaves out a document with a movement after `to` (not yet settled then)", () => {
    expect(paidDocumentsIn(ledger, "2024-01-01", "2024-02-28").map((d) => d.paidDate)).toEqual(["2024-02-15"]);
  });

  it("keeps only payment dates inside the window", () => {
    expect(paidDocumentsIn(ledger, "2024-02-16", "2024-03-31").map((d) => d.paidDate)).toEqual(["2024-02-20"]);
  });
});
