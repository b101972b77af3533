import { sql } from "kysely";
import { invalid, notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import { unallocated } from "../store/ledger-sql.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";
import { lockedDocuments } from "./documents.js";
import { decodeCursor, encodeCursor, type Page } from "./pagination.js";

export interface PaymentListQuery {
  customerId?: number;
  unallocated?: boolean;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

function paymentsWithRemainder(db: Db, orgId: number) {
  return db
    .selectFrom("payments as p")
    .leftJoin("customers as c", (j) => j.onRef("c.org_id", "=", "p.org_id").onRef("c.id", "=", "p.customer_id"))
    .select([
      "p.id",
      "p.customer_id",
      "c.name as customer_name",
      "p.date",
      "p.amount",
      "p.currency",
      "p.reference",
      "p.bank_tx_id",
      "p.payer_name",
      "p.source",
      unallocated().as("unallocated"),
    ])
    .where("p.org_id", "=", orgId);
}

/** Newest first, keyset on (date, id). */
export async function listPayments(db: Db, actor: Actor, query: PaymentListQuery) {
  requirePermission(actor, "read");
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  let q = db.selectFrom(paymentsWithRemainder(db, actor.orgId).as("t")).selectAll();
  if (query.customerId !== undefined) q = q.where("t.customer_id", "=", query.customerId);
  if (query.unallocated) q = q.where("t.unallocated", ">", 0);
  if (query.from) q = q.where("t.date", ">=", query.from);
  if (query.to) q = q.where("t.date", "<=", query.to);
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    q = q.where(sql<boolean>`(t.date, t.id) < (${c.value}::date, ${c.id})`);
  }
  const rows = await q
    .orderBy("t.date", "desc")
    .orderBy("t.id", "desc")
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.date, last.id) : null } satisfies Page<
    (typeof items)[number]
  >;
}

export async function getPayment(db: Db, actor: Actor, id: number) {
  requirePermission(actor, "read");
  const payment = await paymentsWithRemainder(db, actor.orgId).where("p.id", "=", id).executeTakeFirst();
  if (!payment) throw notFound("payment");
  const allocations = await db
    .selectFrom("allocations as a")
    .innerJoin("documents as d", (j) => j.onRef("d.org_id", "=", "a.org_id").onRef("d.id", "=", "a.document_id"))
    .select(["a.id", "a.document_id", "d.number", "a.amount", "a.date"])
    .where("a.org_id", "=", actor.orgId)
    .where("a.payment_id", "=", id)
    .orderBy("a.id")
    .execute();
  return { payment, allocations };
}

export interface PaymentInput {
  date: string;
  amount: number;
  customerId?: number | null;
  currency?: string;
  reference?: string | null;
  payerName?: string | null;
}

export async function createPayment(db: Db, actor: Actor, input: PaymentInput) {
  requirePermission(actor, "ledger:write");
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0)
    throw invalid("a payment amount must be positive", [{ field: "amount", message: "must be > 0" }]);
  if (input.customerId != null) {
    const c = await db
      .selectFrom("customers")
      .select("id")
      .where("org_id", "=", actor.orgId)
      .where("id", "=", input.customerId)
      .executeTakeFirst();
    if (!c) throw notFound("customer");
  }
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("payments")
      .values({
        org_id: actor.orgId,
        customer_id: input.customerId ?? null,
        date: input.date,
        amount: input.amount,
        currency: input.currency ?? "EUR",
        reference: input.reference ?? null,
        payer_name: input.payerName ?? null,
        source: "manual",
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await audit(trx, actor, "create", "payment", row.id, { amount: input.amount, date: input.date });
    return row.id;
  });
}

/**
 * Allocates part of a payment to documents. Checked under a row lock on the payment so
 * two concurrent allocations can never spend the same euro twice: each amount must fit
 * both what the payment has left and what the document still owes, and every document
 * must belong to the payment's customer (a payment without one takes the documents').
 */
export async function allocatePayment(db: Db, actor: Actor, paymentId: number, lines: { documentId: number; amount: number }[]) {
  requirePermission(actor, "ledger:write");
  if (lines.length === 0) throw invalid("nothing to allocate", [{ field: "allocations", message: "at least one line" }]);
  return db.transaction().execute(async (trx) => {
    const payment = await trx
      .selectFrom("payments")
      .selectAll()
      .where("org_id", "=", actor.orgId)
      .where("id", "=", paymentId)
      .forUpdate()
      .executeTakeFirst();
    if (!payment) throw notFound("payment");
    const used = await trx
      .selectFrom("allocations")
      .select(sql<number>`coalesce(sum(amount), 0)`.as("s"))
      .where("org_id", "=", actor.orgId)
      .where("payment_id", "=", paymentId)
      .executeTakeFirstOrThrow();
    let left = payment.amount - used.s;
    let customerId = payment.customer_id;
    const problems: { field: string; message: string }[] = [];
    const documentIds = [...new Set(lines.map((l) => l.documentId))];
    const docs = await lockedDocuments(trx, actor.orgId, documentIds);
    const byId = new Map(docs.map((d) => [d.id, d]));
    lines.forEach((line, i) => {
      const doc = byId.get(line.documentId);
      const field = `allocations[${i}]`;
      if (!doc) throw notFound("document");
      if (!Number.isSafeInteger(line.amount) || line.amount <= 0) problems.push({ field, message: "amount must be positive" });
      else if (doc.kind !== "invoice") problems.push({ field, message: `${doc.number} is a credit note` });
      else if (doc.currency !== payment.currency)
        problems.push({ field, message: `${doc.number} is in ${doc.currency}, the payment in ${payment.currency}` });
      else if (line.amount > doc.outstanding) problems.push({ field, message: `${doc.number} only owes ${doc.outstanding} cents` });
      else if (line.amount > left) problems.push({ field, message: `the payment only has ${left} cents left` });
      else if (customerId !== null && doc.customer_id !== customerId)
        problems.push({ field, message: `${doc.number} belongs to another customer` });
      else {
        left -= line.amount;
        doc.outstanding -= line.amount;
        customerId = doc.customer_id;
      }
    });
    if (problems.length) throw invalid("the allocation does not fit", problems);
    if (payment.customer_id === null && customerId !== null) {
      await trx
        .updateTable("payments")
        .set({ customer_id: customerId })
        .where("org_id", "=", actor.orgId)
        .where("id", "=", paymentId)
        .execute();
    }
    const rows = await trx
      .insertInto("allocations")
      .values(
        lines.map((l) => ({
          org_id: actor.orgId,
          payment_id: paymentId,
          document_id: l.documentId,
          amount: l.amount,
          date: payment.date,
          created_by: actor.userId,
        })),
      )
      .returning(["id", "document_id", "amount"])
      .execute();
    await audit(trx, actor, "allocate", "payment", paymentId, { allocations: lines });
    return rows;
  });
}
