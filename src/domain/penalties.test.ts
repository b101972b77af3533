import { describe, expect, it } from "vitest";
import { halfYearOf, lateInterest, parseRatePercent, penaltiesFor, RECOVERY_INDEMNITY, SHIPPED_PENALTY_RATES } from "./penalties.js";

describe("late-payment interest (L441-10)", () => {
  it("splits a period over two half-years with different rates: 10 000 € due 20 June 2024, until 10 July 2024", () => {
    // H1 2024: 21–30 June = 10 days at 14.50 %; H2 2024: 1–10 July = 10 days at 14.25 %.
    // 1 000 000 × (1450 × 10 + 1425 × 10) / 3 650 000 = 7 876.71… cents → 78.77 €.
    const r = lateInterest({ amount: 1_000_000, dueDate: "2024-06-20", until: "2024-07-10" });
    expect(r.daysLate).toBe(20);
    expect(r.periods.map((p) => [p.halfYear, p.from, p.to, p.days, p.balance, p.rateBp])).toEqual([
      ["2024-H1", "2024-06-21", "2024-06-30", 10, 1_000_000, 1450],
      ["2024-H2", "2024-07-01", "2024-07-10", 10, 1_000_000, 1425],
    ]);
    expect(r.periods.map((p) => p.interest)).toEqual([3973, 3904]); // 3 972.60 and 3 904.11
    expect(r.interest).toBe(7877);
    expect(r.complete).toBe(true);
    expect(r.warnings).toEqual([]);
  });

  it("crosses the year boundary: 5 000 € due 15 Dec 2024, until 14 Jan 2025 → 56.45 €", () => {
    // 16 days at 14.25 % + 14 days at 13.15 %: 500 000 × (22 800 + 18 410) / 3 650 000 = 5 645.21 cents.
    const r = lateInterest({ amount: 500_000, dueDate: "2024-12-15", until: "2025-01-14" });
    expect(r.daysLate).toBe(30);
    expect(r.interest).toBe(5645);
  });

  it("counts from the day after the due date: nothing on the due date itself", () => {
    expect(lateInterest({ amount: 100_000, dueDate: "2025-03-10", until: "2025-03-10" }).interest).toBe(0);
    // One day at 13.15 % on 1 000 €: 100 000 × 1315 / 3 650 000 = 36.03 cents → 36.
    expect(lateInterest({ amount: 100_000, dueDate: "2025-03-10", until: "2025-03-11" }).interest).toBe(36);
  });

  it("rounds half up to the cent, once, on the exact total", () => {
    // Contractual 10 % on 18.25 € for 1 day = 0.5 cent exactly → 1 cent; 3 days = 1.5 → 2.
    expect(lateInterest({ amount: 1825, dueDate: "2026-02-01", until: "2026-02-02", contractualRateBp: 1000 }).interest).toBe(1);
    expect(lateInterest({ amount: 1825, dueDate: "2026-02-01", until: "2026-02-04", contractualRateBp: 1000 }).interest).toBe(2);
    // 0.49… stays 0: 18.24 € one day.
    expect(lateInterest({ amount: 1824, dueDate: "2026-02-01", until: "2026-02-02", contractualRateBp: 1000 }).interest).toBe(0);
  });

  it("floors a contractual rate at 3 × the legal rate (7.86 % in H1 2026) and says so", () => {
    // 5 % asked, 7.86 % applied: 1 000 000 × 786 × 10 / 3 650 000 = 2 153.42 → 2 153.
    const r = lateInterest({ amount: 1_000_000, dueDate: "2026-03-01", until: "2026-03-11", contractualRateBp: 500 });
    expect(r.periods[0]?.rateBp).toBe(786);
    expect(r.interest).toBe(2153);
    expect(r.warnings.map((w) => w.code)).toEqual(["below_legal_floor"]);
  });

  it("never guesses a half-year without a rate: its days are left out with a missing_rate warning", () => {
    // H1 2026 (12.15 %) 21–30 June = 10 days: 1 000 000 × 1215 × 10 / 3 650 000 = 3 328.77 → 3 329; H2 2026 unknown.
    const r = lateInterest({ amount: 1_000_000, dueDate: "2026-06-20", until: "2026-07-10" });
    expect(r.interest).toBe(3329);
    expect(r.complete).toBe(false);
    expect(r.periods[1]).toMatchObject({ halfYear: "2026-H2", days: 10, rateBp: null, interest: 0 });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]?.code).toBe("missing_rate");
    expect(r.warnings[0]?.message).toMatch(/2026-H2/);
  });

  it("uses rates added for later half-years", () => {
    const rates = { ...SHIPPED_PENALTY_RATES, "2026-H2": parseRatePercent("12.15") };
    const r = lateInterest({ amount: 1_000_000, dueDate: "2026-06-20", until: "2026-07-10", rates });
    expect(r.interest).toBe(6658); // 1 000 000 × 1215 × 20 / 3 650 000 = 6 657.53
    expect(r.complete).toBe(true);
  });
});

