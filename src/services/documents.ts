import { sql, type Transaction } from "kysely";
import { addDays, today } from "../domain/dates.js";
import { AppError, conflict, invalid, notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import { cachedOutstandingAt, outstandingAt } from "../store/ledger-sql.js";
import "../store/import-schema.js";
import type { Database, DocumentKind } from "../store/schema.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";
import { decodeCursor, encodeCursor, type Page } from "./pagination.js";

/**
 * Locks documents `ids` (in id order, so that concurrent writers never deadlock), then reads
 * them with what they owe now, in a second statement: under READ COMMITTED a statement that
 * waited for a lock still reads with the snapshot it started with, so a balance read by the
 * locking statement would miss a movement committed meanwhile by a concurrent transaction.
 */
export async function lockedDocuments(trx: Transaction<Database>, orgId: number, ids: readonly number[]) {
  await trx.selectFrom("documents").select("id").where("org_id", "=", orgId).where("id", "in", ids).orderBy("id").forUpdate().execute();
  return trx
    .selectFrom("documents as d")
    .select(["d.id", "d.number", "d.kind", "d.customer_id", "d.currency", "d.issue_date", outstandingAt("9999-12-31").as("outstanding")])
    .where("d.org_id", "=", orgId)
    .where("d.id", "in", ids)
    .execute();
}

export const DOCUMENT_STATUSES = ["open", "overdue", "paid", "disputed"] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];
export const DOCUMENT_SORTS = ["due_date", "issue_date", "number", "total", "outstanding"] as const;
export type DocumentSort = (typeof DOCUMENT_SORTS)[number];

export interface DocumentListQuery {
  status?: DocumentStatus;
  customerId?: number;
  dueFrom?: string;
  dueTo?: string;
  q?: string;
  sort?: DocumentSort;
  dir?: "asc" | "desc";
  cursor?: string;
  limit?: number;
  asOf?: string;
}

function documentsWithBalance(db: Db, orgId: number, asOf: string) {
  return db
    .selectFrom("documents as d")
    .innerJoin("customers as c", (j) => j.onRef("c.org_id", "=", "d.org_id").onRef("c.id", "=", "d.customer_id"))
    .select([
      "d.id",
      "d.kind",
      "d.number",
      "d.customer_id",
      "c.name as customer_name",
      "c.ref as customer_ref",
      "d.issue_date",
      "d.due_date",
      "d.currency",
      "d.total",
      "d.tax",
      "d.source",
      "d.lifecycle_status",
      "d.disputed",
      "d.on_hold_until",
      cachedOutstandingAt(asOf).as("outstanding"),
      sql<number>`(${asOf}::date - d.due_date)`.as("days_past_due"),
    ])
    .where("d.org_id", "=", orgId);
}

