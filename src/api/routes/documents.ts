import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { applyCreditNote, unapplyCreditNote } from "../../services/apply-credit-note.js";
import {
  createDocument,
  DOCUMENT_SORTS,
  DOCUMENT_STATUSES,
  type DocumentListItem,
  getDocument,
  getDocumentOriginal,
  listDocuments,
  updateDocument,
} from "../../services/documents.js";
import { actorOf } from "../auth.js";
import { IdParam, IsoDateSchema, MoneyIn, money } from "../schemas.js";

const DocumentBody = z.object({
  kind: z.enum(["invoice", "credit_note"]).optional(),
  number: z.string().trim().min(1).max(64),
  customerId: z.number().int().positive(),
  issueDate: IsoDateSchema,
  dueDate: IsoDateSchema.optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  total: MoneyIn,
  tax: MoneyIn.optional(),
  onHoldUntil: IsoDateSchema.nullish(),
});

/** RFC 6266 Content-Disposition: an ASCII fallback name and the exact name in UTF-8 (RFC 8187). */
function contentDisposition(type: "inline" | "attachment", filename: string): string {
  const ascii =
    filename
      .normalize("NFKD")
      .replace(/[^\x20-\x7e]/g, "")
      .replace(/["\\]/g, "_") || "original";
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function present(d: DocumentListItem) {
  return {
    id: d.id,
    kind: d.kind,
    number: d.number,
    customer: { id: d.customer_id, ref: d.customer_ref, name: d.customer_name },
    issueDate: d.issue_date,
    dueDate: d.due_date,
    currency: d.currency,
    total: money(d.total),
    tax: money(d.tax),
    outstanding: money(d.outstanding),
    daysPastDue: d.days_past_due,
    status: d.outstanding === 0 ? "paid" : d.outstanding > 0 && d.days_past_due > 0 ? "overdue" : "open",
    disputed: d.disputed,
    onHoldUntil: d.on_hold_until,
    lifecycleStatus: d.lifecycle_status,
    source: d.source,
  };
}

/** A document with its allocations, write-offs (and credit note applications) and disputes. */
function presentDetail(d: Awaited<ReturnType<typeof getDocument>>) {
  return {
    ...present(d.document),
    allocations: d.allocations.map((a) => ({
      id: a.id,
      paymentId: a.payment_id,
      amount: money(a.amount),
      date: a.date,
      reference: a.reference,
    })),
    writeOffs: d.writeOffs.map((w) => ({
      id: w.id,
      date: w.date,
      amount: money(w.amount),
      reason: w.reason,
      // Set when this is a credit note applied to an invoice (or the invoice it was applied to).
      appliedDocument: w.applied_id === null ? null : { id: w.applied_id, number: w.applied_number, kind: w.applied_kind },
    })),
    disputes: d.disputes.map((x) => ({
      id: x.id,
      reason: x.reason,
      status: x.status,
      openedAt: x.opened_at,
      resolvedAt: x.resolved_at,
    })),
    hasOriginal: d.hasOriginal,
  };
}

export async function documentRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = app.store.db;

  r.get(
    "/api/documents",
    {
      schema: {
        tags: ["documents"],
        summary: "List invoices and credit notes (filters: status, customer, due-date range; keyset pagination)",
        querystring: z.object({
          status: z.enum(DOCUMENT_STATUSES).optional(),
          customerId: z.coerce.number().int().positive().optional(),
          dueFrom: IsoDateSchema.optional(),
          dueTo: IsoDateSchema.optional(),
          q: z.string().max(100).optional(),
          sort: z.enum(DOCUMENT_SORTS).optional(),
          dir: z.enum(["asc", "desc"]).optional(),
          cursor: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          asOf: IsoDateSchema.optional(),
        }),
      },
    },
    async (request) => {
      const page = await listDocuments(db, actorOf(request), request.query);
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    },
  );

  r.get(
    "/api/documents/:id",
    { schema: { tags: ["documents"], summary: "A document with its allocations, write-offs and disputes", params: IdParam } },
    async (request) => {
      return presentDetail(await getDocument(db, actorOf(request), request.params.id));
    },
  );

  r.post(
    "/api/documents/:id/credit-applications",
    {
      schema: {
        tags: ["documents"],
        summary: "Apply a credit note (:id) to an invoice of the same customer",
        description:
          "Without an amount, applies all it can (the smaller of the credit left and what the invoice owes). Dated today (Europe/Paris) unless `date` is given; never before either document.",
        params: IdParam,
        body: z.object({ invoiceId: z.number().int().positive(), amount: MoneyIn.nullish(), date: IsoDateSchema.nullish() }),
      },
    },
    async (request, reply) => {
      const actor = actorOf(request, "ledger:write");
      await applyCreditNote(db, actor, request.params.id, request.body);
      return reply.status(201).send(presentDetail(await getDocument(db, actor, request.params.id)));
    },
  );

  r.delete(
    "/api/documents/:id/credit-applications",
    {
      schema: {
        tags: ["documents"],
        summary: "Undo the application of a credit note (:id) to an invoice",
        params: IdParam,
        querystring: z.object({ invoiceId: z.coerce.number().int().positive() }),
      },
    },
    async (request) => {
      const actor = actorOf(request, "ledger:write");
      await unapplyCreditNote(db, actor, request.params.id, request.query.invoiceId);
      return presentDetail(await getDocument(db, actor, request.params.id));
    },
  );

  r.get(
    "/api/documents/:id/original",
    {
      schema: {
        tags: ["documents"],
        summary: "The original e-invoice file kept at import (Factur-X PDF, UBL or CII XML); 404 when there is none",
        params: IdParam,
      },
    },
    async (request, reply) => {
      const f = await getDocumentOriginal(db, actorOf(request), request.params.id);
      // A PDF opens in the browser; XML is downloaded (never rendered on our origin).
      const pdf = f.mediaType === "application/pdf";
      return reply
        .type(f.mediaType)
        .header("content-disposition", contentDisposition(pdf ? "inline" : "attachment", f.filename))
        .header("x-content-type-options", "nosniff")
        .header("etag", `"${f.sha256}"`)
        .send(f.bytes);
    },
  );

  r.post(
    "/api/documents",
    { schema: { tags: ["documents"], summary: "Enter an invoice or credit note by hand", body: DocumentBody } },
    async (request, reply) => {
      const actor = actorOf(request, "ledger:write");
      const id = await createDocument(db, actor, request.body);
      return reply.status(201).send(present((await getDocument(db, actor, id)).document));
    },
  );

  r.patch(
    "/api/documents/:id",
    {
      schema: {
        tags: ["documents"],
        summary: "Correct a document entered by hand",
        params: IdParam,
        body: DocumentBody.omit({ customerId: true, kind: true }).partial(),
      },
    },
    async (request) => {
      const actor = actorOf(request, "ledger:write");
      await updateDocument(db, actor, request.params.id, request.body);
      return present((await getDocument(db, actor, request.params.id)).document);
    },
  );
}
