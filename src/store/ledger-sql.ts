import { type RawBuilder, sql } from "kysely";

/**
 * DESIGN §3 in SQL: the outstanding of document `d` at date D is
 * total − allocations dated ≤ D − write-offs dated ≤ D.
 * The one SQL form of that rule; services that list or filter by balance use it.
 */
export function outstandingAt(asOf: string, alias = "d"): RawBuilder<number> {
  const d = sql.raw(alias);
  return sql<number>`(${d}.total
    - coalesce((select sum(a.amount) from allocations a where a.org_id = ${d}.org_id and a.document_id = ${d}.id and a.date <= ${asOf}::date), 0)
    - coalesce((select sum(w.amount) from write_offs w where w.org_id = ${d}.org_id and w.document_id = ${d}.id and w.date <= ${asOf}::date), 0))::bigint`;
}

/** Amount of payment `p` not yet allocated to any document. */
export function unallocated(alias = "p"): RawBuilder<number> {
  const p = sql.raw(alias);
  return sql<number>`(${p}.amount - coalesce((select sum(a.amount) from allocations a where a.org_id = ${p}.org_id and a.payment_id = ${p}.id), 0))::bigint`;
}
