/**
 * Payment matching against the database: loads what `matchPayments` (src/domain/matching.ts,
 * pure) needs, writes the allocations of certain matches, and lists what is left to
 * reconcile with the matcher's suggestions.
 */

import { sql, type Transaction } from "kysely";
import { type MatchCustomer, type MatchDocument, type MatchPayment, type MatchResult, matchPayments } from "../domain/matching.js";
import { toDecimalString } from "../domain/money.js";
import type { Db } from "../store/connect.js";
import "../store/import-schema.js";
import { outstandingAt } from "../store/ledger-sql.js";
import type { Database } from "../store/schema.js";
import { type Actor, requirePermission } from "./actor.js";

type Q = Db | Transaction<Database>;

export interface MatchOutcome {
  /** Payments allocated with certainty (wholly or, for an overpayment, partly). */
  matched: number;
  /** Payments left to reconcile. */
  unmatched: number;
  /** Allocation rows written. */
  allocations: number;
}

/** Above this many open documents, only those of the payments' known customers are loaded. */
const MAX_OPEN_DOCUMENTS = 100_000;
const CHUNK = 500;

interface PaymentRow {
  id: number;
  date: string;
  amount: number;
  left: number;
  currency: string;
  reference: string | null;
  structured_reference: string | null;
  payer_name: string | null;
  payer_iban: string | null;
  bank_tx_id: string | null;
  source: string;
  customer_id: number | null;
  customer_ref: string | null;
  customer_name: string | null;
}

async function loadPayments(q: Q, orgId: number, where: { ids?: number[]; limit?: number; beforeId?: number }): Promise<PaymentRow[]> {
  const rows = await sql<PaymentRow>`
    select * from (
      select p.id, p.date, p.amount, p.currency, p.reference, p.structured_reference, p.payer_name, p.payer_iban, p.bank_tx_id, p.source,
        p.customer_id, c.ref as customer_ref, c.name as customer_name,
        (p.amount - coalesce((select sum(a.amount) from allocations a where a.org_id = p.org_id and a.payment_id = p.id), 0))::bigint as left
      from payments p
      left join customers c on c.org_id = p.org_id and c.id = p.customer_id
      where p.org_id = ${orgId}
        ${where.ids ? sql`and p.id = any(${where.ids}::bigint[])` : sql``}
        ${where.beforeId !== undefined ? sql`and p.id < ${where.beforeId}` : sql``}
    ) t where t.left > 0
    order by t.id desc
    ${where.limit !== undefined ? sql`limit ${where.limit}` : sql``}`.execute(q);
  return rows.rows;
}

async function loadCustomers(q: Q, orgId: number): Promise<MatchCustomer[]> {
  const rows = await sql<{ id: number; ref: string; name: string; ibans: string[] | null }>`
    select c.id, c.ref, c.name,
      (select array_agg(b.iban) from customer_bank_accounts b where b.org_id = c.org_id and b.customer_id = c.id) as ibans
    from customers c where c.org_id = ${orgId}`.execute(q);
  return rows.rows.map((r) => ({ id: r.id, ref: r.ref, name: r.name, ibans: r.ibans ?? [] }));
}

async function loadOpenDocuments(q: Q, orgId: number, customerIds: number[] | null): Promise<MatchDocument[]> {
  let query = q
    .selectFrom("documents as d")
    .select([
      "d.id",
      "d.customer_id",
      "d.number",
      "d.kind",
      "d.currency",
      "d.issue_date",
      "d.due_date",
      outstandingAt("9999-12-31").as("outstanding"),
    ])
    .where("d.org_id", "=", orgId)
    .where("d.kind", "=", "invoice")
    .where(outstandingAt("9999-12-31"), ">", 0);
  if (customerIds !== null) {
    if (customerIds.length === 0) return [];
    query = query.where("d.customer_id", "in", customerIds);
  }
  const rows = await query.execute();
  return rows.map((d) => ({
    id: d.id,
    customerId: d.customer_id,
    number: d.number,
    kind: d.kind,
    currency: d.currency,
    issueDate: d.issue_date,
    dueDate: d.due_date,
    outstanding: d.outstanding,
  }));
}

