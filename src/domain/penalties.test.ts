import { describe, expect, it } from "vitest";
import { halfYearOf, lateInterest, parseRatePercent, penaltiesFor, RECOVERY_INDEMNITY, SHIPPED_PENALTY_RATES } from "./penalties.js";

describe("late-payment interest (L441-10)", () => {
  it("splits a period over two half-years with different rates: 10 000 € due 20 June 2024, until 10 July 2024", () => {
    // H1 2024: 21–30 June = 10 days at 14.50 %; H2 2024: 1–10 July = 10 days at 14.25 %.
    // 1 000 000 × (1450 × 10 + 1425 × 10) / 3 650 000 = 7 876.71… cents → 78.77 €.
    const r = lateInterest({ outstanding: 1_000_000, dueDate: "2024-06-20", until: "2024-07-10" });
    expect(r.daysLate).toBe(20);
    expect(r.periods.map((p) => [p.halfYear, p.from, p.to, p.days, p.rateBp])).toEqual([
      ["2024-H1", "2024-06-21", "2024-06-30", 10, 1450],
      ["2024-H2", "2024-07-01", "2024-07-10", 10, 1425],
    ]);
    expect(r.periods.map((p) => p.interest)).toEqual([3973, 3904]); // 3 972.60 and 3 904.11
    expect(r.interest).toBe(7877);
    expect(r.complete).toBe(true);
    expect(r.warnings).toEqual([]);
  });

  it("crosses the year boundary: 5 000 € due 15 Dec 2024, until 14 Jan 2025 → 56.45 €", () => {
    // 16 days at 14.25 % + 14 days at 13.15 %: 500 000 × (22 800 + 18 410) / 3 650 000 = 5 645.21 cents.
    const r = lateInterest({ outstanding: 500_000, dueDate: "2024-12-15", until: "2025-01-14" });
    expect(r.daysLate).toBe(30);
    expect(r.interest).toBe(5645);
  });

  it("counts from the day after the due date: nothing on the due date itself", () => {
    expect(lateInterest({ outstanding: 100_000, dueDate: "2025-03-10", until: "2025-03-10" }).interest).toBe(0);
    // One day at 13.15 % on 1 000 €: 100 000 × 1315 / 3 650 000 = 36.03 cents → 36.
    expect(lateInterest({ outstanding: 100_000, dueDate: "2025-03-10", until: "2025-03-11" }).interest).toBe(36);
  });

  it("rounds half up to the cent, once, on the exact total", () => {
    // Contractual 10 % on 18.25 € for 1 day = 0.5 cent exactly → 1 cent; 3 days = 1.5 → 2.
    expect(lateInterest({ outstanding: 1825, dueDate: "2026-02-01", until: "2026-02-02", contractualRateBp: 1000 }).interest).toBe(1);
    expect(lateInterest({ outstanding: 1825, dueDate: "2026-02-01", until: "2026-02-04", contractualRateBp: 1000 }).interest).toBe(2);
    // 0.49… stays 0: 18.24 € one day.
    expect(lateInterest({ outstanding: 1824, dueDate: "2026-02-01", until: "2026-02-02", contractualRateBp: 1000 }).interest).toBe(0);
  });

  it("floors a contractual rate at 3 × the legal rate (7.86 % in H1 2026) and says so", () => {
    // 5 % asked, 7.86 % applied: 1 000 000 × 786 × 10 / 3 650 000 = 2 153.42 → 2 153.
    const r = lateInterest({ outstanding: 1_000_000, dueDate: "2026-03-01", until: "2026-03-11", contractualRateBp: 500 });
    expect(r.periods[0]?.rateBp).toBe(786);
    expect(r.interest).toBe(2153);
    expect(r.warnings.map((w) => w.code)).toEqual(["below_legal_floor"]);
  });

  it("never guesses a half-year without a rate: its days are left out with a missing_rate warning", () => {
    // H1 2026 (12.15 %) 21–30 June = 10 days: 1 000 000 × 1215 × 10 / 3 650 000 = 3 328.77 → 3 329; H2 2026 unknown.
    const r = lateInterest({ outstanding: 1_000_000, dueDate: "2026-06-20", until: "2026-07-10" });
    expect(r.interest).toBe(3329);
    expect(r.complete).toBe(false);
    expect(r.periods[1]).toMatchObject({ halfYear: "2026-H2", days: 10, rateBp: null, interest: 0 });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]?.code).toBe("missing_rate");
    expect(r.warnings[0]?.message).toMatch(/2026-H2/);
  });

  it("uses rates added for later half-years", () => {
    const rates = { ...SHIPPED_PENALTY_RATES, "2026-H2": parseRatePercent("12.15") };
    const r = lateInterest({ outstanding: 1_000_000, dueDate: "2026-06-20", until: "2026-07-10", rates });
    expect(r.interest).toBe(6658); // 1 000 000 × 1215 × 20 / 3 650 000 = 6 657.53
    expect(r.complete).toBe(true);
  });
});

describe("penalties per invoice (D441-5)", () => {
  it("adds 40 € per late invoice, none for credit notes or invoices not yet due, warnings once per half-year", () => {
    const s = penaltiesFor(
      [
        { id: 1, kind: "invoice", outstanding: 1_000_000, dueDate: "2026-06-20" },
        { id: 2, kind: "invoice", outstanding: 200_000, dueDate: "2026-06-25" },
        { id: 3, kind: "invoice", outstanding: 50_000, dueDate: "2026-08-01" },
        { id: 4, kind: "credit_note", outstanding: -20_000, dueDate: "2026-05-01" },
      ],
      "2026-07-10",
    );
    expect(RECOVERY_INDEMNITY).toBe(4000);
    expect(s.indemnities).toBe(8000);
    // Invoice 2: 200 000 × 1215 × 5 / 3 650 000 = 332.88 → 333.
    expect(s.documents.map((d) => d.interest)).toEqual([3329, 333, 0, 0]);
    expect(s.interest).toBe(3662);
    expect(s.total).toBe(11_662);
    expect(s.warnings).toHaveLength(1);
    expect(s.complete).toBe(false);
  });

  it("parses rates and half-years", () => {
    expect(parseRatePercent("12,15")).toBe(1215);
    expect(parseRatePercent("10")).toBe(1000);
    expect(() => parseRatePercent("12.155")).toThrow(/invalid rate/);
    expect(halfYearOf("2026-06-30")).toBe("2026-H1");
    expect(halfYearOf("2026-07-01")).toBe("2026-H2");
  });
});
