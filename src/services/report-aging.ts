/**
 * `relance report aging` / `GET /api/reports/aging`: receivables by days past due (DESIGN §5),
 * overall and per customer, with counts, and a customer's documents (drill-down).
 *
 * The database groups the open documents by due date (one row per day past due, overall
 * and for the customers listed); `domain/aging.ts` puts each group in its bucket. Unallocated
 * payments have no due date: they are `unapplied` (receivables = Σ buckets − unapplied).
 * Customers are listed by receivables, largest first; `customerLimit` caps the list
 * (`customerCount` says how many there are).
 */
import { sql } from "kysely";
import { AgingAccumulator, type AgingAmounts, AgingConfigError, agingBuckets, bucketFor, DEFAULT_AGING_LIMITS } from "../domain/aging.js";
import { daysBetween, type IsoDate } from "../domain/dates.js";
import { notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import { openDocumentsAt, unallocatedPaymentsAt } from "../store/ledger-sql.js";
import { type Actor, requirePermission } from "./actor.js";
import { checkPositiveInteger, inReport, money, resolveAsOf, usageError } from "./report-common.js";

export interface AgingInput {
  asOf?: string;
  /** Upper limits of the overdue buckets, default [30, 60, 90]. */
  limits?: readonly number[];
  /** How many customers to list (largest receivables first); undefined = all. */
  customerLimit?: number;
  /** Drill-down: this customer only, with its open documents. */
  customerId?: number;
}

export interface AgingCustomer extends AgingAmounts {
  id: number;
  ref: string;
  name: string;
}

export interface AgingDocument {
  id: number;
  number: string;
  kind: "invoice" | "credit_note";
  issueDate: IsoDate;
  dueDate: IsoDate;
  daysPastDue: number;
  bucket: string;
  outstanding: number;
  disputed: boolean;
}

export interface AgingReport extends AgingAmounts {
  asOf: IsoDate;
  limits: number[];
  customerCount: number;
  customers: AgingCustomer[];
  /** Present for a drill-down (`customerId`). */
  documents?: AgingDocument[];
}

/** Parses `--buckets 30,60,90`. */
export function parseAgingLimits(text: string): number[] {
  const limits = text.split(",").map((s) => Number(s.trim()));
  try {
    agingBuckets(limits);
  } catch (e) {
    if (e instanceof AgingConfigError) throw usageError(`--buckets: ${e.message}`);
    throw e;
  }
  return limits;
}

interface AgingRow {
  days: Array<[number, number, number]>;
  unapplied: [number, number];
  customer_count: number;
  customers: Array<{ id: number; ref: string; name: string }> | null;
  customer_days: Array<[number, number, number, number]> | null;
  customer_unapplied: Array<[number, number, number]> | null;
}

export async function reportAging(db: Db, actor: Actor, input: AgingInput = {}): Promise<AgingReport> {
  requirePermission(actor, "read");
  const asOf = resolveAsOf(input.asOf);
  const limits = [...(input.limits ?? DEFAULT_AGING_LIMITS)];
  try {
    agingBuckets(limits);
  } catch (e) {
    if (e instanceof AgingConfigError) throw usageError(e.message);
    throw e;
  }
  const customerLimit = checkPositiveInteger(input.customerLimit, "customer limit", 10_000_000);
  const orgId = actor.orgId;
  const only = input.customerId;

  return inReport(db, async (trx) => {
    if (only !== undefined) {
      const c = await trx.selectFrom("customers").select("id").where("org_id", "=", orgId).where("id", "=", only).executeTakeFirst();
      if (!c) throw notFound("customer");
    }
    const customerFilter = only === undefined ? sql`true` : sql`customer_id = ${only}`;
    const r = await sql<AgingRow>`
      with o as materialized (select x.customer_id, x.due_date, x.outstanding from ${openDocumentsAt(orgId, asOf)} x where ${customerFilter}),
      u as materialized (select x.customer_id, x.unallocated from ${unallocatedPaymentsAt(orgId, asOf)} x where ${customerFilter}),
      c as (
        select customer_id, sum(amount) as ar from (
          select customer_id, outstanding as amount from o
          union all select customer_id, -unallocated from u where customer_id is not null
        ) x group by customer_id
      ),
      top as (select customer_id, ar from c order by ar desc, customer_id limit ${customerLimit ?? null}::bigint)
      select
        (select coalesce(json_agg(json_build_array(g.days, g.total, g.n)), '[]'::json)
           from (select (${asOf}::date - due_date) as days, sum(outstanding) as total, count(*) as n from o group by 1) g) as days,
        (select json_build_array(coalesce(sum(unallocated), 0), count(*)) from u) as unapplied,
        (select count(*) from c)::int as customer_count,
        (select json_agg(json_build_object('id', k.id, 'ref', k.ref, 'name', k.name) order by t.ar desc, t.customer_id)
           from top t join customers k on k.org_id = ${orgId} and k.id = t.customer_id) as customers,
        (select json_agg(json_build_array(g.customer_id, g.days, g.total, g.n))
           from (select o.customer_id, (${asOf}::date - o.due_date) as days, sum(o.outstanding) as total, count(*) as n
                 from o join top t on t.customer_id = o.customer_id group by 1, 2) g) as customer_days,
        (select json_agg(json_build_array(g.customer_id, g.total, g.n))
           from (select u.customer_id, sum(u.unallocated) as total, count(*) as n
                 from u join top t on t.customer_id = u.customer_id group by 1) g) as customer_unapplied`.execute(trx);
    const row = r.rows[0] as AgingRow;

    const all = new AgingAccumulator(limits);
    for (const [days, total, n] of row.days) all.addGroup(days, total, n);
    all.addUnapplied(row.unapplied[0], row.unapplied[1]);

    const perCustomer = new Map<number, AgingAccumulator>();
    const acc = (id: number) => {
      let a = perCustomer.get(id);
      if (!a) {
        a = new AgingAccumulator(limits);
        perCustomer.set(id, a);
      }
      return a;
    };
    for (const [id, days, total, n] of row.customer_days ?? []) acc(id).addGroup(days, total, n);
    for (const [id, total, n] of row.customer_unapplied ?? []) acc(id).addUnapplied(total, n);
    const customers = (row.customers ?? []).map((c) => ({ ...c, ...acc(c.id).result() }));

    const report: AgingReport = { asOf, limits, ...all.result(), customerCount: row.customer_count, customers };
    if (only !== undefined) {
      const docs = await sql<{
        id: number;
        number: string;
        kind: "invoice" | "credit_note";
        issue_date: string;
        due_date: string;
        outstanding: number;
        disputed: boolean;
      }>`
        select o.id, d.number, o.kind, o.issue_date, o.due_date, o.outstanding, o.disputed
        from ${openDocumentsAt(orgId, asOf)} o join documents d on d.org_id = ${orgId} and d.id = o.id
        where o.customer_id = ${only} order by o.due_date, d.number`.execute(trx);
      report.documents = docs.rows.map((d) => {
        const daysPastDue = daysBetween(d.due_date, asOf);
        return {
          id: d.id,
          number: d.number,
          kind: d.kind,
          issueDate: d.issue_date,
          dueDate: d.due_date,
          daysPastDue,
          bucket: bucketFor(daysPastDue, limits),
          outstanding: d.outstanding,
          disputed: d.disputed,
        };
      });
    }
    return report;
  });
}

function bucketsJson(a: AgingAmounts) {
  return {
    buckets: Object.fromEntries(a.buckets.map((b) => [b.key, money(b.total)])),
    counts: Object.fromEntries(a.buckets.map((b) => [b.key, b.count])),
    total: money(a.total),
    count: a.count,
    unapplied: money(a.unapplied.total),
    unappliedCount: a.unapplied.count,
    receivables: money(a.ar),
  };
}

/**
 * The `--json` contract of `report aging`: `buckets` maps each bucket to its amount,
 * `counts` to its number of documents; `total` = Σ buckets; `receivables` = total − unapplied.
 */
export function agingToJson(r: AgingReport) {
  return {
    asOf: r.asOf,
    ...bucketsJson(r),
    limits: r.limits,
    customerCount: r.customerCount,
    customers: r.customers.map((c) => ({ id: c.id, ref: c.ref, name: c.name, ...bucketsJson(c) })),
    ...(r.documents
      ? {
          documents: r.documents.map((d) => ({
            id: d.id,
            number: d.number,
            kind: d.kind,
            issueDate: d.issueDate,
            dueDate: d.dueDate,
            daysPastDue: d.daysPastDue,
            bucket: d.bucket,
            outstanding: money(d.outstanding),
            disputed: d.disputed,
          })),
        }
      : {}),
  };
}
