/**
 * Benchmark data: N invoices over M customers for one organisation, written by the
 * database itself (INSERT … SELECT over generate_series), so that a million invoices load
 * in a minute or two. Deterministic for a seed (`setseed`).
 *
 * The shape of a real ledger over two years ending at `asOf`: a skewed customer base (the
 * first customers buy far more), terms of 30/45/60 days, each customer paying with its own
 * delay (from 10 days early to 60 days late), 2 % credit notes, 4 % invoices paid half and
 * never the rest, 0.5 % of receipts left unallocated, write-offs of some residues, 1 % of
 * customers defaulted (no payment in the last eight months), a few disputes and promises.
 */
import type { RawSession } from "../src/store/migrate.js";

export interface GenerateOptions {
  invoices: number;
  customers: number;
  asOf: string;
  seed?: number;
  orgSlug?: string;
}

export interface Generated {
  orgId: number;
  counts: Record<string, number>;
  ms: number;
}

export async function generateBench(raw: RawSession, o: GenerateOptions): Promise<Generated> {
  const started = performance.now();
  const slug = o.orgSlug ?? "bench";
  const seed = ((o.seed ?? 1) % 1000) / 1000;
  const org = await raw.query("insert into orgs (slug, name) values ($1, $2) returning id", [slug, `Benchmark ${o.invoices} invoices`]);
  const orgId = Number(org[0]?.id);
  const asOf = o.asOf;
  const n = Math.trunc(o.invoices);
  const m = Math.trunc(o.customers);
  const run = (sql: string) => raw.exec(sql);

  await run(`select setseed(${seed})`);
  await run(`
    insert into customers (org_id, ref, name, payment_terms_days, credit_limit, status)
    select ${orgId}, 'B' || lpad(i::text, 7, '0'), 'Client ' || i, (array[30, 45, 60])[1 + i % 3],
           case when i % 3 = 0 then 500000 * (1 + i % 20) end,
           case when i % 100 = 7 then 'defaulted' else 'active' end
    from generate_series(1, ${m}) i`);
  // Each document: a customer drawn with a skew, an issue date in the last 730 days.
  await run(`
    create temporary table bench_docs as
    select i, 1 + floor(random() ^ 2 * ${m})::int as c, date '${asOf}' - floor(random() * 730)::int as issue,
           (10000 + floor(random() * 500000))::bigint * 12 / 10 as amount, random() as r_kind, random() as r_pay, random() as r_noise
    from generate_series(1, ${n}) i`);
  await run(`
    insert into documents (org_id, kind, number, customer_id, issue_date, due_date, total, tax, disputed, source)
    select ${orgId}, case when b.r_kind < 0.02 then 'credit_note' else 'invoice' end, 'BF' || lpad(b.i::text, 8, '0'), c.id,
           b.issue, case when b.r_kind < 0.02 then b.issue else b.issue + c.payment_terms_days end,
           case when b.r_kind < 0.02 then -(b.amount / 5) else b.amount end,
           case when b.r_kind < 0.02 then -(b.amount / 30) else b.amount / 6 end,
           b.r_kind between 0.02 and 0.025, 'bench'
    from bench_docs b join customers c on c.org_id = ${orgId} and c.ref = 'B' || lpad(b.c::text, 7, '0')`);
  // Receipts: one per invoice paid, at its due date + the customer's own delay + noise;
  // 4 % pay half only; defaulted customers stopped paying 240 days before asOf.
  await run(`
    create temporary table bench_pay as
    select d.id as document_id, d.customer_id, d.number,
           d.due_date + (((c.id * 7919) % 70) - 10)::int + floor(b.r_noise * 15)::int - 7 as date,
           case when b.r_pay < 0.04 then d.total / 2 else d.total end as amount,
           b.r_pay
    from documents d
    join customers c on c.org_id = d.org_id and c.id = d.customer_id
    join bench_docs b on 'BF' || lpad(b.i::text, 8, '0') = d.number
    where d.org_id = ${orgId} and d.kind = 'invoice' and not d.disputed`);
  await run(`
    delete from bench_pay p using customers c
    where c.org_id = ${orgId} and c.id = p.customer_id
      and (p.date > date '${asOf}' or (c.status = 'defaulted' and p.date > date '${asOf}' - 240))`);
  await run(`
    insert into payments (org_id, customer_id, date, amount, reference, bank_tx_id, source)
    select ${orgId}, customer_id, date, amount, 'VIR SEPA FACT ' || number, 'BX' || number, 'bench' from bench_pay`);
  // 0.5 % of receipts stay unallocated (to reconcile).
  await run(`
    insert into allocations (org_id, payment_id, document_id, amount, date)
    select ${orgId}, p.id, b.document_id, b.amount, b.date
    from bench_pay b join payments p on p.org_id = ${orgId} and p.bank_tx_id = 'BX' || b.number
    where b.r_pay >= 0.005 or b.r_pay < 0.004`);
  // Half the residues of half-paid invoices are written off 120 days after the due date.
  await run(`
    insert into write_offs (org_id, document_id, date, amount, reason)
    select ${orgId}, d.id, d.due_date + 120, d.total - d.paid, 'bench residue'
    from documents d
    where d.org_id = ${orgId} and d.kind = 'invoice' and d.paid > 0 and d.paid < d.total
      and d.due_date + 120 <= date '${asOf}' and d.id % 2 = 0`);
  await run(`
    insert into promises (org_id, customer_id, amount, promised_date, status)
    select ${orgId}, c.id, 100000, date '${asOf}' - (c.id % 60)::int, case when c.id % 3 = 0 then 'broken' else 'kept' end
    from customers c where c.org_id = ${orgId} and c.id % 50 = 0`);
  await run("drop table bench_docs");
  await run("drop table bench_pay");
  // A database in service has been vacuumed by autovacuum: set the visibility map (what
  // index-only scans need) and the statistics now rather than measure a freshly loaded heap.
  await run("vacuum analyze");
  const counts: Record<string, number> = {};
  for (const t of ["customers", "documents", "payments", "allocations", "write_offs", "promises"]) {
    const r = await raw.query(`select count(*)::int as n from ${t} where org_id = $1`, [orgId]);
    counts[t] = Number(r[0]?.n);
  }
  return { orgId, counts, ms: performance.now() - started };
}