describe("late-payment interest segmented by partial payments (L441-10)", () => {
  it("charges the part paid late up to its payment date and the rest up to the as-of date: 10 000 € due 31 March 2026, 4 000 € paid 30 April", () => {
    // 1–30 April: 30 days on 10 000 € = 1 000 000 × 30 = 30 000 000 cent-days;
    // 1 May–30 June: 61 days on 6 000 € = 600 000 × 61 = 36 600 000 cent-days.
    // (30 000 000 + 36 600 000) × 1215 / 3 650 000 = 80 919 000 000 / 3 650 000 = 22 169.589… → 221.70 €.
    // Per period (display): 9 986.30 → 99.86 € and 12 183.29 → 121.83 €, i.e. 221.69 €: the total is rounded once.
    // On the outstanding alone (the old rule) it would be 600 000 × 91 × 1215 / 3 650 000 = 181.76 €:
    // the 4 000 € paid 30 days late owe 400 000 × 30 × 1215 / 3 650 000 = 39.95 € on top.
    const r = lateInterest({
      amount: 1_000_000,
      movements: [{ date: "2026-04-30", amount: 400_000 }],
      dueDate: "2026-03-31",
      until: "2026-06-30",
    });
    expect(r.periods.map((p) => [p.from, p.to, p.days, p.balance, p.rateBp, p.interest])).toEqual([
      ["2026-04-01", "2026-04-30", 30, 1_000_000, 1215, 9986],
      ["2026-05-01", "2026-06-30", 61, 600_000, 1215, 12_183],
    ]);
    expect(r.interest).toBe(22_170);
    expect(r.daysLate).toBe(91);
    expect(r.complete).toBe(true);
  });

  it("splits by half-year and by movement, starts from what was left at the due date, and stops at each payment date", () => {
    // 3 000 € due 20 June 2024; 500 € paid 10 June (on time: 2 500 € owed at the due date); 1 000 € paid
    // 25 June; 200 € written off 5 July; until 10 July.
    // 21–25 June: 5 days × 250 000 × 1450 = 1 812 500 000
    // 26–30 June: 5 days × 150 000 × 1450 = 1 087 500 000
    //  1–5 July:  5 days × 150 000 × 1425 = 1 068 750 000
    //  6–10 July: 5 days × 130 000 × 1425 =   926 250 000
    // Σ 4 895 000 000 / 3 650 000 = 1 341.10 → 13.41 € (periods 496.58, 297.95, 292.81, 253.77 → 497 + 298 + 293 + 254 = 1 342).
    const r = lateInterest({
      amount: 300_000,
      movements: [
        { date: "2024-07-05", amount: 20_000 },
        { date: "2024-06-10", amount: 50_000 },
        { date: "2024-06-25", amount: 100_000 },
      ],
      dueDate: "2024-06-20",
      until: "2024-07-10",
    });
    expect(r.periods.map((p) => [p.halfYear, p.from, p.to, p.days, p.balance, p.rateBp, p.interest])).toEqual([
      ["2024-H1", "2024-06-21", "2024-06-25", 5, 250_000, 1450, 497],
      ["2024-H1", "2024-06-26", "2024-06-30", 5, 150_000, 1450, 298],
      ["2024-H2", "2024-07-01", "2024-07-05", 5, 150_000, 1425, 293],
      ["2024-H2", "2024-07-06", "2024-07-10", 5, 130_000, 1425, 254],
    ]);
    expect(r.interest).toBe(1341);
    expect(r.daysLate).toBe(20);
  });

  it("charges an invoice paid in full late up to its payment date only: 5 000 € due 15 Dec 2025, paid 14 Jan 2026", () => {
    // 16–31 Dec 2025 (12.15 %) + 1–14 Jan 2026 (12.15 %) = 30 days: 500 000 × 1215 × 30 / 3 650 000 = 4 993.15 → 49.93 €.
    // Nothing after 14 January, whatever the as-of date.
    const r = lateInterest({
      amount: 500_000,
      movements: [{ date: "2026-01-14", amount: 500_000 }],
      dueDate: "2025-12-15",
      until: "2026-03-31",
    });
    expect(r.periods.map((p) => [p.halfYear, p.from, p.to, p.days])).toEqual([
      ["2025-H2", "2025-12-16", "2025-12-31", 16],
      ["2026-H1", "2026-01-01", "2026-01-14", 14],
    ]);
    expect(r.interest).toBe(4993);
    expect(r.daysLate).toBe(30);
  });

  it("counts the payment day as late, ignores movements after the end, and never charges a credit balance", () => {
    // Paid the day after the due date: one day at 13.15 % on 1 000 € = 36.03 cents → 36.
    const oneDay = lateInterest({
      amount: 100_000,
      movements: [{ date: "2025-03-11", amount: 100_000 }],
      dueDate: "2025-03-10",
      until: "2025-03-31",
    });
    expect([oneDay.interest, oneDay.daysLate]).toEqual([36, 1]);
    // A payment dated on or after `until` does not change anything before it.
    const later = lateInterest({
      amount: 100_000,
      movements: [
        { date: "2025-03-11", amount: 50_000 },
        { date: "2025-03-11", amount: -50_000 },
        { date: "2025-03-20", amount: 100_000 },
      ],
      dueDate: "2025-03-10",
      until: "2025-03-20",
    });
    // 10 days at 13.15 % on 1 000 € (the two movements of 11 March cancel out): 100 000 × 1315 × 10 / 3 650 000 = 360.27 → 360.
    expect(later.periods.map((p) => [p.from, p.to, p.balance])).toEqual([["2025-03-11", "2025-03-20", 100_000]]);
    expect(later.interest).toBe(360);
    // Overpaid before the due date: nothing is late.
    const overpaid = lateInterest({
      amount: 100_000,
      movements: [{ date: "2025-03-05", amount: 120_000 }],
      dueDate: "2025-03-10",
      until: "2025-04-30",
    });
    expect([overpaid.interest, overpaid.daysLate, overpaid.periods]).toEqual([0, 0, []]);
  });

  it("warns once for a half-year without a rate, however many balances it holds", () => {
    // H1 2026: 21–30 June on 10 000 € = 3 328.77 → 3 329; H2 2026 (no rate): 1–5 July on 10 000 €, 6–10 July on 8 000 €.
    const r = lateInterest({
      amount: 1_000_000,
      movements: [
        { date: "2026-07-05", amount: 200_000 },
        { date: "2026-07-15", amount: 800_000 },
      ],
      dueDate: "2026-06-20",
      until: "2026-07-10",
    });
    expect(r.periods.map((p) => [p.halfYear, p.days, p.balance, p.rateBp])).toEqual([
      ["2026-H1", 10, 1_000_000, 1215],
      ["2026-H2", 5, 1_000_000, null],
      ["2026-H2", 5, 800_000, null],
    ]);
    expect(r.interest).toBe(3329);
    expect(r.complete).toBe(false);
    expect(r.warnings.map((w) => [w.code, w.halfYear])).toEqual([["missing_rate", "2026-H2"]]);
  });

  it("applies a contractual rate to each balance, floored per half-year", () => {
    // 20 % on 10 000 € due 31 March 2026, 4 000 € paid 30 April, until 30 June (same days as above):
    // 66 600 000 × 2000 / 3 650 000 = 36 493.15 → 364.93 €.
    const r = lateInterest({
      amount: 1_000_000,
      movements: [{ date: "2026-04-30", amount: 400_000 }],
      dueDate: "2026-03-31",
      until: "2026-06-30",
      contractualRateBp: 2000,
    });
    expect(r.interest).toBe(36_493);
    expect(r.warnings).toEqual([]);
    // 5 % is below 3 × 2.62 %: 7.86 % applies, one warning for the half-year: 66 600 000 × 786 / 3 650 000 = 14 341.81 → 14 342.
    const floored = lateInterest({
      amount: 1_000_000,
      movements: [{ date: "2026-04-30", amount: 400_000 }],
      dueDate: "2026-03-31",
      until: "2026-06-30",
      contractualRateBp: 500,
    });
    expect(floored.interest).toBe(14_342);
    expect(floored.warnings.map((w) => w.code)).toEqual(["below_legal_floor"]);
  });
});

