import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays } from "./dates.js";
import { expectedWindow, type ForecastGroup, forecastReceipts, monthPeriods, weekPeriods, windowOf } from "./forecast.js";

const group = (window: { from: string; to: string }, amount: number, extra: Partial<ForecastGroup> = {}): ForecastGroup => ({
  window,
  amount,
  disputed: false,
  doubtful: false,
  ...extra,
});

describe("periods", () => {
  it("weeks are 7-day periods from the day after D", () => {
    expect(weekPeriods("2026-11-25", 2)).toEqual([
      { from: "2026-11-26", to: "2026-12-02" },
      { from: "2026-12-03", to: "2026-12-09" },
    ]);
  });

  it("months are calendar months, the first one from D+1 (across a leap February)", () => {
    expect(monthPeriods("2024-01-20", 3)).toEqual([
      { from: "2024-01-21", to: "2024-01-31" },
      { from: "2024-02-01", to: "2024-02-29" },
      { from: "2024-03-01", to: "2024-03-31" },
    ]);
    expect(monthPeriods("2024-01-31", 1)).toEqual([{ from: "2024-02-01", to: "2024-02-29" }]);
  });
});

describe("windowOf / expectedWindow", () => {
  it("shifts the due date by the customer's delay, ± its spread", () => {
    expect(windowOf("2026-12-01", { shift: 15, spread: 5 })).toEqual({ from: "2026-12-11", to: "2026-12-21" });
    expect(windowOf("2026-12-01", { shift: -2, spread: 0 })).toEqual({ from: "2026-11-29", to: "2026-11-29" });
  });

  it("keeps the days after D only, and nothing when the window is over", () => {
    expect(expectedWindow({ from: "2026-11-20", to: "2026-11-30" }, "2026-11-25")).toEqual({ from: "2026-11-26", to: "2026-11-30" });
    expect(expectedWindow({ from: "2026-11-20", to: "2026-11-25" }, "2026-11-25")).toBeNull();
  });
});

describe("forecastReceipts", () => {
  it("spreads an invoice evenly over its window, in exact cents (hand-computed)", () => {
    // 1 100,00 € expected from 30/11 to 10/12 (11 days, 100 € a day). Week 1 = 26/11–2/12
    // holds 30/11, 1/12, 2/12 (3 days = 300 €), week 2 = 3/12–9/12 (7 days = 700 €), then 100 €.
    const r = forecastReceipts([group({ from: "2026-11-30", to: "2026-12-10" }, 110_000)], "2026-11-25", { weeks: 2, months: 2 });
    expect(r.weeks.map((w) => w.expected)).toEqual([30_000, 70_000]);
    expect(r.laterThanWeeks).toBe(10_000);
    // November: 30/11 (100 €); December: the other 10 days.
    expect(r.months.map((m) => m.expected)).toEqual([10_000, 100_000]);
    expect(r.laterThanMonths).toBe(0);
  });

  it("spreads what is left of a window already started over its remaining days", () => {
    // Window 20/11–30/11, D = 25/11: 5 days left (26–30/11) for the whole 500 €.
    const r = forecastReceipts([group({ from: "2026-11-20", to: "2026-11-30" }, 50_000)], "2026-11-25", { weeks: 1, months: 1 });
    expect(r.weeks[0]?.expected).toBe(50_000);
  });

  it("does not schedule money later than usual, disputed, or owed by a defaulted customer", () => {
    const r = forecastReceipts(
      [
        group({ from: "2026-10-01", to: "2026-10-31" }, 1_000),
        group({ from: "2026-12-01", to: "2026-12-01" }, 2_000, { disputed: true }),
        group({ from: "2026-12-01", to: "2026-12-01" }, 4_000, { doubtful: true }),
      ],
      "2026-11-25",
      { weeks: 2, months: 1 },
    );
    expect([r.overdue, r.disputed, r.doubtful, r.total]).toEqual([1_000, 2_000, 4_000, 7_000]);
    expect(r.weeks.every((w) => w.expected === 0)).toBe(true);
  });

  it("nets credit notes against the receipts of their window", () => {
    const r = forecastReceipts(
      [group({ from: "2026-11-26", to: "2026-11-26" }, 10_000), group({ from: "2026-11-27", to: "2026-11-27" }, -3_000)],
      "2026-11-25",
      { weeks: 1, months: 0 },
    );
    expect(r.weeks[0]?.expected).toBe(7_000);
  });

  it("puts every cent somewhere, whatever the groups (property)", () => {
    const arbGroup = fc.record({
      start: fc.integer({ min: -120, max: 200 }),
      length: fc.integer({ min: 0, max: 60 }),
      amount: fc.integer({ min: -1_000_000, max: 50_000_000 }),
      disputed: fc.boolean(),
      doubtful: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(arbGroup, { maxLength: 30 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 8 }),
        (gs, weeks, months) => {
          const asOf = "2024-02-20";
          const groups = gs.map((g) =>
            group({ from: addDays(asOf, g.start), to: addDays(asOf, g.start + g.length) }, g.amount, {
              disputed: g.disputed,
              doubtful: g.doubtful,
            }),
          );
          const r = forecastReceipts(groups, asOf, { weeks, months });
          const rest = r.overdue + r.disputed + r.doubtful;
          const total = groups.reduce((s, g) => s + g.amount, 0);
          expect(r.total).toBe(total);
          expect(r.weeks.reduce((s, w) => s + w.expected, 0) + r.laterThanWeeks + rest).toBe(total);
          expect(r.months.reduce((s, m) => s + m.expected, 0) + r.laterThanMonths + rest).toBe(total);
          for (const p of [...r.weeks, ...r.months]) expect(Number.isSafeInteger(p.expected)).toBe(true);
        },
      ),
    );
  });
});
