/**
 * The risk scores of every customer (report-risk.ts), kept in `customer_risk` so that the
 * customer list can filter and sort by risk, and a customer page show its score, without
 * scoring the whole organisation on each request: a score needs every customer (its share
 * of the organisation's receivables, the same figures 30 days earlier).
 *
 * The snapshot is made for one as-of date and trusted for `RISK_SNAPSHOT_TTL_SECONDS`; a
 * request for another date, or after that, recomputes it first. Concurrent requests
 * recompute once: the second waits on the lock, then finds the snapshot fresh.
 */
import { sql } from "kysely";
import type { IsoDate } from "../domain/dates.js";
import type { RiskFactor } from "../domain/risk.js";
import { notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import { type Actor, requirePermission } from "./actor.js";
import { reportRisk } from "./report-risk.js";

/** How long a snapshot is trusted: payments and reminders change scores during the day. */
export const RISK_SNAPSHOT_TTL_SECONDS = 600;

export interface RiskSnapshot {
  asOf: IsoDate;
  computedAt: Date;
}

interface SnapshotRow {
  as_of: string;
  computed_at: Date;
  fresh: boolean;
}

async function currentSnapshot(db: Db, orgId: number): Promise<SnapshotRow | undefined> {
  const r = await sql<SnapshotRow>`
    select as_of, computed_at, computed_at > now() - make_interval(secs => ${RISK_SNAPSHOT_TTL_SECONDS}) as fresh
    from risk_snapshots where org_id = ${orgId}`.execute(db);
  return r.rows[0];
}

/** The snapshot for `asOf`, recomputed when missing, stale or made for another date. */
export async function freshRiskSnapshot(db: Db, actor: Actor, asOf: IsoDate): Promise<RiskSnapshot> {
  requirePermission(actor, "read");
  const orgId = actor.orgId;
  const now = await currentSnapshot(db, orgId);
  if (now?.fresh && now.as_of === asOf) return { asOf, computedAt: now.computed_at };
  const report = await reportRisk(db, actor, { asOf });
  return db.transaction().execute(async (trx) => {
    // One writer per organisation; a writer that waited here finds the work done.
    await sql`select pg_advisory_xact_lock(hashtext('relance.risk_snapshot'), ${orgId}::int)`.execute(trx);
    const again = await currentSnapshot(trx, orgId);
    if (again?.fresh && again.as_of === asOf) return { asOf, computedAt: again.computed_at };
    const rows = report.customers.map((c) => ({
      id: c.id,
      score: c.score,
      previous_score: c.previousScore,
      rose: c.rose,
      factors: c.factors,
    }));
    await sql`delete from customer_risk where org_id = ${orgId}`.execute(trx);
    await sql`
      insert into customer_risk (org_id, customer_id, score, previous_score, rose, factors)
      select ${orgId}, x.id, x.score, x.previous_score, x.rose, x.factors
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id bigint, score smallint, previous_score smallint, rose boolean, factors jsonb)
      join customers c on c.org_id = ${orgId} and c.id = x.id`.execute(trx);
    const saved = await sql<{ computed_at: Date }>`
      insert into risk_snapshots (org_id, as_of, computed_at, customer_count)
      values (${orgId}, ${asOf}::date, now(), ${rows.length})
      on conflict (org_id) do update set as_of = excluded.as_of, computed_at = excluded.computed_at, customer_count = excluded.customer_count
      returning computed_at`.execute(trx);
    return { asOf, computedAt: saved.rows[0]?.computed_at ?? new Date() };
  });
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
