/**
 * `relance report behaviour` / `GET /api/reports/behaviour` and
 * `GET /api/customers/:id/behaviour`: how each customer pays (domain/behaviour.ts).
 *
 * Over the 365 days ending at the as-of date: amount-weighted days to pay and days late of
 * the documents paid, their spread, the share paid on time; the trend compares the days
 * late of the last 90 days with the 275 days before. Next to them: promises not kept
 * (status broken, or still pending after their date) and disputes (open at the as-of date,
 * opened during the year). `reminders` counts the reminders sent during the year from the
 * dunning engine's records; it is 0 while the engine has not sent any (and where the
 * dunning tables do not exist yet).
 */
import { sql } from "kysely";
import { type BehaviourTrend, behaviourTrend, type PaymentBehaviour, type PaymentSums, paymentBehaviour } from "../domain/behaviour.js";
import { addDays, type IsoDate, maxDate, minDate } from "../domain/dates.js";
import { notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import { paidDocumentsIn, paymentSumsColumns } from "../store/ledger-sql.js";
import { type Actor, requirePermission } from "./actor.js";
import { checkPositiveInteger, inReport, money, resolveAsOf, usageError } from "./report-common.js";

export const BEHAVIOUR_YEAR_DAYS = 365;
export const BEHAVIOUR_RECENT_DAYS = 90;

/** The windows of paid documents at D: the year, its last 90 days, and the 275 days before. */
export function behaviourWindows(asOf: IsoDate) {
  return {
    yearFrom: addDays(asOf, -(BEHAVIOUR_YEAR_DAYS - 1)),
    recentFrom: addDays(asOf, -(BEHAVIOUR_RECENT_DAYS - 1)),
    to: asOf,
  };
}

export interface CustomerActivity {
  recent: PaymentSums;
  previous: PaymentSums;
  brokenPromises: number;
  openDisputes: number;
  disputesOpened: number;
  reminders: number;
}

type SumsRow = Record<string, number>;
const sumsOf = (r: SumsRow, prefix: string): PaymentSums => ({
  documents: Number(r[`${prefix}documents`] ?? 0),
  paid: Number(r[`${prefix}paid`] ?? 0),
  paidDays: Number(r[`${prefix}paid_days`] ?? 0),
  lateDays: Number(r[`${prefix}late_days`] ?? 0),
  lateDaysSquared: Number(r[`${prefix}late_days_squared`] ?? 0),
  paidOnTime: Number(r[`${prefix}paid_on_time`] ?? 0),
});

async function remindersTableExists(db: Db): Promise<boolean> {
  const r = await sql<{ ok: boolean }>`select to_regclass('dunning_events') is not null as ok`.execute(db);
  return r.rows[0]?.ok === true;
}

const emptyActivity = (): CustomerActivity => ({
  recent: sumsOf({}, ""),
  previous: sumsOf({}, ""),
  brokenPromises: 0,
  openDisputes: 0,
  disputesOpened: 0,
  reminders: 0,
});

/**
 * Per customer at each date D of `dates`: paid-document sums (recent and previous windows),
 * promises not kept, disputes and reminders of the year to D. Customers with none of these
 * are absent. The paid documents of all the dates are read in one pass.
 */
export async function customerActivityAt(
  db: Db,
  orgId: number,
  dates: readonly IsoDate[],
  customerId?: number,
): Promise<Map<IsoDate, Map<number, CustomerActivity>>> {
  const only = (col: string) => (customerId === undefined ? sql`true` : sql`${sql.raw(col)} = ${customerId}`);
  const windows = dates.map(behaviourWindows);
  const first = windows.reduce((m, w) => minDate(m, w.yearFrom), windows[0]?.yearFrom ?? "9999-12-31");
  const last = windows.reduce((m, w) => maxDate(m, w.to), windows[0]?.to ?? "0000-01-01");
  const columns = sql.join(
    windows.map((w, i) => {
      const paidAt = sql`p.settled_last <= ${w.to}::date and p.paid_date <= ${w.to}::date`;
      return sql`${paymentSumsColumns("p", `r${i}_`, sql`${paidAt} and p.paid_date >= ${w.recentFrom}::date`)},
        ${paymentSumsColumns("p", `p${i}_`, sql`${paidAt} and p.paid_date >= ${w.yearFrom}::date and p.paid_date < ${w.recentFrom}::date`)}`;
    }),
  );
  const paid =
    dates.length === 0
      ? { rows: [] }
      : await sql<SumsRow & { customer_id: number }>`
          select p.customer_id, ${columns}
          from ${paidDocumentsIn(orgId, first, last)} p where ${only("p.customer_id")} group by p.customer_id`.execute(db);
  const hasReminders = await remindersTableExists(db);
  const out = new Map<IsoDate, Map<number, CustomerActivity>>();
  for (const [i, w] of windows.entries()) {
    const byCustomer = new Map<number, CustomerActivity>();
    out.set(w.to, byCustomer);
    const entry = (id: number) => {
      let e = byCustomer.get(id);
      if (!e) {
        e = emptyActivity();
        byCustomer.set(id, e);
      }
      return e;
    };
    for (const r of paid.rows) {
      const recent = sumsOf(r, `r${i}_`);
      const previous = sumsOf(r, `p${i}_`);
      if (recent.documents === 0 && previous.documents === 0) continue;
      const e = entry(r.customer_id);
      e.recent = recent;
      e.previous = previous;
    }
    const promises = await sql<{ customer_id: number; n: number }>`
      select customer_id, count(*)::int as n from promises
      where org_id = ${orgId} and promised_date >= ${w.yearFrom}::date and promised_date <= ${w.to}::date
        and (status = 'broken' or (status = 'pending' and promised_date < ${w.to}::date)) and ${only("customer_id")}
      group by customer_id`.execute(db);
    for (const r of promises.rows) entry(r.customer_id).brokenPromises = r.n;
    const disputes = await sql<{ customer_id: number; open: number; opened: number }>`
      select d.customer_id,
        count(*) filter (where x.status = 'open' or x.resolved_at > ${w.to}::date)::int as open,
        count(*) filter (where x.opened_at >= ${w.yearFrom}::date)::int as opened
      from disputes x join documents d on d.org_id = x.org_id and d.id = x.document_id
      where x.org_id = ${orgId} and x.opened_at <= ${w.to}::date and ${only("d.customer_id")}
      group by d.customer_id`.execute(db);
    for (const r of disputes.rows) {
      const e = entry(r.customer_id);
      e.openDisputes = r.open;
      e.disputesOpened = r.opened;
    }
    if (hasReminders) {
      const reminders = await sql<{ customer_id: number; n: number }>`
        select customer_id, count(*)::int as n from dunning_events
        where org_id = ${orgId} and status = 'sent' and scheduled_date >= ${w.yearFrom}::date and scheduled_date <= ${w.to}::date
          and ${only("customer_id")}
        group by customer_id`.execute(db);
      for (const r of reminders.rows) entry(r.customer_id).reminders = r.n;
    }
  }
  return out;
}

export interface CustomerBehaviour extends PaymentBehaviour {
  id: number;
  ref: string;
  name: string;
  status: string;
  trend: BehaviourTrend;
  brokenPromises: number;
  openDisputes: number;
  disputesOpened: number;
  reminders: number;
}

export const BEHAVIOUR_SORTS = ["paid", "days-late", "worsening"] as const;
export type BehaviourSort = (typeof BEHAVIOUR_SORTS)[number];

export interface BehaviourInput {
  asOf?: string;
  customerId?: number;
  limit?: number;
  sort?: BehaviourSort;
}

export interface BehaviourReport {
  asOf: IsoDate;
  from: IsoDate;
  recentFrom: IsoDate;
  customerCount: number;
  customers: CustomerBehaviour[];
}

function behaviourOf(c: { id: number; ref: string; name: string; status: string }, a: CustomerActivity): CustomerBehaviour {
  const year = paymentBehaviour({
    documents: a.recent.documents + a.previous.documents,
    paid: a.recent.paid + a.previous.paid,
    paidDays: a.recent.paidDays + a.previous.paidDays,
    lateDays: a.recent.lateDays + a.previous.lateDays,
    lateDaysSquared: a.recent.lateDaysSquared + a.previous.lateDaysSquared,
    paidOnTime: a.recent.paidOnTime + a.previous.paidOnTime,
  });
  return {
    ...c,
    ...year,
    trend: behaviourTrend(a.recent, a.previous),
    brokenPromises: a.brokenPromises,
    openDisputes: a.openDisputes,
    disputesOpened: a.disputesOpened,
    reminders: a.reminders,
  };
}

const SORTERS: Record<BehaviourSort, (a: CustomerBehaviour, b: CustomerBehaviour) => number> = {
  paid: (a, b) => b.paid - a.paid,
  "days-late": (a, b) => (b.daysLate ?? Number.NEGATIVE_INFINITY) - (a.daysLate ?? Number.NEGATIVE_INFINITY),
  worsening: (a, b) => (b.trend.change ?? Number.NEGATIVE_INFINITY) - (a.trend.change ?? Number.NEGATIVE_INFINITY),
};

export async function reportBehaviour(db: Db, actor: Actor, input: BehaviourInput = {}): Promise<BehaviourReport> {
  requirePermission(actor, "read");
  const asOf = resolveAsOf(input.asOf);
  const limit = checkPositiveInteger(input.limit, "--limit", 10_000_000);
  const sort = input.sort ?? "paid";
  if (!BEHAVIOUR_SORTS.includes(sort)) throw usageError(`--sort must be one of ${BEHAVIOUR_SORTS.join(", ")}`);
  const w = behaviourWindows(asOf);
  const orgId = actor.orgId;
  return inReport(db, async (trx) => {
    let q = trx.selectFrom("customers").select(["id", "ref", "name", "status"]).where("org_id", "=", orgId);
    if (input.customerId !== undefined) q = q.where("id", "=", input.customerId);
    const customers = await q.execute();
    if (input.customerId !== undefined && customers.length === 0) throw notFound("customer");
    const activity = (await customerActivityAt(trx, orgId, [asOf], input.customerId)).get(asOf) ?? new Map<number, CustomerActivity>();
    const rows = customers
      .filter((c) => input.customerId !== undefined || activity.has(c.id))
      .map((c) => behaviourOf(c, activity.get(c.id) ?? emptyActivity()))
      .sort((a, b) => SORTERS[sort](a, b) || a.ref.localeCompare(b.ref));
    return { asOf, from: w.yearFrom, recentFrom: w.recentFrom, customerCount: rows.length, customers: limit ? rows.slice(0, limit) : rows };
  });
}

export function customerBehaviourToJson(c: CustomerBehaviour) {
  return {
    id: c.id,
    ref: c.ref,
    name: c.name,
    status: c.status,
    paidDocuments: c.documents,
    paidAmount: money(c.paid),
    daysToPay: c.daysToPay,
    daysLate: c.daysLate,
    spread: c.spread,
    onTimeShare: c.onTimeShare,
    trend: c.trend,
    brokenPromises: c.brokenPromises,
    openDisputes: c.openDisputes,
    disputesOpened: c.disputesOpened,
    reminders: c.reminders,
  };
}

export function behaviourToJson(r: BehaviourReport) {
  return {
    asOf: r.asOf,
    from: r.from,
    recentFrom: r.recentFrom,
    customerCount: r.customerCount,
    customers: r.customers.map(customerBehaviourToJson),
  };
}
