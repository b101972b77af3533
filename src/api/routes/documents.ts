import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  createDocument,
  DOCUMENT_SORTS,
  DOCUMENT_STATUSES,
  type DocumentListItem,
  getDocument,
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
      const d = await getDocument(db, actorOf(request), request.params.id);
      return {
        ...present(d.document),
        allocations: d.allocations.map((a) => ({
          id: a.id,
          paymentId: a.payment_id,
          amount: money(a.amount),
          date: a.date,
          reference: a.reference,
        })),
        writeOffs: d.writeOffs.map((w) => ({ id: w.id, date: w.date, amount: money(w.amount), reason: w.reason })),
        disputes: d.disputes.map((x) => ({
          id: x.id,
          reason: x.reason,
          status: x.status,
          openedAt: x.opened_at,
          resolvedAt: x.resolved_at,
        })),
      };
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
