/**
 * Days-sales-outstanding figures, exactly per DESIGN §5. Pure functions; results are
 * unrounded numbers of days (rounding is a display concern).
 *
 * A ratio over a period is only defined over a positive flow: when the denominator
 * (revenue, purchases, …) is 0 — or negative, which only happens when credit notes exceed
 * invoices — the ratio is `null`, never Infinity or NaN.
 */

import { addDays, daysInclusive, type IsoDate, startOfMonth } from "./dates.js";
import type { Cents } from "./money.js";
import { arAt, type Ledger, notDueArAt, type RevenueByPeriod, revenueLookup, revenue as revenueOf } from "./receivables.js";

/** `numerator / denominator × days`, or null when the denominator is not positive. */
export function daysRatio(numerator: Cents, denominator: Cents, days: number): number | null {
  if (!(denominator > 0) || !Number.isFinite(days)) return null;
  return (numerator / denominator) * days;
}

/** Classic DSO = AR(to) / Revenue(from, to) × days. */
export function classicDso(input: { ar: Cents; revenue: Cents; days: number }): number | null {
  return daysRatio(input.ar, input.revenue, input.days);
}

/** Best possible DSO = not-yet-due AR / Revenue × days. */
export function bestPossibleDso(input: { notDueAr: Cents; revenue: Cents; days: number }): number | null {
  return daysRatio(input.notDueAr, input.revenue, input.days);
}

/** Average days delinquent: ADD = DSO − best possible DSO (null when either is). */
export function averageDaysDelinquent(dso: number | null, best: number | null): number | null {
  return dso === null || best === null ? null : dso - best;
}
/** Short name used in DESIGN §5. */
export const add = averageDaysDelinquent;

/**
 * Collection effectiveness index, in percent:
 * (AR(from−1) + Revenue − AR(to)) / (AR(from−1) + Revenue − current AR(to)) × 100,
 * where current AR(to) is the part of AR(to) not yet due. Null when the denominator is 0.
 */
export function cei(input: { arBefore: Cents; revenue: Cents; arEnd: Cents; currentArEnd: Cents }): number | null {
  const denominator = input.arBefore + input.revenue - input.currentArEnd;
  if (denominator === 0) return null;
  return ((input.arBefore + input.revenue - input.arEnd) / denominator) * 100;
}

/** Revenue per month: a period function, or values keyed `YYYY-MM`. */
export type MonthlyRevenue = RevenueByPeriod | ReadonlyMap<string, Cents> | Readonly<Record<string, Cents>>;

export interface CountbackMonth {
  /** `YYYY-MM` */
  month: string;
  from: IsoDate;
  to: IsoDate;
  /** Calendar days of [from, to]. */
  days: number;
  revenue: Cents;
  /** AR still to explain when this month was reached. */
  remainingBefore: Cents;
  /** Days this month contributed (all its days, or a fraction of them for the last one). */
  daysCounted: number;
}

export interface CountbackResult {
  /** Unrounded days; when `exhausted`, the days of the months walked (a lower bound). */
  dso: number;
  /** True when 24 months of revenue did not cover the AR. */
  exhausted: boolean;
  months: CountbackMonth[];
}

export const COUNTBACK_MAX_MONTHS = 24;

function monthRevenueFn(lookup: MonthlyRevenue): RevenueByPeriod {
  if (typeof lookup === "function") return lookup;
  if (lookup instanceof Map) return (from) => lookup.get(from.slice(0, 7)) ?? 0;
  const record = lookup as Readonly<Record<string, Cents>>;
  return (from) => record[from.slice(0, 7)] ?? 0;
}

/**
 * Count-back DSO at D (DESIGN §5): R = AR(D); walk back month by month starting with the
 * month of D, counted from its 1st to D; while R ≥ the month's revenue, add the month's
 * days and subtract its revenue; otherwise add R / revenue × days of that month and stop.
 *
 * Choices where DESIGN is silent:
 * - The walk stops as soon as R = 0 (nothing left to explain). Without this rule a zero AR
 *   followed by months without sales would count those months' days.
 * - A month with zero (or negative) revenue while R > 0: R ≥ revenue holds, so its days are
 *   added and the walk continues, as the algorithm reads literally.
 * - AR ≤ 0 gives 0 days (nothing is outstanding).
 * - After `maxMonths` (24) months with R still > 0, the walk stops with `exhausted: true`
 *   and `dso` is the days counted so far (a lower bound).
 * - With a Map/Record lookup, the value for D's month is taken as that month's revenue up
 *   to D (the caller's responsibility); a function lookup is called with (1st, D).
 */
