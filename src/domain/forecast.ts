/**
 * Cash forecast (échéancier): when the open invoices should turn into cash. Pure.
 *
 * Each open document (or group of documents sharing a due date and a customer profile) is
 * expected at its due date shifted by its customer's own observed delay (`delayProfile` in
 * behaviour.ts: the amount-weighted average days late, in whole days), spread evenly over
 * ± the customer's usual spread (the weighted standard deviation of its days late):
 *
 *   window = [due + shift − spread, due + shift + spread], the amount split evenly per day.
 *
 * Knowing at D that the document is still open, the days of the window up to D are gone:
 * the amount is spread over the days of the window after D. A window that ended on or
 * before D (the customer is later than it usually is) is not scheduled: it is reported as
 * `overdue`, money whose date nobody can tell. Disputed documents and those of defaulted
 * customers are not expected either (`disputed`, `doubtful`).
 *
 * Periods: weeks are 7-day periods starting the day after D (week 1 = D+1 … D+7); months
 * are calendar months, the first one from D+1 to the end of D's month (the next whole month
 * when D is a month's last day). Amounts are split into periods in exact cents (largest
 * remainder), so every euro of the open documents is somewhere:
 *   Σ weeks + laterThanWeeks + overdue + disputed + doubtful = Σ open documents
 * and the same with the months.
 */

import { addDays, daysInclusive, endOfMonth, type IsoDate, maxDate, minDate } from "./dates.js";
import { allocateProportionally, type Cents } from "./money.js";

export interface Period {
  from: IsoDate;
  to: IsoDate;
}

/** Documents expected over the same window (same due date and customer profile). */
export interface ForecastGroup {
  /** The days the customer usually pays such a document: `windowOf(due date, profile)`. */
  window: Period;
  /** Outstanding at D (credit notes negative). */
  amount: Cents;
  disputed: boolean;
  /** The customer defaulted: nothing is expected from it. */
  doubtful: boolean;
}

/**
 * [due + shift − spread, due + shift + spread]. `store/ledger-sql.ts` computes the same
 * window in SQL when it groups open documents for the forecast.
 */
export function windowOf(dueDate: IsoDate, profile: { shift: number; spread: number }): Period {
  const spread = Math.max(0, profile.spread);
  return { from: addDays(dueDate, profile.shift - spread), to: addDays(dueDate, profile.shift + spread) };
}

export interface ForecastPeriod extends Period {
  expected: Cents;
}

export interface ForecastResult {
  asOf: IsoDate;
  weeks: ForecastPeriod[];
  months: ForecastPeriod[];
  /** Expected after the last week / the last month. */
  laterThanWeeks: Cents;
  laterThanMonths: Cents;
  /** Open, but later than the customer's usual window: not scheduled. */
  overdue: Cents;
  disputed: Cents;
  doubtful: Cents;
  /** Σ of every group. */
  total: Cents;
}

export function weekPeriods(asOf: IsoDate, weeks: number): Period[] {
  return Array.from({ length: weeks }, (_, i) => ({ from: addDays(asOf, 1 + 7 * i), to: addDays(asOf, 7 * (i + 1)) }));
}

export function monthPeriods(asOf: IsoDate, months: number): Period[] {
  const out: Period[] = [];
  let from = addDays(asOf, 1);
  for (let i = 0; i < months; i++) {
    const to = endOfMonth(from);
    out.push({ from, to });
    from = addDays(to, 1);
  }
  return out;
}

/** The days after `asOf` over which a group is expected, or null when its window is over. */
export function expectedWindow(window: Period, asOf: IsoDate): Period | null {
  if (window.to <= asOf) return null;
  return { from: maxDate(window.from, addDays(asOf, 1)), to: window.to };
}

function overlap(a: Period, b: Period): number {
  const from = maxDate(a.from, b.from);
  const to = minDate(a.to, b.to);
  return from > to ? 0 : daysInclusive(from, to);
}

/** Splits `amount` spread evenly over `window` into `periods` (+ one last slot for the rest). */
function spreadOver(amount: Cents, window: Period, periods: readonly Period[]): Cents[] {
  const days = daysInclusive(window.from, window.to);
  const weights = periods.map((p) => overlap(window, p));
  const inside = weights.reduce((a, b) => a + b, 0);
  weights.push(days - inside);
  return allocateProportionally(amount, weights);
}

export function forecastReceipts(
  groups: Iterable<ForecastGroup>,
  asOf: IsoDate,
  options: { weeks: number; months: number },
): ForecastResult {
  const weeks = weekPeriods(asOf, options.weeks);
  const months = monthPeriods(asOf, options.months);
  const weekTotals = weeks.map(() => 0);
  const monthTotals = months.map(() => 0);
  let laterThanWeeks = 0;
  let laterThanMonths = 0;
  let overdue = 0;
  let disputed = 0;
  let doubtful = 0;
  let total = 0;
  for (const g of groups) {
    total += g.amount;
    if (g.doubtful) {
      doubtful += g.amount;
      continue;
    }
    if (g.disputed) {
      disputed += g.amount;
      continue;
    }
    const window = expectedWindow(g.window, asOf);
    if (!window) {
      overdue += g.amount;
      continue;
    }
    const w = spreadOver(g.amount, window, weeks);
    for (let i = 0; i < weeks.length; i++) weekTotals[i] = (weekTotals[i] as number) + (w[i] as number);
    laterThanWeeks += w[weeks.length] as number;
    const m = spreadOver(g.amount, window, months);
    for (let i = 0; i < months.length; i++) monthTotals[i] = (monthTotals[i] as number) + (m[i] as number);
    laterThanMonths += m[months.length] as number;
  }
  return {
    asOf,
    weeks: weeks.map((p, i) => ({ ...p, expected: weekTotals[i] as number })),
    months: months.map((p, i) => ({ ...p, expected: monthTotals[i] as number })),
    laterThanWeeks,
    laterThanMonths,
    overdue,
    disputed,
    doubtful,
    total,
  };
}
