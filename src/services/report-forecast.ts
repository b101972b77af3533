/**
 * `relance report forecast` / `GET /api/reports/forecast`: expected receipts per week and per
 * month (domain/forecast.ts), and — so that its accuracy shows — the forecast made
 * `pastWeeks` weeks ago for each of the weeks since, against what was actually received.
 *
 * Each customer's delay profile comes from its documents paid during the 365 days ending
 * at the as-of date (domain/behaviour.ts `delayProfile`; the whole organisation's profile
 * for a customer without any). The database groups the open documents by expected window
 * (due date shifted by the profile), and keeps the groups until the ledger changes
 * (`ensureForecastGroups`). The past forecast uses the same profiles (what is measured is
 * how well invoices are placed, knowing how customers pay) and the documents open at its
 * date.
 */
import { sql, type Transaction } from "kysely";
import { addDays, addMonths, type IsoDate, startOfMonth } from "../domain/dates.js";
import { type ForecastGroup, type ForecastResult, forecastReceipts, type Period, weekPeriods } from "../domain/forecast.js";
import { conflict } from "../errors.js";
import type { Db } from "../store/connect.js";
import { delayProfileColumns, openDocumentsAt, paidDocumentsIn } from "../store/ledger-sql.js";
import type { Database } from "../store/schema.js";
import { type Actor, requirePermission } from "./actor.js";
import { BEHAVIOUR_YEAR_DAYS } from "./report-behaviour.js";
import { checkPositiveInteger, dateList, inReport, money, reportSettings, resolveAsOf } from "./report-common.js";
import { freshSnapshot, snapshotData } from "./snapshots.js";

export interface ForecastInput {
  asOf?: string;
  /** Weeks ahead, default 13. */
  weeks?: number;
  /** Months ahead, default 6. */
  months?: number;
  /** Past weeks compared with what was received, default 4. */
  pastWeeks?: number;
  /** Past months of receipts shown, default 6 (the current month to the as-of date included). */
  historyMonths?: number;
}

export interface PastWeek extends Period {
  expected: number;
  received: number;
}

export interface ForecastReport extends ForecastResult {
  /** Date of the past forecast (the eve of its first week). */
  pastFrom: IsoDate;
  past: PastWeek[];
  receivedByMonth: Array<{ month: string; received: number }>;
}

interface ForecastSnapshot {
  eves: IsoDate[];
}

/**
 * Makes sure the organisation's forecast snapshot (snapshots.ts) holds the groups of
 * `eves` for `asOf`: kept until the ledger changes, because the forecast is on the
 * dashboard and the groups are a few thousand rows where computing them reads a year of
 * paid invoices and every open one. Eves it does not hold yet (another `--past-weeks`) are
 * added to it.
 */
async function ensureForecastGroups(db: Db, orgId: number, asOf: IsoDate, eves: readonly IsoDate[]): Promise<void> {
  await freshSnapshot<ForecastSnapshot>(
    db,
    orgId,
    "forecast",
    asOf,
    async (trx, kept) => {
      if (!kept) await sql`delete from forecast_groups where org_id = ${orgId}`.execute(trx);
      const missing = eves.filter((e) => !kept?.eves.includes(e));
      await insertForecastGroups(trx, orgId, asOf, missing);
      return { eves: [...(kept?.eves ?? []), ...missing] };
    },
    (data) => eves.every((e) => data.eves.includes(e)),
  );
}

/**
 * The groups of `eves` (`ForecastGroup`s per eve) read from the snapshot in the report's
 * transaction, or undefined when a write or a rebuild for another date replaced it since
 * `ensureForecastGroups`.
 */
