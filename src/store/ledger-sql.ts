import { type RawBuilder, sql } from "kysely";

/** A date: a `YYYY-MM-DD` string (sent as a parameter) or an SQL expression of type date. */
export type DateArg = string | RawBuilder<unknown>;

/**
 * DESIGN §3 in SQL: the outstanding of document `d` at date D is
 * total − allocations dated ≤ D − write-offs dated ≤ D.
 * The one SQL form of that rule; services that list or filter by balance use it.
 */
export function outstandingAt(asOf: DateArg, alias = "d"): RawBuilder<number> {
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

/** Amount of payment `p` not allocated by allocations dated ≤ D (DESIGN §5: unallocated payments at D). */
export function unallocatedAt(asOf: DateArg, alias = "p"): RawBuilder<number> {
  const p = sql.raw(alias);
  return sql<number>`(${p}.amount - coalesce((select sum(a.amount) from allocations a where a.org_id = ${p}.org_id and a.payment_id = ${p}.id and a.date <= ${asOf}::date), 0))::bigint`;
}

// ---------------------------------------------------------------------------------------
// Report forms. Migration 0003 keeps on each document the totals of its movements (paid,
// written_off) and the dates of its first and last movement (settled_first, settled_last),
// and on each payment its allocated total and allocation dates. The forms below are the
// same rules as `outstandingAt` / `unallocatedAt`, read from those columns so that a
// report never has to aggregate every movement of the organisation:
//
//   last movement ≤ D (or none)  → outstanding(D) = open_balance (= total − paid − written_off)
//   first movement > D           → outstanding(D) = total
//   movements on both sides of D → outstanding(D) = outstandingAt(D) (reads the movements)

/** Outstanding of document `d` at D from the maintained movement totals (exact). */
export function cachedOutstandingAt(asOf: DateArg, alias = "d"): RawBuilder<number> {
  const d = sql.raw(alias);
  return sql<number>`(case
    when ${d}.settled_last is null or ${d}.settled_last <= ${asOf}::date then ${d}.open_balance
    when ${d}.settled_first > ${asOf}::date then ${d}.total
    else ${outstandingAt(asOf, alias)} end)::bigint`;
}

/** Unallocated part of payment `p` at D from the maintained allocation totals (exact). */
export function cachedUnallocatedAt(asOf: DateArg, alias = "p"): RawBuilder<number> {
  const p = sql.raw(alias);
  return sql<number>`(case
    when ${p}.allocated_last is null or ${p}.allocated_last <= ${asOf}::date then ${p}.unallocated_balance
    when ${p}.allocated_first > ${asOf}::date then ${p}.amount
    else ${unallocatedAt(asOf, alias)} end)::bigint`;
}

/**
 * Documents of the organisation issued ≤ D whose outstanding at D is not zero, as a
 * subquery with columns id, customer_id, kind, issue_date, due_date, disputed, outstanding.
 * Two disjoint parts, each read from an index: documents open today whose movements are
 * all ≤ D (partial index `documents_open`), and documents with a movement after D
 * (`documents_settled_last`, few when D is recent).
 */
export function openDocumentsAt(orgId: number, asOf: DateArg): RawBuilder<OpenDocumentRow> {
  return sql<OpenDocumentRow>`(
    select d.id, d.customer_id, d.kind, d.issue_date, d.due_date, d.disputed, d.open_balance as outstanding
    from documents d
    where d.org_id = ${orgId} and d.issue_date <= ${asOf}::date and d.open_balance <> 0
      and (d.settled_last is null or d.settled_last <= ${asOf}::date)
    union all
    select b.* from (
      select d.id, d.customer_id, d.kind, d.issue_date, d.due_date, d.disputed, ${cachedOutstandingAt(asOf)} as outstanding
      from documents d
      where d.org_id = ${orgId} and d.settled_last > ${asOf}::date and d.issue_date <= ${asOf}::date
    ) b where b.outstanding <> 0
  )`;
}

export interface OpenDocumentRow {
  id: number;
  customer_id: number;
  kind: "invoice" | "credit_note";
  issue_date: string;
  due_date: string;
  disputed: boolean;
  outstanding: number;
}

/**
 * Payments of the organisation dated ≤ D with a part not allocated at D (by allocations
 * dated ≤ D), as a subquery with columns id, customer_id, date, unallocated.
 */
export function unallocatedPaymentsAt(orgId: number, asOf: DateArg): RawBuilder<UnallocatedPaymentRow> {
  return sql<UnallocatedPaymentRow>`(
    select p.id, p.customer_id, p.date, p.unallocated_balance as unallocated
    from payments p
    where p.org_id = ${orgId} and p.date <= ${asOf}::date and p.unallocated_balance <> 0
      and (p.allocated_last is null or p.allocated_last <= ${asOf}::date)
    union all
    select b.* from (
      select p.id, p.customer_id, p.date, ${cachedUnallocatedAt(asOf)} as unallocated
      from payments p
      where p.org_id = ${orgId} and p.allocated_last > ${asOf}::date and p.date <= ${asOf}::date
    ) b where b.unallocated <> 0
  )`;
}

export interface UnallocatedPaymentRow {
  id: number;
  customer_id: number | null;
  date: string;
  unallocated: number;
}

/**
 * AR at many dates at once (the monthly trend), as a subquery with columns `date`, `ar`.
 * The same AR(D) = Σ outstanding of documents issued ≤ D − unallocated payments at D,
 * rearranged so that no document needs its movements:
 *
 *   Σ_{issued ≤ D} (total − alloc≤D − wo≤D) − Σ_{paid ≤ D} (amount − alloc≤D)
 *   = T(D) − W(D) − P(D) + E_doc(D) − E_pay(D)
 *
 * T(D) = Σ totals issued ≤ D; W(D) = Σ write-offs dated ≤ D; P(D) = Σ payments dated ≤ D;
 * E_doc(D) = Σ movements dated ≤ D of documents issued after D; E_pay(D) = Σ allocations
 * dated ≤ D of payments dated after D. Every allocation dated ≤ D appears once on each
 * side and cancels; the E terms only exist for movements dated before their document or
 * payment (partial indexes `documents_early`, `payments_early`: normally none).
 */
export function arSeries(orgId: number, dates: readonly string[]): RawBuilder<{ date: string; ar: number }> {
  const list = sql`cast(${`{${dates.join(",")}}`} as date[])`;
  return sql<{ date: string; ar: number }>`(
    with dates as (select distinct unnest(${list}) as d),
    bound as (select max(d) as d from dates),
    t as materialized (select issue_date as day, sum(total) as s from documents
          where org_id = ${orgId} and issue_date <= (select d from bound) group by issue_date),
    w as materialized (select date as day, sum(amount) as s from write_offs
          where org_id = ${orgId} and date <= (select d from bound) group by date),
    p as materialized (select date as day, sum(amount) as s from payments
          where org_id = ${orgId} and date <= (select d from bound) group by date),
    ed as materialized (select m.date, d.issue_date, m.amount
           from documents d
           cross join lateral (
             select a.date, a.amount from allocations a where a.org_id = d.org_id and a.document_id = d.id and a.date < d.issue_date
             union all
             select w.date, w.amount from write_offs w where w.org_id = d.org_id and w.document_id = d.id and w.date < d.issue_date
           ) m
           where d.org_id = ${orgId} and d.settled_first < d.issue_date),
    ep as materialized (select a.date, p.date as paid_on, a.amount
           from payments p
           join allocations a on a.org_id = p.org_id and a.payment_id = p.id and a.date < p.date
           where p.org_id = ${orgId} and p.allocated_first < p.date)
    select dates.d as date, (
        coalesce((select sum(s) from t where t.day <= dates.d), 0)
      - coalesce((select sum(s) from w where w.day <= dates.d), 0)
      - coalesce((select sum(s) from p where p.day <= dates.d), 0)
      + coalesce((select sum(amount) from ed where ed.date <= dates.d and ed.issue_date > dates.d), 0)
      - coalesce((select sum(amount) from ep where ep.date <= dates.d and ep.paid_on > dates.d), 0)
    )::bigint as ar
    from dates
  )`;
}

/**
 * Not-yet-due AR at many dates (documents issued ≤ D and due ≥ D), as a subquery with
 * columns `date`, `not_due`. Only documents issued within the organisation's longest
 * issue-to-due span before D can be not yet due at D, which bounds the scan.
 */
export function notDueSeries(orgId: number, dates: readonly string[]): RawBuilder<{ date: string; not_due: number }> {
  const list = sql`cast(${`{${dates.join(",")}}`} as date[])`;
  return sql<{ date: string; not_due: number }>`(
    with span as (select coalesce(max(due_date - issue_date), 0) as days from documents where org_id = ${orgId})
    select k.d as date, coalesce(x.not_due, 0)::bigint as not_due
    from (select distinct unnest(${list}) as d) k
    cross join span
    cross join lateral (
      select sum(${cachedOutstandingAt(sql.raw("k.d"))}) as not_due
      from documents d
      where d.org_id = ${orgId} and d.issue_date <= k.d and d.issue_date >= k.d - span.days and d.due_date >= k.d
    ) x
  )`;
}

/**
 * Documents paid at `to` whose payment date (last allocation) is in [from, to], as a
 * subquery with columns customer_id, issue_date, due_date, paid_date, paid — the rule of
 * `domain/behaviour.ts` (`paidDocumentsIn`): an invoice with allocations, nothing left to
 * pay and no movement after `to`. Read from the partial index `documents_paid`.
 */
export function paidDocumentsIn(orgId: number, from: DateArg, to: DateArg): RawBuilder<PaidDocumentRow> {
  return sql<PaidDocumentRow>`(
    select d.customer_id, d.issue_date, d.due_date, d.paid_last as paid_date, d.paid, d.settled_last
    from documents d
    where d.org_id = ${orgId} and d.paid_last >= ${from}::date and d.paid_last <= ${to}::date
      and d.open_balance = 0 and d.settled_last <= ${to}::date and d.total > 0 and d.paid > 0
  )`;
}

export interface PaidDocumentRow {
  customer_id: number;
  issue_date: string;
  due_date: string;
  paid_date: string;
  paid: number;
  /** Date of the last movement (≤ `to`): a window ending earlier than `to` keeps those ≤ its end. */
  settled_last: string;
}

/**
 * The amount-weighted sums of `PaymentSums` (domain/behaviour.ts) over rows of
 * `paidDocumentsIn` aliased `alias`, restricted by `filter`, as select columns
 * `${prefix}documents`, `${prefix}paid`, `${prefix}paid_days`, `${prefix}late_days`,
 * `${prefix}late_days_squared`, `${prefix}paid_on_time`.
 */
export function paymentSumsColumns(alias: string, prefix = "", filter: RawBuilder<unknown> = sql`true`): RawBuilder<unknown> {
  const p = sql.raw(alias);
  const col = (name: string) => sql.raw(`${prefix}${name}`);
  return sql`count(*) filter (where ${filter})::int as ${col("documents")},
    coalesce(sum(${p}.paid) filter (where ${filter}), 0)::bigint as ${col("paid")},
    coalesce(sum(${p}.paid * (${p}.paid_date - ${p}.issue_date)) filter (where ${filter}), 0)::bigint as ${col("paid_days")},
    coalesce(sum(${p}.paid * (${p}.paid_date - ${p}.due_date)) filter (where ${filter}), 0)::bigint as ${col("late_days")},
    coalesce(sum(${p}.paid * (${p}.paid_date - ${p}.due_date) * (${p}.paid_date - ${p}.due_date)) filter (where ${filter}), 0)::bigint as ${col("late_days_squared")},
    coalesce(sum(${p}.paid) filter (where ${filter} and ${p}.paid_date <= ${p}.due_date), 0)::bigint as ${col("paid_on_time")}`;
}

/**
 * `delayProfile` of domain/behaviour.ts in SQL. `w`, `l`, `l2` are float8 expressions of
 * the weighted sums to use (Σ paid, Σ paid × days late, Σ paid × days late², the customer's
 * or, without history, the organisation's), each converted once from its exact integer
 * sum — the same double a JS `Number()` of that sum gives. The shift and spread in whole
 * days come out of the same float8 operations in the same order as in the domain, so both
 * give the same whole numbers. Columns `shift`, `spread` (0 and 0 without any history).
 */
export function delayProfileColumns(w: RawBuilder<unknown>, l: RawBuilder<unknown>, l2: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`case when ${w} > 0 then floor(${l} / ${w} + 0.5)::int else 0 end as shift,
    case when ${w} > 0 then floor(sqrt(greatest(0, ${l2} / ${w} - (${l} / ${w}) * (${l} / ${w}))) + 0.5)::int else 0 end as spread`;
}
