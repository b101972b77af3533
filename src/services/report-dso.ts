/**
 * `relance report dso` / `GET /api/reports/dso`: classic DSO over a window, count-back DSO,
 * best possible DSO, ADD and CEI (DESIGN §5). The database sums (AR at two dates, the
 * not-yet-due part, revenue per day); `domain/dso.ts` computes every figure.
 */
import { sql } from "kysely";
import { addDays, addMonths, type IsoDate, maxDate, minDate, startOfMonth } from "../domain/dates.js";
import { COUNTBACK_MAX_MONTHS, countbackDso, type DsoAggregates, type DsoFigures, dsoFiguresFrom } from "../domain/dso.js";
import { type RevenueByPeriod, revenueLookupFromDaily } from "../domain/receivables.js";
import type { Db } from "../store/connect.js";
import { openDocumentsAt, unallocatedPaymentsAt } from "../store/ledger-sql.js";
import { type Actor, requirePermission } from "./actor.js";
import { inReport, money, type ReportWindow, resolveWindow, type WindowInput } from "./report-common.js";

/** Σ revenue per issue day over [from, to]. */
export async function dailyRevenue(db: Db, orgId: number, from: IsoDate, to: IsoDate): Promise<Map<IsoDate, number>> {
  const rows = await sql<{ day: string; revenue: number }>`
    select issue_date as day, sum(total)::bigint as revenue from documents
    where org_id = ${orgId} and issue_date between ${from}::date and ${to}::date
    group by issue_date`.execute(db);
  return new Map(rows.rows.map((r) => [r.day, r.revenue]));
}

/** AR at D (documents − unallocated payments) and its not-yet-due part, in one query. */
export async function receivablesAt(db: Db, orgId: number, asOf: IsoDate): Promise<{ ar: number; notDue: number }> {
  const r = await sql<{ documents: number; not_due: number; unallocated: number }>`
    select d.documents, d.not_due, u.unallocated
    from (select coalesce(sum(o.outstanding), 0)::bigint as documents,
                 coalesce(sum(o.outstanding) filter (where o.due_date >= ${asOf}::date), 0)::bigint as not_due
          from ${openDocumentsAt(orgId, asOf)} o) d
    cross join (select coalesce(sum(x.unallocated), 0)::bigint as unallocated from ${unallocatedPaymentsAt(orgId, asOf)} x) u`.execute(db);
  const row = r.rows[0] ?? { documents: 0, not_due: 0, unallocated: 0 };
  return { ar: row.documents - row.unallocated, notDue: row.not_due };
}

/** The first day whose revenue the count-back walk from `to` can ask for. */
export function countbackStart(to: IsoDate): IsoDate {
  return startOfMonth(addMonths(startOfMonth(to), -(COUNTBACK_MAX_MONTHS - 1)));
}

/**
 * Revenue per day from `from` to the last `to` of `walks`, enough for the count-back walk
 * of each (AR, to). A walk rarely goes back more than a few months: revenue is read from
 * four months before the earliest `to` first, and over the whole 24 months only when a walk
 * (the domain's own) goes further back than that.
 */
export async function revenueFor(
  db: Db,
  orgId: number,
  from: IsoDate,
  walks: ReadonlyArray<{ ar: number; to: IsoDate }>,
): Promise<RevenueByPeriod> {
  const earliest = walks.reduce((m, w) => minDate(m, w.to), walks[0]?.to ?? from);
  const latest = walks.reduce((m, w) => maxDate(m, w.to), walks[0]?.to ?? from);
  let first = minDate(from, addMonths(startOfMonth(earliest), -3));
  let lookup = revenueLookupFromDaily(await dailyRevenue(db, orgId, first, latest));
  const reached = walks.reduce((m, w) => {
    const start = countbackDso(w.ar, w.to, lookup).months.at(-1)?.from ?? w.to;
    return minDate(start, m);
  }, latest);
  if (reached < first) {
    first = minDate(from, countbackStart(earliest));
    lookup = revenueLookupFromDaily(await dailyRevenue(db, orgId, first, latest));
  }
  return lookup;
}

export async function dsoAggregates(db: Db, orgId: number, w: ReportWindow): Promise<DsoAggregates> {
  const before = addDays(w.from, -1);
  const end = await receivablesAt(db, orgId, w.to);
  const start = await receivablesAt(db, orgId, before);
  const lookup = await revenueFor(db, orgId, w.from, [{ ar: end.ar, to: w.to }]);
  return {
    from: w.from,
    to: w.to,
    days: w.days,
    ar: end.ar,
    arBefore: start.ar,
    notDueAr: end.notDue,
    revenue: lookup(w.from, w.to),
    monthlyRevenue: lookup,
  };
}

export interface DsoReport {
  asOf: IsoDate;
  figures: DsoFigures;
}

export async function reportDso(db: Db, actor: Actor, input: WindowInput = {}): Promise<DsoReport> {
  requirePermission(actor, "read");
  const w = resolveWindow(input);
  const aggregates = await inReport(db, (trx) => dsoAggregates(trx, actor.orgId, w));
  return { asOf: w.asOf, figures: dsoFiguresFrom(aggregates) };
}

export interface DsoJson {
  asOf: string;
  from: string;
  to: string;
  days: number;
  receivables: string;
  revenue: string;
  dso: { classic: number | null; countback: number; bestPossible: number | null; add: number | null };
  cei: number | null;
  countbackExhausted: boolean;
  /** Not-yet-due part of the receivables at `to`. */
  notDue: string;
  /** Receivables the day before `from` (for the CEI). */
  receivablesBefore: string;
}

/** The `--json` contract of `report dso` (money as decimal strings, days unrounded). */
export function dsoToJson(asOf: IsoDate, f: DsoFigures): DsoJson {
  return {
    asOf,
    from: f.from,
    to: f.to,
    days: f.days,
    receivables: money(f.ar),
    revenue: money(f.revenue),
    dso: { classic: f.dso, countback: f.countback.dso, bestPossible: f.bestPossibleDso, add: f.add },
    cei: f.cei,
    countbackExhausted: f.countback.exhausted,
    notDue: money(f.notDueAr),
    receivablesBefore: money(f.arBefore),
  };
}
