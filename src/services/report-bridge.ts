/**
 * `relance report bridge` / `GET /api/reports/bridge`: why the classic DSO moved between two
 * dates, customer by customer (domain/bridge.ts defines the decomposition). Each side is
 * the DSO report at its date over a window of `windowDays` days (90 by default), so the two
 * DSO values are those `report dso --as-of` prints. The database sums receivables and
 * revenue per customer at both dates.
 */
import { sql } from "kysely";
import { type BridgeLine, dsoBridge } from "../domain/bridge.js";
import { addDays, addMonths, type IsoDate } from "../domain/dates.js";
import type { Db } from "../store/connect.js";
import { openDocumentsAt, unallocatedPaymentsAt } from "../store/ledger-sql.js";
import { type Actor, requirePermission } from "./actor.js";
import { checkDate, checkPositiveInteger, DEFAULT_WINDOW_DAYS, inReport, money, resolveAsOf, usageError } from "./report-common.js";

export interface BridgeInput {
  /** The later date (default today). */
  asOf?: string;
  /** The earlier date (default one month before `asOf`). */
  compareTo?: string;
  windowDays?: number;
  days?: number;
  /** How many customers to list, largest contribution first (default all); the rest is summed in `others`. */
  limit?: number;
}

export interface BridgeCustomerLine extends BridgeLine<number | null> {
  ref: string | null;
  name: string | null;
}

export interface BridgeReport {
  before: { from: IsoDate; to: IsoDate; days: number; ar: number; revenue: number; dso: number | null };
  after: { from: IsoDate; to: IsoDate; days: number; ar: number; revenue: number; dso: number | null };
  change: number | null;
  calendarEffect: number | null;
  lineCount: number;
  lines: BridgeCustomerLine[];
  others: { count: number; receivablesEffect: number | null; revenueEffect: number | null; contribution: number | null };
}

async function perCustomerAt(db: Db, orgId: number, asOf: IsoDate, from: IsoDate) {
  const r = await sql<{ customer_id: number | null; ar: number; revenue: number }>`
    select customer_id, sum(ar)::bigint as ar, sum(revenue)::bigint as revenue from (
      select o.customer_id, o.outstanding as ar, 0::bigint as revenue from ${openDocumentsAt(orgId, asOf)} o
      union all
      select u.customer_id, -u.unallocated, 0 from ${unallocatedPaymentsAt(orgId, asOf)} u
      union all
      select d.customer_id, 0, d.total from documents d
      where d.org_id = ${orgId} and d.issue_date >= ${from}::date and d.issue_date <= ${asOf}::date
    ) x group by customer_id`.execute(db);
  return r.rows;
}

export async function reportBridge(db: Db, actor: Actor, input: BridgeInput = {}): Promise<BridgeReport> {
  requirePermission(actor, "read");
  const after = resolveAsOf(input.asOf);
  const before = checkDate(input.compareTo, "--compare-to") ?? addMonths(after, -1);
  if (before >= after) throw usageError(`--compare-to ${before} must be before --as-of ${after}`);
  const windowDays = checkPositiveInteger(input.windowDays, "--window", 3660) ?? DEFAULT_WINDOW_DAYS;
  const days = checkPositiveInteger(input.days, "--days", 3660) ?? windowDays;
  const limit = checkPositiveInteger(input.limit, "--limit", 10_000_000);
  const orgId = actor.orgId;
  const fromOf = (to: IsoDate) => addDays(to, -(windowDays - 1));
  const data = await inReport(db, async (trx) => ({
    before: await perCustomerAt(trx, orgId, before, fromOf(before)),
    after: await perCustomerAt(trx, orgId, after, fromOf(after)),
    customers: await trx.selectFrom("customers").select(["id", "ref", "name"]).where("org_id", "=", orgId).execute(),
  }));
  const lines = new Map<
    number | null,
    { customerId: number | null; arBefore: number; arAfter: number; revenueBefore: number; revenueAfter: number }
  >();
  const line = (id: number | null) => {
    let l = lines.get(id);
    if (!l) {
      l = { customerId: id, arBefore: 0, arAfter: 0, revenueBefore: 0, revenueAfter: 0 };
      lines.set(id, l);
    }
    return l;
  };
  for (const r of data.before) Object.assign(line(r.customer_id), { arBefore: r.ar, revenueBefore: r.revenue });
  for (const r of data.after) Object.assign(line(r.customer_id), { arAfter: r.ar, revenueAfter: r.revenue });
  const bridge = dsoBridge(
    { from: fromOf(before), to: before, days },
    { from: fromOf(after), to: after, days },
    [...lines.values()].filter((l) => l.arBefore !== 0 || l.arAfter !== 0 || l.revenueBefore !== 0 || l.revenueAfter !== 0),
  );
  const names = new Map(data.customers.map((c) => [c.id, c]));
  const named = bridge.lines.map((l) => {
    const c = l.customerId === null ? undefined : names.get(l.customerId);
    return { ...l, ref: c?.ref ?? null, name: c?.name ?? null };
  });
  const shown = limit ? named.slice(0, limit) : named;
  const rest = named.slice(shown.length);
  const sum = (f: (l: BridgeCustomerLine) => number | null) => (bridge.change === null ? null : rest.reduce((s, l) => s + (f(l) ?? 0), 0));
  return {
    before: bridge.before,
    after: bridge.after,
    change: bridge.change,
    calendarEffect: bridge.calendarEffect,
    lineCount: named.length,
    lines: shown,
    others: {
      count: rest.length,
      receivablesEffect: sum((l) => l.receivablesEffect),
      revenueEffect: sum((l) => l.revenueEffect),
      contribution: sum((l) => l.contribution),
    },
  };
}

export function bridgeToJson(r: BridgeReport) {
  const side = (s: BridgeReport["before"]) => ({ ...s, ar: money(s.ar), revenue: money(s.revenue) });
  return {
    before: side(r.before),
    after: side(r.after),
    change: r.change,
    calendarEffect: r.calendarEffect,
    lineCount: r.lineCount,
    lines: r.lines.map((l) => ({
      customerId: l.customerId,
      ref: l.ref,
      name: l.name,
      arBefore: money(l.arBefore),
      arAfter: money(l.arAfter),
      revenueBefore: money(l.revenueBefore),
      revenueAfter: money(l.revenueAfter),
      receivablesEffect: l.receivablesEffect,
      revenueEffect: l.revenueEffect,
      contribution: l.contribution,
    })),
    others: r.others,
  };
}