describe("penalties per invoice (D441-5)", () => {
  it("adds 40 € per late invoice, none for credit notes or invoices not yet due, warnings once per half-year", () => {
    const s = penaltiesFor(
      [
        { id: 1, kind: "invoice", total: 1_000_000, dueDate: "2026-06-20" },
        { id: 2, kind: "invoice", total: 200_000, dueDate: "2026-06-25" },
        { id: 3, kind: "invoice", total: 50_000, dueDate: "2026-08-01" },
        { id: 4, kind: "credit_note", total: -20_000, dueDate: "2026-05-01" },
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

  it("owes the indemnity and the interest of an invoice paid late, even in full; none for one paid on time", () => {
    const s = penaltiesFor(
      [
        // Paid in full 30 days late: 4 993 (see above) and 40 €.
        { id: "late", kind: "invoice", total: 500_000, dueDate: "2025-12-15", movements: [{ date: "2026-01-14", amount: 500_000 }] },
        // Paid on its due date: nothing.
        { id: "on-time", kind: "invoice", total: 500_000, dueDate: "2026-01-15", movements: [{ date: "2026-01-15", amount: 500_000 }] },
        // 10 000 € due 31 March, 4 000 € paid 30 April, still open: 22 170 and 40 €.
        { id: "open", kind: "invoice", total: 1_000_000, dueDate: "2026-03-31", movements: [{ date: "2026-04-30", amount: 400_000 }] },
      ],
      "2026-06-30",
    );
    expect(s.documents.map((d) => [d.id, d.interest, d.indemnity])).toEqual([
      ["late", 4993, 4000],
      ["on-time", 0, 0],
      ["open", 22_170, 4000],
    ]);
    expect([s.interest, s.indemnities, s.total]).toEqual([27_163, 8000, 35_163]);
    expect(s.warnings).toEqual([]);
  });

  it("parses rates and half-years", () => {
    expect(parseRatePercent("12,15")).toBe(1215);
    expect(parseRatePercent("10")).toBe(1000);
    expect(() => parseRatePercent("12.155")).toThrow(/invalid rate/);
    expect(halfYearOf("2026-06-30")).toBe("2026-H1");
    expect(halfYearOf("2026-07-01")).toBe("2026-H2");
  });
});