async function readForecastGroups(
  trx: Transaction<Database>,
  orgId: number,
  asOf: IsoDate,
  eves: readonly IsoDate[],
): Promise<Map<IsoDate, ForecastGroup[]> | undefined> {
  const held = await snapshotData<ForecastSnapshot>(trx, orgId, "forecast", asOf);
  if (!held || !eves.every((e) => held.eves.includes(e))) return undefined;
  // One JSON array rather than thousands of rows: the embedded database decodes each field
  // of each row in JavaScript (8 000 groups: 15 ms as JSON, 80 ms as rows).
  const r = await sql<{ groups: Array<[IsoDate, IsoDate, IsoDate, boolean, boolean, number]> | null }>`
    select json_agg(json_build_array(eve, win_from, win_to, disputed, doubtful, amount)) as groups from forecast_groups
    where org_id = ${orgId} and eve = any(cast(${dateList(eves)} as date[]))`.execute(trx);
  const out = new Map<IsoDate, ForecastGroup[]>(eves.map((e) => [e, []]));
  for (const [eve, from, to, disputed, doubtful, amount] of r.rows[0]?.groups ?? []) {
    out.get(eve)?.push({ window: { from, to }, amount, disputed, doubtful });
  }
  return out;
}

/**
 * Computes the groups of `eves` into forecast_groups, in one statement. Each customer's
 * delay profile comes from its documents paid during the 365 days ending at `asOf` (the
 * organisation's for a customer without any; sums in integers, each converted once to
 * float8 by delayProfileColumns); the past eves use the same profiles. One branch of open
 * documents per eve (a UNION ALL rather than a join on a list of dates) so that each is
 * planned with its own date and reads the right index.
 */
async function insertForecastGroups(trx: Transaction<Database>, orgId: number, asOf: IsoDate, eves: readonly IsoDate[]): Promise<void> {
  if (eves.length === 0) return;
  const profileFrom = addDays(asOf, -(BEHAVIOUR_YEAR_DAYS - 1));
  const open = sql.join(
    eves.map(
      (e) => sql`select ${e}::date as eve, x.customer_id, x.due_date, x.disputed, x.outstanding from ${openDocumentsAt(orgId, e)} x`,
    ),
    sql` union all `,
  );
  // The report planner settings: grouping a year of paid invoices by customer must not spill.
  await reportSettings(trx);
  await sql`
    with prof as materialized (
      select p.customer_id, sum(p.paid)::bigint as w, sum(p.paid * (p.paid_date - p.due_date))::bigint as l,
             sum(p.paid * (p.paid_date - p.due_date) * (p.paid_date - p.due_date))::bigint as l2
      from ${paidDocumentsIn(orgId, profileFrom, asOf)} p group by p.customer_id
    ),
    org as materialized (select sum(w)::float8 as w, sum(l)::float8 as l, sum(l2)::float8 as l2 from prof),
    shape as materialized (
      select c.id as customer_id, c.status = 'defaulted' as doubtful,
             ${delayProfileColumns(
               sql`case when p.w > 0 then p.w::float8 else org.w end`,
               sql`case when p.w > 0 then p.l::float8 else org.l end`,
               sql`case when p.w > 0 then p.l2::float8 else org.l2 end`,
             )}
      from customers c left join prof p on p.customer_id = c.id cross join org
      where c.org_id = ${orgId}
    ),
    o as (${open})
    insert into forecast_groups (org_id, eve, win_from, win_to, disputed, doubtful, amount)
    select ${orgId}, o.eve, o.due_date + s.shift - s.spread, o.due_date + s.shift + s.spread, o.disputed, s.doubtful,
           sum(o.outstanding)::bigint
    from o join shape s on s.customer_id = o.customer_id
    group by 2, 3, 4, 5, 6`.execute(trx);
}

