import { generateDemo } from "../demo/generate.js";
import { today } from "../domain/dates.js";
import { conflict } from "../errors.js";
import type { Store } from "../store/connect.js";
import { type Actor, requirePermission } from "./actor.js";
import { creditApplicationRows } from "./apply-credit-note.js";
import { audit } from "./audit.js";

export interface DemoCounts {
  customers: number;
  documents: number;
  payments: number;
  allocations: number;
  writeOffs: number;
  disputes: number;
  promises: number;
  notes: number;
  tasks: number;
}

const CHUNK = 1000;

function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

/**
 * Loads the demo history into an organisation that has no customers yet, in one
 * transaction: either the whole story is there, or nothing is.
 */
export async function seedDemo(store: Store, actor: Actor, options: { seed: number; asOf?: string }): Promise<DemoCounts> {
  requirePermission(actor, "admin");
  const asOf = options.asOf ?? today();
  const data = generateDemo({ seed: options.seed, asOf });
  const orgId = actor.orgId;
  return store.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom("customers").select("id").where("org_id", "=", orgId).limit(1).executeTakeFirst();
    if (existing)
      throw conflict(
        'this organisation already has customers: demo data only goes into an empty organisation (create one with "relance org create")',
      );

    const customerIds = new Map<string, number>();
    for (const part of chunks(data.customers)) {
      const rows = await trx
        .insertInto("customers")
        .values(
          part.map((c) => ({
            org_id: orgId,
            ref: c.ref,
            name: c.name,
            siren: c.siren,
            vat_number: c.vatNumber,
            email: c.email,
            phone: c.phone,
            address: c.address,
            language: c.language,
            payment_terms_days: c.paymentTermsDays,
            credit_limit: c.creditLimit,
            status: c.status,
          })),
        )
        .returning(["id", "ref"])
        .execute();
      for (const r of rows) customerIds.set(r.ref, r.id);
    }
    const cid = (ref: string) => customerIds.get(ref) as number;
    const contacts = data.customers.flatMap((c) =>
      c.contacts.map((k) => ({
        org_id: orgId,
        customer_id: cid(c.ref),
        name: k.name,
        email: k.email,
        phone: k.phone,
        job_title: k.jobTitle,
        is_primary: k.isPrimary,
      })),
    );
    for (const part of chunks(contacts)) await trx.insertInto("contacts").values(part).execute();

    const documentIds = new Map<string, number>();
    for (const part of chunks(data.documents)) {
      const rows = await trx
        .insertInto("documents")
        .values(
          part.map((d) => ({
            org_id: orgId,
            kind: d.kind,
            number: d.number,
            customer_id: cid(d.customerRef),
            issue_date: d.issueDate,
            due_date: d.dueDate,
            total: d.total,
            tax: d.tax,
            disputed: d.disputed,
            source: "demo",
          })),
        )
        .returning(["id", "number"])
        .execute();
      for (const r of rows) documentIds.set(r.number, r.id);
    }
    const did = (n: string) => documentIds.get(n) as number;

    let allocationCount = 0;
    for (const part of chunks(data.payments)) {
      const rows = await trx
        .insertInto("payments")
        .values(
          part.map((p) => ({
            org_id: orgId,
            customer_id: cid(p.customerRef),
            date: p.date,
            amount: p.amount,
            reference: p.reference,
            bank_tx_id: p.bankTxId,
            payer_name: p.payerName,
            source: "demo",
          })),
        )
        .returning(["id", "bank_tx_id"])
        .execute();
      const paymentIds = new Map(rows.map((r) => [r.bank_tx_id as string, r.id]));
      const allocations = part.flatMap((p) =>
        p.allocations.map((a) => ({
          org_id: orgId,
          payment_id: paymentIds.get(p.bankTxId) as number,
          document_id: did(a.documentNumber),
          amount: a.amount,
          date: p.date,
        })),
      );
      for (const sub of chunks(allocations)) await trx.insertInto("allocations").values(sub).execute();
      allocationCount += allocations.length;
    }
    if (data.writeOffs.length) {
      await trx
        .insertInto("write_offs")
        .values(
          data.writeOffs.map((w) => ({
            org_id: orgId,
            document_id: did(w.documentNumber),
            date: w.date,
            amount: w.amount,
            reason: w.reason,
          })),
        )
        .execute();
    }
    if (data.creditApplications.length) {
      const rows = data.creditApplications.flatMap((a) =>
        creditApplicationRows(orgId, {
          invoiceId: did(a.invoiceNumber),
          invoiceNumber: a.invoiceNumber,
          creditNoteId: did(a.creditNoteNumber),
          creditNoteNumber: a.creditNoteNumber,
          amount: a.amount,
          date: a.date,
        }),
      );
      for (const sub of chunks(rows)) await trx.insertInto("write_offs").values(sub).execute();
    }
    if (data.disputes.length) {
      await trx
        .insertInto("disputes")
        .values(
          data.disputes.map((d) => ({
            org_id: orgId,
            document_id: did(d.documentNumber),
            reason: d.reason,
            status: d.status,
            opened_at: d.openedAt,
            resolved_at: d.resolvedAt,
          })),
        )
        .execute();
    }
    if (data.promises.length) {
      await trx
        .insertInto("promises")
        .values(
          data.promises.map((p) => ({
            org_id: orgId,
            customer_id: cid(p.customerRef),
            amount: p.amount,
            promised_date: p.promisedDate,
            status: p.status,
          })),
        )
        .execute();
    }
    if (data.notes.length) {
      await trx
        .insertInto("notes")
        .values(
          data.notes.map((n) => ({ org_id: orgId, customer_id: cid(n.customerRef), body: n.body, created_at: `${n.date}T10:00:00Z` })),
        )
        .execute();
    }
    if (data.tasks.length) {
      await trx
        .insertInto("tasks")
        .values(
          data.tasks.map((t) => ({
            org_id: orgId,
            customer_id: cid(t.customerRef),
            kind: t.kind,
            title: t.title,
            due_date: t.dueDate,
            status: t.status,
          })),
        )
        .execute();
    }
    const counts: DemoCounts = {
      customers: data.customers.length,
      documents: data.documents.length,
      payments: data.payments.length,
      allocations: allocationCount,
      writeOffs: data.writeOffs.length,
      disputes: data.disputes.length,
      promises: data.promises.length,
      notes: data.notes.length,
      tasks: data.tasks.length,
    };
    await audit(trx, actor, "demo", "org", orgId, { seed: options.seed, asOf, ...counts });
    return counts;
  });
}