export function countbackDso(
  ar: Cents,
  asOf: IsoDate,
  monthlyRevenue: MonthlyRevenue,
  options: { maxMonths?: number } = {},
): CountbackResult {
  const maxMonths = options.maxMonths ?? COUNTBACK_MAX_MONTHS;
  const lookup = monthRevenueFn(monthlyRevenue);
  const months: CountbackMonth[] = [];
  let remaining = ar;
  let dso = 0;
  let to = asOf;
  for (let i = 0; i < maxMonths; i++) {
    if (remaining <= 0) return { dso, exhausted: false, months };
    const from = startOfMonth(to);
    const days = daysInclusive(from, to);
    const rev = lookup(from, to);
    const month: CountbackMonth = {
      month: from.slice(0, 7),
      from,
      to,
      days,
      revenue: rev,
      remainingBefore: remaining,
      daysCounted: days,
    };
    months.push(month);
    if (remaining >= rev) {
      dso += days;
      remaining -= rev;
    } else {
      // remaining > 0 here, so rev > remaining > 0: the division is safe.
      month.daysCounted = (remaining / rev) * days;
      dso += month.daysCounted;
      return { dso, exhausted: false, months };
    }
    to = addDays(from, -1);
  }
  return { dso, exhausted: remaining > 0, months };
}

/** Everything `relance report dso` shows, computed once from a ledger. */
export interface DsoFigures {
  from: IsoDate;
  to: IsoDate;
  days: number;
  ar: Cents;
  revenue: Cents;
  notDueAr: Cents;
  dso: number | null;
  bestPossibleDso: number | null;
  add: number | null;
  countback: CountbackResult;
  /** AR the day before `from`. */
  arBefore: Cents;
  cei: number | null;
}

/** What the DSO figures need, whether summed from a ledger in memory or by a database. */
export interface DsoAggregates {
  from: IsoDate;
  to: IsoDate;
  /** Overrides the calendar days of [from, to] (360/365 conventions). */
  days?: number;
  /** AR(to). */
  ar: Cents;
  /** AR(from − 1). */
  arBefore: Cents;
  /** Not-yet-due AR at `to`. */
  notDueAr: Cents;
  /** Revenue(from, to). */
  revenue: Cents;
  /** Revenue per month for the count-back walk from `to` (at least the months it reaches). */
  monthlyRevenue: MonthlyRevenue;
}

/** The DSO figures from their aggregates: the one place where they are put together. */
export function dsoFiguresFrom(a: DsoAggregates): DsoFigures {
  const { from, to } = a;
  if (from > to) throw new RangeError(`period start ${from} is after its end ${to}`);
  if (a.days !== undefined && !(a.days > 0)) throw new RangeError(`days must be positive, got ${a.days}`);
  const days = a.days ?? daysInclusive(from, to);
  const dso = classicDso({ ar: a.ar, revenue: a.revenue, days });
  const best = bestPossibleDso({ notDueAr: a.notDueAr, revenue: a.revenue, days });
  return {
    from,
    to,
    days,
    ar: a.ar,
    revenue: a.revenue,
    notDueAr: a.notDueAr,
    dso,
    bestPossibleDso: best,
    add: averageDaysDelinquent(dso, best),
    countback: countbackDso(a.ar, to, a.monthlyRevenue),
    arBefore: a.arBefore,
    cei: cei({ arBefore: a.arBefore, revenue: a.revenue, arEnd: a.ar, currentArEnd: a.notDueAr }),
  };
}

/**
 * DSO figures of a ledger over [from, to] (`days` overrides the calendar days, for the
 * 360/365 conventions). The count-back DSO is taken at `to`.
 */
export function dsoFigures(ledger: Ledger, period: { from: IsoDate; to: IsoDate; days?: number }): DsoFigures {
  const { from, to } = period;
  if (from > to) throw new RangeError(`period start ${from} is after its end ${to}`);
  return dsoFiguresFrom({
    from,
    to,
    days: period.days,
    ar: arAt(ledger, to),
    arBefore: arAt(ledger, addDays(from, -1)),
    notDueAr: notDueArAt(ledger, to),
    revenue: revenueOf(ledger, from, to),
    monthlyRevenue: revenueLookup(ledger),
  });
}