export async function listDocuments(db: Db, actor: Actor, query: DocumentListQuery) {
  requirePermission(actor, "read");
  const asOf = query.asOf ?? today();
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  const sort = query.sort ?? "due_date";
  const dir = query.dir ?? "asc";
  let q = db.selectFrom(documentsWithBalance(db, actor.orgId, asOf).as("t")).selectAll();
  if (query.customerId !== undefined) q = q.where("t.customer_id", "=", query.customerId);
  if (query.dueFrom) q = q.where("t.due_date", ">=", query.dueFrom);
  if (query.dueTo) q = q.where("t.due_date", "<=", query.dueTo);
  if (query.q?.trim())
    q = q.where(
      sql`lower(t.number)`,
      "like",
      `%${query.q
        .trim()
        .toLowerCase()
        .replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
    );
  switch (query.status) {
    case "open":
      q = q.where("t.outstanding", "<>", 0);
      break;
    case "overdue":
      q = q.where("t.outstanding", ">", 0).where("t.due_date", "<", asOf);
      break;
    case "paid":
      q = q.where("t.outstanding", "=", 0);
      break;
    case "disputed":
      q = q.where("t.disputed", "=", true);
      break;
  }
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    const op = dir === "asc" ? ">" : "<";
    q = q.where(sql<boolean>`(${sql.ref(`t.${sort}`)}, t.id) ${sql.raw(op)} (${c.value}, ${c.id})`);
  }
  const rows = await q
    .orderBy(sql.ref(`t.${sort}`), dir)
    .orderBy("t.id", dir)
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last ? encodeCursor(last[sort] as string | number, last.id) : null,
  } satisfies Page<(typeof items)[number]>;
}

export type DocumentListItem = Awaited<ReturnType<typeof listDocuments>>["items"][number];

export async function getDocument(db: Db, actor: Actor, id: number, asOf = today()) {
  requirePermission(actor, "read");
  const doc = await documentsWithBalance(db, actor.orgId, asOf).where("d.id", "=", id).executeTakeFirst();
  if (!doc) throw notFound("document");
  const [allocations, writeOffs, disputes, original] = await Promise.all([
    db
      .selectFrom("allocations as a")
      .innerJoin("payments as p", (j) => j.onRef("p.org_id", "=", "a.org_id").onRef("p.id", "=", "a.payment_id"))
      .select(["a.id", "a.payment_id", "a.amount", "a.date", "p.reference", "p.amount as payment_amount"])
      .where("a.org_id", "=", actor.orgId)
      .where("a.document_id", "=", id)
      .orderBy("a.date")
      .orderBy("a.id")
      .execute(),
    db
      .selectFrom("write_offs as w")
      // A credit note applied to an invoice: the other document of the pair (migration 0012).
      .leftJoin("documents as o", (j) => j.onRef("o.org_id", "=", "w.org_id").onRef("o.id", "=", "w.applied_document_id"))
      .select(["w.id", "w.date", "w.amount", "w.reason", "o.id as applied_id", "o.number as applied_number", "o.kind as applied_kind"])
      .where("w.org_id", "=", actor.orgId)
      .where("w.document_id", "=", id)
      .orderBy("w.date")
      .orderBy("w.id")
      .execute(),
    db
      .selectFrom("disputes")
      .select(["id", "reason", "status", "opened_at", "resolved_at"])
      .where("org_id", "=", actor.orgId)
      .where("document_id", "=", id)
      .orderBy("id")
      .execute(),
    db
      .selectFrom("document_files")
      .select("id")
      .where("org_id", "=", actor.orgId)
      .where("document_id", "=", id)
      .limit(1)
      .executeTakeFirst(),
  ]);
  return { document: doc, allocations, writeOffs, disputes, hasOriginal: original !== undefined };
}

/**
 * The original e-invoice file kept at import (Factur-X PDF, UBL or CII XML): the latest one
 * when the same document was imported from several files. 404 when there is none.
 */
export async function getDocumentOriginal(db: Db, actor: Actor, id: number) {
  requirePermission(actor, "read");
  const doc = await db.selectFrom("documents").select("id").where("org_id", "=", actor.orgId).where("id", "=", id).executeTakeFirst();
  if (!doc) throw notFound("document");
  const file = await db
    .selectFrom("document_files")
    .select(["filename", "media_type", "size", "sha256", "bytes"])
    .where("org_id", "=", actor.orgId)
    .where("document_id", "=", id)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!file) throw new AppError("not_found", "this document has no original file (it was not imported from an e-invoice)");
  return {
    filename: file.filename,
    mediaType: file.media_type,
    sha256: file.sha256,
    bytes: Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength),
  };
}

export interface DocumentInput {
  kind?: DocumentKind;
  number: string;
  customerId: number;
  issueDate: string;
  dueDate?: string;
  currency?: string;
  /** Amount incl. tax in cents; a credit note may be given positive, it is stored negative. */
  total: number;
  tax?: number;
  onHoldUntil?: string | null;
}

function signed(kind: DocumentKind, amount: number): number {
  return kind === "credit_note" ? -Math.abs(amount) : amount;
}

export async function createDocument(db: Db, actor: Actor, input: DocumentInput) {
  requirePermission(actor, "ledger:write");
  const kind = input.kind ?? "invoice";
  if (kind === "invoice" && input.total < 0)
    throw invalid("an invoice total cannot be negative: record a credit note", [{ field: "total", message: "must be ≥ 0" }]);
  const customer = await db
    .selectFrom("customers")
    .select(["id", "payment_terms_days"])
    .where("org_id", "=", actor.orgId)
    .where("id", "=", input.customerId)
    .executeTakeFirst();
  if (!customer) throw notFound("customer");
  const dueDate = input.dueDate ?? addDays(input.issueDate, customer.payment_terms_days);
  if (dueDate < input.issueDate)
    throw invalid("the due date is before the issue date", [{ field: "dueDate", message: "must be on or after issueDate" }]);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("documents")
      .values({
        org_id: actor.orgId,
        kind,
        number: input.number,
        customer_id: input.customerId,
        issue_date: input.issueDate,
        due_date: dueDate,
        currency: input.currency ?? "EUR",
        total: signed(kind, input.total),
        tax: signed(kind, input.tax ?? 0),
        on_hold_until: input.onHoldUntil ?? null,
        source: "manual",
      })
      .onConflict((oc) => oc.columns(["org_id", "number"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!row) throw conflict(`a document numbered "${input.number}" already exists`);
    await audit(trx, actor, "create", "document", row.id, { number: input.number, kind, total: signed(kind, input.total) });
    return row.id;
  });
}

export async function updateDocument(db: Db, actor: Actor, id: number, input: Partial<Omit<DocumentInput, "customerId" | "kind">>) {
  requirePermission(actor, "ledger:write");
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom("documents")
      .selectAll()
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw notFound("document");
    const issueDate = input.issueDate ?? before.issue_date;
    const dueDate = input.dueDate ?? before.due_date;
    if (dueDate < issueDate)
      throw invalid("the due date is before the issue date", [{ field: "dueDate", message: "must be on or after issueDate" }]);
    if (input.number && input.number !== before.number) {
      const clash = await trx
        .selectFrom("documents")
        .select("id")
        .where("org_id", "=", actor.orgId)
        .where("number", "=", input.number)
        .executeTakeFirst();
      if (clash) throw conflict(`a document numbered "${input.number}" already exists`);
    }
    const changes = Object.fromEntries(
      Object.entries({
        number: input.number,
        issue_date: input.issueDate,
        due_date: input.dueDate,
        currency: input.currency,
        total: input.total === undefined ? undefined : signed(before.kind, input.total),
        tax: input.tax === undefined ? undefined : signed(before.kind, input.tax),
        on_hold_until: input.onHoldUntil,
      }).filter(([, v]) => v !== undefined),
    );
    if (changes.total !== undefined) {
      const allocated = await trx
        .selectFrom("allocations")
        .select(sql<number>`coalesce(sum(amount), 0)`.as("s"))
        .where("org_id", "=", actor.orgId)
        .where("document_id", "=", id)
        .executeTakeFirstOrThrow();
      if (before.kind === "invoice" && (changes.total as number) < allocated.s) {
        throw invalid("the new total is below what was already paid on this invoice", [
          { field: "total", message: `≥ ${allocated.s} cents already allocated` },
        ]);
      }
    }
    await trx
      .updateTable("documents")
      .set({ ...changes, updated_at: new Date() })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .execute();
    await audit(trx, actor, "update", "document", id, { changes });
    return id;
  });
}