export async function reportForecast(db: Db, actor: Actor, input: ForecastInput = {}): Promise<ForecastReport> {
  requirePermission(actor, "read");
  const asOf = resolveAsOf(input.asOf);
  const weeks = checkPositiveInteger(input.weeks, "--weeks", 260) ?? 13;
  const months = checkPositiveInteger(input.months, "--months", 60) ?? 6;
  const pastWeeks = input.pastWeeks === 0 ? 0 : (checkPositiveInteger(input.pastWeeks, "--past-weeks", 104) ?? 4);
  const historyMonths = input.historyMonths === 0 ? 0 : (checkPositiveInteger(input.historyMonths, "--history-months", 120) ?? 6);
  const orgId = actor.orgId;
  const historyFrom = startOfMonth(addMonths(startOfMonth(asOf), -(historyMonths - 1)));
  const eve = addDays(asOf, -7 * pastWeeks);
  const past = weekPeriods(eve, pastWeeks);

  const eves = pastWeeks > 0 ? [asOf, eve] : [asOf];

  const read = () =>
    inReport(db, async (trx) => {
      const groups = await readForecastGroups(trx, orgId, asOf, eves);
      if (!groups) return undefined;
      const receipts = await sql<{ weeks: Array<[number, number]> | null; months: Array<[string, number]> | null }>`
        select
          (select json_agg(json_build_array(k.i, (select coalesce(sum(p.amount), 0) from payments p
                                                   where p.org_id = ${orgId} and p.date >= k.a and p.date <= k.b)))
           from unnest(cast(${dateList(past.map((p) => p.from))} as date[]), cast(${dateList(past.map((p) => p.to))} as date[]))
                with ordinality as k(a, b, i)) as weeks,
          (select json_agg(json_build_array(m.month, m.received))
           -- Summed per day first, in the index's order, so that the month is formatted
           -- once per day rather than once per payment.
           from (select to_char(d.date, 'YYYY-MM') as month, sum(d.received) as received
                 from (select date, sum(amount) as received from payments
                       where org_id = ${orgId} and date >= ${historyFrom}::date and date <= ${asOf}::date and ${historyMonths > 0}
                       group by date) d
                 group by 1) m) as months`.execute(trx);
      const row = receipts.rows[0];
      return { groups, received: row?.weeks ?? [], byMonth: row?.months ?? [] };
    });
  let data: Awaited<ReturnType<typeof read>>;
  // A write (or a rebuild for another date) between making the snapshot and reading it
  // sends us round again; three turns in a row only under a stream of writes.
  for (let turn = 0; turn < 3 && !data; turn++) {
    await ensureForecastGroups(db, orgId, asOf, eves);
    data = await read();
  }
  if (!data) throw conflict("the ledger kept changing while the forecast was computed; try again");
  const { groups } = data;

  const result = forecastReceipts(groups.get(asOf) ?? [], asOf, { weeks, months });
  const then = forecastReceipts(groups.get(eve) ?? [], eve, { weeks: pastWeeks, months: 0 });
  const receivedAt = new Map(data.received.map(([k, amount]) => [Number(k), amount]));
  const monthReceived = new Map(data.byMonth);
  return {
    ...result,
    pastFrom: eve,
    past: then.weeks.map((p, i) => ({ ...p, received: receivedAt.get(i + 1) ?? 0 })),
    receivedByMonth: Array.from({ length: historyMonths }, (_, i) => {
      const month = addMonths(historyFrom, i).slice(0, 7);
      return { month, received: monthReceived.get(month) ?? 0 };
    }),
  };
}

export function forecastToJson(r: ForecastReport) {
  const period = (p: { from: string; to: string; expected: number }) => ({ from: p.from, to: p.to, expected: money(p.expected) });
  return {
    asOf: r.asOf,
    weeks: r.weeks.map(period),
    months: r.months.map(period),
    laterThanWeeks: money(r.laterThanWeeks),
    laterThanMonths: money(r.laterThanMonths),
    overdue: money(r.overdue),
    disputed: money(r.disputed),
    doubtful: money(r.doubtful),
    total: money(r.total),
    pastFrom: r.pastFrom,
    past: r.past.map((p) => ({ from: p.from, to: p.to, expected: money(p.expected), received: money(p.received) })),
    receivedByMonth: r.receivedByMonth.map((m) => ({ month: m.month, received: money(m.received) })),
  };
}