async function countOpenDocuments(q: Q, orgId: number): Promise<number> {
  const r = await q
    .selectFrom("documents as d")
    .select(sql<number>`count(*)`.as("n"))
    .where("d.org_id", "=", orgId)
    .where("d.kind", "=", "invoice")
    .where(outstandingAt("9999-12-31"), ">", 0)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

function toMatchPayment(p: PaymentRow): MatchPayment {
  return {
    key: String(p.id),
    date: p.date,
    // What is left of it: a payment partly allocated already (a file that named an invoice) is matched for the rest.
    amount: p.left,
    currency: p.currency,
    reference: p.reference,
    structuredReference: p.structured_reference,
    payerName: p.payer_name,
    payerIban: p.payer_iban,
    customerRef: p.customer_ref,
  };
}

/** The data the matcher needs for these payments: customers, and open documents (bounded). */
async function matchContext(q: Q, orgId: number, payments: PaymentRow[]) {
  const customers = await loadCustomers(q, orgId);
  const open = await countOpenDocuments(q, orgId);
  let documents: MatchDocument[];
  let limited = false;
  if (open <= MAX_OPEN_DOCUMENTS) documents = await loadOpenDocuments(q, orgId, null);
  else {
    limited = true;
    const ids = [...new Set(payments.map((p) => p.customer_id).filter((id): id is number => id !== null))];
    documents = await loadOpenDocuments(q, orgId, ids);
  }
  return { customers, documents, limited };
}

/**
 * Matches newly imported payments: allocations are written for certain matches only; the
 * rest stays unallocated, to reconcile. Runs inside the import's transaction.
 */
export async function matchNewPayments(trx: Transaction<Database>, actor: Actor, paymentIds: number[]): Promise<MatchOutcome> {
  const outcome: MatchOutcome = { matched: 0, unmatched: 0, allocations: 0 };
  if (paymentIds.length === 0) return outcome;
  const orgId = actor.orgId;
  const payments: PaymentRow[] = [];
  for (let i = 0; i < paymentIds.length; i += 10_000)
    payments.push(...(await loadPayments(trx, orgId, { ids: paymentIds.slice(i, i + 10_000) })));
  if (payments.length === 0) return outcome;
  const { customers, documents } = await matchContext(trx, orgId, payments);
  const docById = new Map(documents.map((d) => [d.id as number, d]));
  const paymentById = new Map(payments.map((p) => [p.id, p]));
  // Oldest payments first, in chunks; what a chunk allocates is taken off before the next.
  const ordered = [...payments].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.id - b.id));
  for (let i = 0; i < ordered.length; i += CHUNK) {
    const chunk = ordered.slice(i, i + CHUNK);
    const results = matchPayments(
      chunk.map(toMatchPayment),
      [...docById.values()].filter((d) => d.outstanding > 0),
      customers,
      { orgId },
    );
    const rows: { payment_id: number; document_id: number; amount: number; date: string }[] = [];
    for (const r of results) {
      const p = paymentById.get(Number(r.paymentKey)) as PaymentRow;
      if (r.status !== "matched" || r.allocations.length === 0) {
        outcome.unmatched++;
        continue;
      }
      outcome.matched++;
      for (const a of r.allocations) {
        const d = docById.get(Number(a.documentId));
        if (d) d.outstanding -= a.amount;
        rows.push({ payment_id: p.id, document_id: Number(a.documentId), amount: a.amount, date: p.date });
      }
      if (p.customer_id === null) {
        await trx
          .updateTable("payments")
          .set({ customer_id: Number(r.customerId) })
          .where("org_id", "=", orgId)
          .where("id", "=", p.id)
          .execute();
      }
      // A payer's account is learnt when a document named by the payment proved who paid.
      if (p.payer_iban && (r.rule === "rf" || r.rule === "invoice_number")) {
        await trx
          .insertInto("customer_bank_accounts")
          .values({ org_id: orgId, customer_id: Number(r.customerId), iban: p.payer_iban, source: "matching" })
          .onConflict((oc) => oc.columns(["org_id", "customer_id", "iban"]).doNothing())
          .execute();
      }
    }
    if (rows.length > 0) {
      await trx
        .insertInto("allocations")
        .values(rows.map((r) => ({ org_id: orgId, ...r, created_by: actor.userId })))
        .execute();
      outcome.allocations += rows.length;
    }
  }
  return outcome;
}

