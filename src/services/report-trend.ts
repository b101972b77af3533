/**
 * `relance report trend` / `GET /api/reports/trend`: the DSO report taken at the end of each
 * of the last N months (24 by default; the current month at the as-of date), each over the
 * window of `windowDays` days ending there (90 by default) — exactly what `report dso
 * --as-of <that day>` prints, so the two never disagree.
 *
 * AR at the 2N dates (each month end and the day before its window) comes from one query
 * (`arSeries`), the not-yet-due AR at the N month ends from another (`notDueSeries`), and
 * revenue per day from a third; `domain/dso.ts` computes every point.
 */
import { sql } from "kysely";
import { addDays, addMonths, endOfMonth, type IsoDate, startOfMonth } from "../domain/dates.js";
import { type DsoFigures, dsoFiguresFrom } from "../domain/dso.js";
import type { Db } from "../store/connect.js";
import { arSeries, notDueSeries } from "../store/ledger-sql.js";
import { type Actor, requirePermission } from "./actor.js";
import { checkPositiveInteger, DEFAULT_WINDOW_DAYS, inReport, resolveAsOf } from "./report-common.js";
import { type DsoJson, dsoToJson, revenueFor } from "./report-dso.js";

export interface TrendInput {
  asOf?: string;
  /** Number of months, default 24. */
  months?: number;
  /** Days of each point's window, default 90. */
  windowDays?: number;
  /** Days of the ratio instead of the window's calendar days (360/365 conventions). */
  days?: number;
}

export interface TrendPoint {
  /** `YYYY-MM` */
  month: string;
  figures: DsoFigures;
}

export interface TrendReport {
  asOf: IsoDate;
  windowDays: number;
  points: TrendPoint[];
}

/** The last day of each of the `months` months ending with as-of's month (as-of itself for it), oldest first. */
export function trendDates(asOf: IsoDate, months: number): IsoDate[] {
  const out: IsoDate[] = [];
  for (let i = months - 1; i >= 1; i--) out.push(endOfMonth(addMonths(startOfMonth(asOf), -i)));
  out.push(asOf);
  return out;
}

export async function reportTrend(db: Db, actor: Actor, input: TrendInput = {}): Promise<TrendReport> {
  requirePermission(actor, "read");
  const asOf = resolveAsOf(input.asOf);
  const months = checkPositiveInteger(input.months, "--months", 120) ?? 24;
  const windowDays = checkPositiveInteger(input.windowDays, "--window", 3660) ?? DEFAULT_WINDOW_DAYS;
  const days = checkPositiveInteger(input.days, "--days", 3660);
  const ends = trendDates(asOf, months);
  const starts = ends.map((to) => addDays(to, -(windowDays - 1)));
  const befores = starts.map((from) => addDays(from, -1));
  const orgId = actor.orgId;

  const { arAt, notDueAt, lookup } = await inReport(db, async (trx) => {
    const ar = await sql<{ date: string; ar: number }>`select * from ${arSeries(orgId, [...ends, ...befores])} s`.execute(trx);
    const notDue = await sql<{ date: string; not_due: number }>`select * from ${notDueSeries(orgId, ends)} s`.execute(trx);
    const arAt = new Map(ar.rows.map((r) => [r.date, r.ar]));
    const lookup = await revenueFor(
      trx,
      orgId,
      starts[0] as IsoDate,
      ends.map((to) => ({ ar: arAt.get(to) ?? 0, to })),
    );
    return { arAt, notDueAt: new Map(notDue.rows.map((r) => [r.date, r.not_due])), lookup };
  });
  const points = ends.map((to, i) => {
    const from = starts[i] as IsoDate;
    return {
      month: to.slice(0, 7),
      figures: dsoFiguresFrom({
        from,
        to,
        days,
        ar: arAt.get(to) ?? 0,
        arBefore: arAt.get(befores[i] as IsoDate) ?? 0,
        notDueAr: notDueAt.get(to) ?? 0,
        revenue: lookup(from, to),
        monthlyRevenue: lookup,
      }),
    };
  });
  return { asOf, windowDays, points };
}

export function trendToJson(r: TrendReport): { asOf: string; windowDays: number; points: Array<{ month: string } & DsoJson> } {
  return {
    asOf: r.asOf,
    windowDays: r.windowDays,
    points: r.points.map((p) => ({ month: p.month, ...dsoToJson(p.figures.to, p.figures) })),
  };
}
