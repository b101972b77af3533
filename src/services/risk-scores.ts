/**
 * Each customer's risk score with the factors behind it (domain/risk.ts), at an as-of date
 * and 30 days earlier: the one computation behind the risk report, the customer list's
 * risk filters and a customer's score, all read from its snapshot (risk-snapshot.ts).
 */
import { sql } from "kysely";
import { addDays, type IsoDate } from "../domain/dates.js";
import { RISK_LOOKBACK_DAYS, type RiskFactor, riskRose, riskScore } from "../domain/risk.js";
import type { Db } from "../store/connect.js";
import { openDocumentsAt, unallocatedPaymentsAt } from "../store/ledger-sql.js";
import { type CustomerActivity, customerActivityAt } from "./report-behaviour.js";
import { inReport } from "./report-common.js";

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

const NO_BALANCE: Balances = { ar: 0, openInvoices: 0, overdue: 0, overdue31: 0, severe: 0 };

/**
 * Every customer's risk score at `asOf` and 30 days earlier (customers that score 0 at both
 * dates left out), unsorted. The database sums per customer (receivables, overdue parts,
 * paid documents, promises, disputes) at both dates; the score is the domain's.
 */
export async function scoreCustomers(db: Db, orgId: number, asOf: IsoDate): Promise<{ comparedTo: IsoDate; customers: CustomerRisk[] }> {
  const before = addDays(asOf, -RISK_LOOKBACK_DAYS);
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
  return { comparedTo: before, customers: rows };
}
