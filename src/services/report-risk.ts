/**
 * `relance report risk` / `GET /api/reports/risk`: each customer's risk score with the
 * factors behind it (risk-scores.ts), at the as-of date and 30 days earlier, highest first,
 * and the customers whose risk rose. Read from the risk snapshot (risk-snapshot.ts), made
 * once for the date and kept until the ledger changes: the dashboard shows this report, and
 * scoring 100 000 customers takes seconds.
 */
import { sql } from "kysely";
import { addDays, type IsoDate } from "../domain/dates.js";
import { RISK_LOOKBACK_DAYS, type RiskFactor } from "../domain/risk.js";
import type { Db } from "../store/connect.js";
import { type Actor, requirePermission } from "./actor.js";
import { checkPositiveInteger, money, resolveAsOf } from "./report-common.js";
import type { CustomerRisk } from "./risk-scores.js";
import { freshRiskSnapshot } from "./risk-snapshot.js";

export type { CustomerRisk } from "./risk-scores.js";

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

export async function reportRisk(db: Db, actor: Actor, input: RiskInput = {}): Promise<RiskReport> {
  requirePermission(actor, "read");
  const asOf = resolveAsOf(input.asOf);
  const limit = checkPositiveInteger(input.limit, "--limit", 10_000_000);
  const orgId = actor.orgId;
  const snapshot = await freshRiskSnapshot(db, actor, asOf);
  // Both lists in one statement, so that they come from the same snapshot; each walks an
  // index of customer_risk (by score, by rise) and stops at the limit.
  const r = await sql<{
    list: "score" | "rose";
    customer_id: number;
    ref: string;
    name: string;
    status: string;
    receivables: number;
    score: number;
    previous_score: number;
    rose: boolean;
    factors: RiskFactor[];
  }>`
    (select 'score' as list, k.customer_id, c.ref, c.name, c.status, k.receivables, k.score, k.previous_score, k.rose, k.factors
     from customer_risk k join customers c on c.org_id = k.org_id and c.id = k.customer_id
     where k.org_id = ${orgId}
     order by k.score desc, k.receivables desc, c.ref collate "C" limit ${limit ?? null})
    union all
    (select 'rose', k.customer_id, c.ref, c.name, c.status, k.receivables, k.score, k.previous_score, k.rose, k.factors
     from customer_risk k join customers c on c.org_id = k.org_id and c.id = k.customer_id
     where k.org_id = ${orgId} and k.rose
     order by k.score - k.previous_score desc, k.score desc, c.ref collate "C" limit ${limit ?? null})`.execute(db);
  const toRisk = (x: (typeof r.rows)[number]): CustomerRisk => ({
    id: x.customer_id,
    ref: x.ref,
    name: x.name,
    status: x.status,
    receivables: x.receivables,
    score: x.score,
    previousScore: x.previous_score,
    change: x.score - x.previous_score,
    rose: x.rose,
    factors: x.factors,
  });
  return {
    asOf,
    comparedTo: addDays(asOf, -RISK_LOOKBACK_DAYS),
    customerCount: snapshot.customers,
    // UNION ALL keeps no order of its own: each list is sorted again (a few rows) as SQL did.
    customers: r.rows
      .filter((x) => x.list === "score")
      .map(toRisk)
      .sort((a, b) => b.score - a.score || b.receivables - a.receivables || byRef(a, b)),
    rose: r.rows
      .filter((x) => x.list === "rose")
      .map(toRisk)
      .sort((a, b) => b.change - a.change || b.score - a.score || byRef(a, b)),
  };
}

/** Code-point order, as `collate "C"`. */
const byRef = (a: { ref: string }, b: { ref: string }) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);

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
