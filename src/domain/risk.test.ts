import { describe, expect, it } from "vitest";
import { EMPTY_SUMS, type PaymentSums, sumPaidDocuments } from "./behaviour.js";
import { type RiskInput, riskRose, riskScore } from "./risk.js";

const late = (days: number, paid = 100): PaymentSums =>
  sumPaidDocuments([
    { issueDate: "2024-01-01", dueDate: "2024-01-31", paidDate: new Date(Date.UTC(2024, 0, 31 + days)).toISOString().slice(0, 10), paid },
  ]);

const base: RiskInput = {
  status: "active",
  ar: 0,
  openInvoices: 0,
  overdue: 0,
  overdue31: 0,
  severe: 0,
  creditLimit: null,
  recent: EMPTY_SUMS,
  previous: EMPTY_SUMS,
  brokenPromises: 0,
  openDisputes: 0,
  totalAr: 1_000_000,
};

const points = (r: ReturnType<typeof riskScore>) => Object.fromEntries(r.factors.map((f) => [f.key, f.points]));

describe("riskScore", () => {
  it("is 0 for a customer with nothing open and no history", () => {
    expect(riskScore(base).score).toBe(0);
  });

  it("adds the points of each factor (hand-computed)", () => {
    // Open 10 000: 6 000 overdue, 4 000 of it > 30 days, 3 000 > 60 days → weighted by age
    // (2 000 × 1/3 + 1 000 × 2/3 + 3 000) / 10 000 = 13/30 → 25 × 13/30; severe 15 × 0.3 = 4.5.
    // Days late: recent 40 (weight 100), previous 10 (weight 100) → year 25 → 10 × 25/60 = 4.1667;
    // worsening 30 days → 15. Credit limit 10 000 with AR 10 000 → (1 − 0.8)/0.4 = 0.5 → 5.
    // One broken promise → 5. A dispute → 5. Concentration 10 000 / 1 000 000 = 1 % → 10 × 0.04 = 0.4.
    const r = riskScore({
      ...base,
      ar: 10_000,
      openInvoices: 10_000,
      overdue: 6_000,
      overdue31: 4_000,
      severe: 3_000,
      creditLimit: 10_000,
      recent: late(40),
      previous: late(10),
      brokenPromises: 1,
      openDisputes: 1,
    });
    const p = points(r);
    expect(p.overdue_share).toBeCloseTo((25 * 13) / 30, 12);
    expect(p.severe_overdue_share).toBeCloseTo(4.5, 12);
    expect(p.days_late).toBeCloseTo(10 * (25 / 60), 12);
    expect(p.worsening).toBeCloseTo(15, 12);
    expect(p.credit_limit).toBeCloseTo(5, 12);
    expect(p.broken_promises).toBe(5);
    expect(p.disputes).toBe(5);
    expect(p.concentration).toBeCloseTo(0.4, 12);
    expect(r.score).toBe(Math.round((25 * 13) / 30 + 4.5 + 10 * (25 / 60) + 15 + 5 + 5 + 5 + 0.4)); // 49.9 → 50
    expect(r.factors.every((f) => f.points <= f.max)).toBe(true);
  });

  it("caps each factor at its maximum and the score at 100", () => {
    const r = riskScore({
      ...base,
      ar: 2_000_000,
      openInvoices: 2_000_000,
      overdue: 2_000_000,
      overdue31: 2_000_000,
      severe: 2_000_000,
      creditLimit: 1,
      recent: late(200),
      previous: late(0),
      brokenPromises: 9,
      openDisputes: 3,
      totalAr: 2_000_000,
    });
    expect(r.score).toBe(100);
    expect(r.factors.every((f) => f.points <= f.max)).toBe(true);
  });

  it("sets credit notes and unapplied cash against the oldest debts first", () => {
    // Open invoices 1 000 (800 more than 60 days overdue), a credit note of −800: AR 200,
    // nothing overdue left once the credit is set against the oldest debt.
    const cancelled = points(riskScore({ ...base, ar: 200, openInvoices: 1_000, overdue: 800, overdue31: 800, severe: 800 }));
    expect(cancelled.overdue_share).toBe(0);
    expect(cancelled.severe_overdue_share).toBe(0);
    // Open invoices 1 000: 900 overdue, 700 of it > 30 days, 500 > 60 days; credit 300: AR 700,
    // left overdue 600 / 400 / 200 → weighted (600 + 400 + 200) / (3 × 700).
    const partly = points(riskScore({ ...base, ar: 700, openInvoices: 1_000, overdue: 900, overdue31: 700, severe: 500 }));
    expect(partly.overdue_share).toBeCloseTo((25 * 1_200) / 2_100, 12);
    expect(partly.severe_overdue_share).toBeCloseTo(15 * (200 / 700), 12);
    // Owing nothing: no overdue share at all.
    expect(points(riskScore({ ...base, ar: 0, openInvoices: 500, overdue: 500, overdue31: 500, severe: 500 })).overdue_share).toBe(0);
  });

  it("weighs a few days late lightly: one invoice just past due is a third of the overdue points", () => {
    expect(points(riskScore({ ...base, ar: 1_000, openInvoices: 1_000, overdue: 1_000 })).overdue_share).toBeCloseTo(25 / 3, 12);
  });

  it("scores a defaulted customer 100 and says why", () => {
    const r = riskScore({ ...base, status: "defaulted" });
    expect(r.score).toBe(100);
    expect(r.factors.find((f) => f.key === "defaulted")?.points).toBe(100);
  });

  it("gives no worsening points to a customer paying earlier than before", () => {
    expect(points(riskScore({ ...base, recent: late(0), previous: late(30) })).worsening).toBe(0);
  });
});

describe("riskRose", () => {
  it("is true from 10 points up", () => {
    expect(riskRose(40, 30)).toBe(true);
    expect(riskRose(39, 30)).toBe(false);
    expect(riskRose(20, 40)).toBe(false);
  });
});
