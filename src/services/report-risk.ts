/**
 * `relance report risk` / `GET /api/reports/risk`: each customer's risk score with the
 * factors behind it (domain/risk.ts), at the as-of date and 30 days earlier, and the
 * customers whose risk rose. The database sums per customer (receivables, overdue parts,
 * paid documents, promises, disputes) at both dates; the score is the domain's.
 */
import { sql } from "kysely";
import { addDays, type IsoDate } from "../domain/dates.js";
import { RISK_LOOKBACK_DAYS, type RiskFactor, riskRose, riskScore } from "../domain/risk.js";
import type { Db } from "../store/connect.js";
import { openDocumentsAt, unallocatedPaymentsAt } from "../store/ledger-sql.js";
import { type Actor, requirePermission } from "./actor.js";
import { type CustomerActivity, customerActivityAt } from "./report-behaviour.js";
import { checkPositiveInteger, inReport, money, resolveAsOf } from "./report-common.js";

interface Balances {
  ar: number;
  openInvoices: number;
  overdue: number;
  overdue31: number;
  severe: number;
}

/** Per customer at D: receivables, and the positive, overdue, > 30 and > 60 days overdue parts of its documents. */
export async function customerBalancesAt(db: Db, orgId: number, asOf: IsoDate): Promise<Map<number, Balances>> {
  const r = await sql<{ customer_id: number; ar: number; open_invoices: number; overdue: number; overdue31: number; severe: number }>`
    select customer_id, sum(ar)::bigint as ar, sum(open_invoices)::bigint as open_invoices,
           sum(overdue)::bigint as overdue, sum(overdue31)::bigint as overdue31, sum(severe)::bigint as severe
    from (
      select o.customer_id, o.outstanding as ar,
             greatest(o.outstanding, 0) as open_invoices,
             case when o.outstanding > 0 and o.due_date < ${asOf}::date then o.outstanding else 0 end as overdue,
             case when o.outstanding > 0 and o.due_date < ${asOf}::date - 30 then o.outstanding else 0 end as overdue31,
             case when o.outstanding > 0 and o.due_date < ${asOf}::date - 60 then o.outstanding else 0 end as severe
      from ${openDocumentsAt(orgId, asOf)} o
      union all
      select u.customer_id, -u.unallocated, 0, 0, 0, 0 from ${unallocatedPaymentsAt(orgId, asOf)} u where u.customer_id is not null
    ) x group by customer_id`.execute(db);
  return new Map(
    r.rows.map((x) => [
      x.customer_id,
      { ar: x.ar, openInvoices: x.open_invoices, overdue: x.overdue, overdue31: x.overdue31, severe: x.severe },
    ]),
  );
}

export interface CustomerRisk {
  id: number;
  ref: string;
  name: string;
  status: string;
  receivables: number;
  score: number;
  previousScore: number;
  change: number;
  rose: boolean;
  /** Factors with points, largest first; then those without. */
  factors: RiskFactor[];
}

export interface RiskReport {
  asOf: IsoDate;
  comparedTo: IsoDate;
  customerCount: number;
  /** Highest score first. */
  customers: CustomerRisk[];
  /** Customers whose risk rose, largest rise first. */
  rose: CustomerRisk[];
}

export interface RiskInput {
  asOf?: string;
  /** How many customers in each list (default all). */
  limit?: number;
}

const NO_BALANCE: Balances = { ar: 0, openInvoices: 0, overdue: 0, overdue31: 0, severe: 0 };

export async function reportRisk(db: Db, actor: Actor, input: RiskInput = {}): Promise<RiskReport> {
  requirePermission(actor, "read");
  const asOf = resolveAsOf(input.asOf);
  const limit = checkPositiveInteger(input.limit, "--limit", 10_000_000);
  const before = addDays(asOf, -RISK_LOOKBACK_DAYS);
  const orgId = actor.orgId;
  const data = await inReport(db, async (trx) => ({
    customers: await trx
      .selectFrom("customers")
      .select(["id", "ref", "name", "status", "credit_limit"])
      .where("org_id", "=", orgId)
      .execute(),
    now: await customerBalancesAt(trx, orgId, asOf),
    previous: await customerBalancesAt(trx, orgId, before),
    activity: await customerActivityAt(trx, orgId, [asOf, before]),
  }));
  const activityNow = data.activity.get(asOf) ?? new Map<number, CustomerActivity>();
  const activityThen = data.activity.get(before) ?? new Map<number, CustomerActivity>();
  const totalAr = (m: Map<number, Balances>) => [...m.values()].reduce((s, b) => s + Math.max(0, b.ar), 0);
  const totalNow = totalAr(data.now);
  const totalThen = totalAr(data.previous);
  const score = (c: { status: string; credit_limit: number | null }, b: Balances, a: CustomerActivity | undefined, total: number) =>
    riskScore({
      status: c.status,
      ar: b.ar,
      openInvoices: b.openInvoices,
      overdue: b.overdue,
      overdue31: b.overdue31,
      severe: b.severe,
      creditLimit: c.credit_limit,
      recent: a?.recent ?? { documents: 0, paid: 0, paidDays: 0, lateDays: 0, lateDaysSquared: 0, paidOnTime: 0 },
      previous: a?.previous ?? { documents: 0, paid: 0, paidDays: 0, lateDays: 0, lateDaysSquared: 0, paidOnTime: 0 },
      brokenPromises: a?.brokenPromises ?? 0,
      openDisputes: a?.openDisputes ?? 0,
      totalAr: total,
    });
  const rows: CustomerRisk[] = [];
  for (const c of data.customers) {
    const hasData = data.now.has(c.id) || data.previous.has(c.id) || activityNow.has(c.id) || activityThen.has(c.id);
    if (!hasData && c.status !== "defaulted") continue;
    const now = score(c, data.now.get(c.id) ?? NO_BALANCE, activityNow.get(c.id), totalNow);
    const then = score(c, data.previous.get(c.id) ?? NO_BALANCE, activityThen.get(c.id), totalThen);
    if (now.score === 0 && then.score === 0) continue;
    rows.push({
      id: c.id,
      ref: c.ref,
      name: c.name,
      status: c.status,
      receivables: (data.now.get(c.id) ?? NO_BALANCE).ar,
      score: now.score,
      previousScore: then.score,
      change: now.score - then.score,
      rose: riskRose(now.score, then.score),
      factors: [...now.factors].sort((a, b) => b.points - a.points),
    });
  }
  const byScore = [...rows].sort((a, b) => b.score - a.score || b.receivables - a.receivables || a.ref.localeCompare(b.ref));
  const rose = rows.filter((r) => r.rose).sort((a, b) => b.change - a.change || b.score - a.score || a.ref.localeCompare(b.ref));
  const cap = <T>(xs: T[]) => (limit ? xs.slice(0, limit) : xs);
  return { asOf, comparedTo: before, customerCount: rows.length, customers: cap(byScore), rose: cap(rose) };
}

function customerRiskToJson(c: CustomerRisk) {
  return {
    id: c.id,
    ref: c.ref,
    name: c.name,
    status: c.status,
    receivables: money(c.receivables),
    score: c.score,
    previousScore: c.previousScore,
    change: c.change,
    rose: c.rose,
    factors: c.factors,
  };
}

export function riskToJson(r: RiskReport) {
  return {
    asOf: r.asOf,
    comparedTo: r.comparedTo,
    customerCount: r.customerCount,
    customers: r.customers.map(customerRiskToJson),
    rose: r.rose.map(customerRiskToJson),
  };
}