// ---------------------------------------------------------------------------------------
// To reconcile

export interface UnmatchedPaymentItem {
  id: number;
  date: string;
  amount: string;
  unallocated: string;
  currency: string;
  reference: string | null;
  structuredReference: string | null;
  payerName: string | null;
  payerIban: string | null;
  bankTxId: string | null;
  source: string;
  customer: { id: number; ref: string; name: string } | null;
  /** Why it was not matched with certainty (codes for the UI, English messages). */
  reasons: { code: string; message: string }[];
  /** Documents it could pay, best first: never applied without a person's decision. */
  suggestions: {
    score: number;
    amount: string;
    customer: { id: number; ref: string; name: string } | null;
    documents: { id: number; number: string; dueDate: string; outstanding: string }[];
    reasons: { code: string; message: string }[];
  }[];
}

/** Payments with something left to allocate, newest first, with the matcher's suggestions. */
export async function listUnmatchedPayments(
  db: Db,
  actor: Actor,
  query: { limit?: number; cursor?: string } = {},
): Promise<{ items: UnmatchedPaymentItem[]; nextCursor: string | null }> {
  requirePermission(actor, "read");
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  const cursor = query.cursor !== undefined && /^\d+$/.test(query.cursor) ? Number(query.cursor) : undefined;
  // Newest recorded first (keyset on id: the cursor is the last id of the page).
  const all = await loadPayments(db, actor.orgId, { limit: limit + 1, ...(cursor !== undefined ? { beforeId: cursor } : {}) });
  const page = all.slice(0, limit);
  if (page.length === 0) return { items: [], nextCursor: null };
  const { customers, documents } = await matchContext(db, actor.orgId, page);
  const results = new Map<string, MatchResult>(
    matchPayments(page.map(toMatchPayment), documents, customers, { orgId: actor.orgId }).map((r) => [r.paymentKey, r]),
  );
  const customerById = new Map(customers.map((c) => [Number(c.id), c]));
  const docById = new Map(documents.map((d) => [Number(d.id), d]));
  const customerOf = (id: number | string | null) => {
    if (id === null) return null;
    const c = customerById.get(Number(id));
    return c ? { id: Number(c.id), ref: c.ref ?? "", name: c.name } : null;
  };
  const items = page.map((p): UnmatchedPaymentItem => {
    const r = results.get(String(p.id));
    const suggestions: UnmatchedPaymentItem["suggestions"] = [];
    if (r?.status === "matched") {
      // The data changed since the import (a new invoice): the matcher is now certain — still only a suggestion here.
      suggestions.push({
        score: 100,
        amount: toDecimalString(r.allocations.reduce((s, a) => s + a.amount, 0)),
        customer: customerOf(r.customerId),
        documents: r.allocations.map((a) => docOut(docById.get(Number(a.documentId)))).filter((d) => d !== null),
        reasons: r.reasons,
      });
    } else if (r) {
      for (const s of r.suggestions) {
        suggestions.push({
          score: s.score,
          amount: toDecimalString(s.amount),
          customer: customerOf(s.customerId),
          documents: s.documentIds.map((id) => docOut(docById.get(Number(id)))).filter((d) => d !== null),
          reasons: s.reasons,
        });
      }
    }
    return {
      id: p.id,
      date: p.date,
      amount: toDecimalString(p.amount),
      unallocated: toDecimalString(p.left),
      currency: p.currency,
      reference: p.reference,
      structuredReference: p.structured_reference,
      payerName: p.payer_name,
      payerIban: p.payer_iban,
      bankTxId: p.bank_tx_id,
      source: p.source,
      customer: p.customer_id !== null ? { id: p.customer_id, ref: p.customer_ref ?? "", name: p.customer_name ?? "" } : null,
      reasons: r?.status === "unmatched" ? r.reasons : [],
      suggestions,
    };
  });
  const last = page[page.length - 1];
  return { items, nextCursor: all.length > limit && last ? String(last.id) : null };
}

function docOut(d: MatchDocument | undefined) {
  if (!d) return null;
  return { id: Number(d.id), number: d.number, dueDate: d.dueDate, outstanding: toDecimalString(d.outstanding) };
}
