/**
 * Applying a credit note to an invoice of the same customer (an "imputation d'avoir"), and
 * undoing it. No money moves, so it is not an allocation: it is a pair of write-offs naming
 * each other (migration 0012), +X on the invoice and −X on the credit note, so that what
 * each owes at any date follows DESIGN §3 unchanged. The FEC import makes the same pairs
 * from the lettering (`creditApplicationRows`).
 */
import { sql, type Transaction } from "kysely";
import { type IsoDate, today } from "../domain/dates.js";
import { invalid, notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import type { Database } from "../store/schema.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";
import { lockedDocuments } from "./documents.js";

export interface CreditApplication {
  invoiceId: number;
  invoiceNumber: string;
  creditNoteId: number;
  creditNoteNumber: string;
  /** Positive: what the invoice no longer owes. */
  amount: number;
  date: IsoDate;
}

/** The two write-off rows of an application. */
export function creditApplicationRows(orgId: number, a: CreditApplication) {
  return [
    {
      org_id: orgId,
      document_id: a.invoiceId,
      applied_document_id: a.creditNoteId,
      amount: a.amount,
      date: a.date,
      reason: `credit note ${a.creditNoteNumber}`,
    },
    {
      org_id: orgId,
      document_id: a.creditNoteId,
      applied_document_id: a.invoiceId,
      amount: -a.amount,
      date: a.date,
      reason: `applied to ${a.invoiceNumber}`,
    },
  ];
}

type Trx = Transaction<Database>;

/** Both documents, locked, with what they owe now. */
async function lockedPair(trx: Trx, orgId: number, creditNoteId: number, invoiceId: number) {
  const docs = await lockedDocuments(trx, orgId, [creditNoteId, invoiceId]);
  const creditNote = docs.find((d) => d.id === creditNoteId);
  const invoice = docs.find((d) => d.id === invoiceId);
  if (!creditNote || !invoice) throw notFound("document");
  return { creditNote, invoice };
}

/**
 * Applies `amount` (default: all it can) of credit note `creditNoteId` to invoice
 * `invoiceId`, dated `date` (default today, Europe/Paris; never before either document).
 */
export async function applyCreditNote(
  db: Db,
  actor: Actor,
  creditNoteId: number,
  input: { invoiceId: number; amount?: number | null; date?: IsoDate | null },
): Promise<CreditApplication> {
  requirePermission(actor, "ledger:write");
  return db.transaction().execute(async (trx) => {
    const { creditNote, invoice } = await lockedPair(trx, actor.orgId, creditNoteId, input.invoiceId);
    const problems: { field: string; message: string }[] = [];
    const credit = Math.max(-creditNote.outstanding, 0);
    const owed = Math.max(invoice.outstanding, 0);
    const amount = input.amount ?? Math.min(credit, owed);
    if (creditNote.kind !== "credit_note") problems.push({ field: "id", message: `${creditNote.number} is not a credit note` });
    if (invoice.kind !== "invoice") problems.push({ field: "invoiceId", message: `${invoice.number} is not an invoice` });
    if (invoice.customer_id !== creditNote.customer_id)
      problems.push({ field: "invoiceId", message: `${invoice.number} belongs to another customer` });
    if (invoice.currency !== creditNote.currency)
      problems.push({
        field: "invoiceId",
        message: `${invoice.number} is in ${invoice.currency}, the credit note in ${creditNote.currency}`,
      });
    if (problems.length === 0) {
      if (!Number.isSafeInteger(amount) || amount <= 0)
        problems.push({
          field: "amount",
          message: credit === 0 ? `${creditNote.number} has no credit left` : `${invoice.number} owes nothing`,
        });
      else if (amount > credit) problems.push({ field: "amount", message: `${creditNote.number} only has ${credit} cents of credit left` });
      else if (amount > owed) problems.push({ field: "amount", message: `${invoice.number} only owes ${owed} cents` });
    }
    const earliest = [creditNote.issue_date, invoice.issue_date].sort()[1] as IsoDate; // the later ISO date
    const date = input.date ?? ([today(), earliest].sort()[1] as IsoDate);
    if (date < earliest) problems.push({ field: "date", message: `not before ${earliest}, the later document's date` });
    if (problems.length) throw invalid("the credit note cannot be applied", problems);
    const application: CreditApplication = {
      invoiceId: invoice.id,
      invoiceNumber: invoice.number,
      creditNoteId: creditNote.id,
      creditNoteNumber: creditNote.number,
      amount,
      date,
    };
    await trx.insertInto("write_offs").values(creditApplicationRows(actor.orgId, application)).execute();
    await audit(trx, actor, "apply_credit_note", "document", creditNote.id, { invoiceId: invoice.id, amount, date });
    return application;
  });
}

/** Removes every application of credit note `creditNoteId` to invoice `invoiceId` (both rows of each pair). */
export async function unapplyCreditNote(db: Db, actor: Actor, creditNoteId: number, invoiceId: number): Promise<{ removed: number }> {
  requirePermission(actor, "ledger:write");
  return db.transaction().execute(async (trx) => {
    await lockedPair(trx, actor.orgId, creditNoteId, invoiceId);
    const r = await sql<{ amount: number }>`
      delete from write_offs
      where org_id = ${actor.orgId}
        and ((document_id = ${creditNoteId} and applied_document_id = ${invoiceId})
          or (document_id = ${invoiceId} and applied_document_id = ${creditNoteId}))
      returning amount`.execute(trx);
    const removed = r.rows.filter((x) => x.amount > 0).reduce((s, x) => s + x.amount, 0);
    if (r.rows.length === 0) throw notFound("credit note application");
    await audit(trx, actor, "unapply_credit_note", "document", creditNoteId, { invoiceId, amount: removed });
    return { removed };
  });
}
