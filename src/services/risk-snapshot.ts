/**
 * The risk scores of every customer (risk-scores.ts), kept in `customer_risk` so that the
 * risk report, the customer list's risk filters and sort, and a customer page's score read
 * them without scoring the whole organisation on each request: a score needs every
 * customer (its share of the organisation's receivables, the same figures 30 days earlier).
 *
 * The snapshot (snapshots.ts) is made for one as-of date and kept until the ledger changes.
 */
import { sql } from "kysely";
import type { IsoDate } from "../domain/dates.js";
import type { RiskFactor } from "../domain/risk.js";
import { notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import { type Actor, requirePermission } from "./actor.js";
import { scoreCustomers } from "./risk-scores.js";
import { freshSnapshot } from "./snapshots.js";

export interface RiskSnapshot {
  asOf: IsoDate;
  computedAt: Date;
  /** Customers scored (those scoring 0 at both dates are left out). */
  customers: number;
}

/** The risk scores of every customer at `asOf` in `customer_risk`, rebuilt when missing. */
export async function freshRiskSnapshot(db: Db, actor: Actor, asOf: IsoDate): Promise<RiskSnapshot> {
  requirePermission(actor, "read");
  const orgId = actor.orgId;
  const snap = await freshSnapshot(db, orgId, "risk", asOf, async (trx) => {
    const { customers } = await scoreCustomers(trx, orgId, asOf);
    await sql`delete from customer_risk where org_id = ${orgId}`.execute(trx);
    await sql`
      insert into customer_risk (org_id, customer_id, score, previous_score, rose, receivables, factors)
      select ${orgId}, x.id, x.score, x.previous_score, x.rose, x.receivables, x.factors
      from jsonb_to_recordset(${JSON.stringify(
        customers.map((c) => ({
          id: c.id,
          score: c.score,
          previous_score: c.previousScore,
          rose: c.rose,
          receivables: c.receivables,
          factors: c.factors,
        })),
      )}::jsonb) as x(id bigint, score smallint, previous_score smallint, rose boolean, receivables bigint, factors jsonb)`.execute(trx);
    return { customers: customers.length };
  });
  return { asOf: snap.asOf, computedAt: snap.computedAt, customers: snap.data.customers };
}

export interface CustomerRiskScore {
  score: number;
  previousScore: number;
  change: number;
  rose: boolean;
  /** Largest first. */
  factors: RiskFactor[];
  asOf: IsoDate;
  computedAt: Date;
}

/** One customer's score from a fresh snapshot: 0 without factors when nothing scores. */
export async function customerRisk(db: Db, actor: Actor, customerId: number, asOf: IsoDate): Promise<CustomerRiskScore> {
  requirePermission(actor, "read");
  const exists = await db
    .selectFrom("customers")
    .select("id")
    .where("org_id", "=", actor.orgId)
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!exists) throw notFound("customer");
  const snap = await freshRiskSnapshot(db, actor, asOf);
  const r = await sql<{ score: number; previous_score: number; rose: boolean; factors: RiskFactor[] }>`
    select score, previous_score, rose, factors from customer_risk where org_id = ${actor.orgId} and customer_id = ${customerId}`.execute(
    db,
  );
  const row = r.rows[0];
  return {
    score: row?.score ?? 0,
    previousScore: row?.previous_score ?? 0,
    change: (row?.score ?? 0) - (row?.previous_score ?? 0),
    rose: row?.rose ?? false,
    factors: row?.factors ?? [],
    asOf: snap.asOf,
    computedAt: snap.computedAt,
  };
}
