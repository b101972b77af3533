import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { allocatePayment, createPayment, getPayment, listPayments } from "../../services/payments.js";
import { actorOf } from "../auth.js";
import { BoolQuery, IdParam, IsoDateSchema, MoneyIn, money } from "../schemas.js";

function present(p: Awaited<ReturnType<typeof getPayment>>["payment"]) {
  return {
    id: p.id,
    customer: p.customer_id ? { id: p.customer_id, name: p.customer_name } : null,
    date: p.date,
    amount: money(p.amount),
    unallocated: money(p.unallocated),
    currency: p.currency,
    reference: p.reference,
    bankTxId: p.bank_tx_id,
    payerName: p.payer_name,
    source: p.source,
  };
}

export async function paymentRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = app.store.db;

  r.get(
    "/api/payments",
    {
      schema: {
        tags: ["payments"],
        summary: "List payments, newest first",
        querystring: z.object({
          customerId: z.coerce.number().int().positive().optional(),
          unallocated: BoolQuery.optional(),
          from: IsoDateSchema.optional(),
          to: IsoDateSchema.optional(),
          cursor: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
      },
    },
    async (request) => {
      const page = await listPayments(db, actorOf(request), request.query);
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    },
  );

  r.get(
    "/api/payments/:id",
    { schema: { tags: ["payments"], summary: "A payment and its allocations", params: IdParam } },
    async (request) => {
      const p = await getPayment(db, actorOf(request), request.params.id);
      return {
        ...present(p.payment),
        allocations: p.allocations.map((a) => ({
          id: a.id,
          documentId: a.document_id,
          number: a.number,
          amount: money(a.amount),
          date: a.date,
        })),
      };
    },
  );

  r.post(
    "/api/payments",
    {
      schema: {
        tags: ["payments"],
        summary: "Record a payment received",
        body: z.object({
          date: IsoDateSchema,
          amount: MoneyIn,
          customerId: z.number().int().positive().nullish(),
          currency: z
            .string()
            .regex(/^[A-Z]{3}$/)
            .optional(),
          reference: z.string().max(500).nullish(),
          payerName: z.string().max(200).nullish(),
        }),
      },
    },
    async (request, reply) => {
      const actor = actorOf(request, "ledger:write");
      const id = await createPayment(db, actor, request.body);
      return reply.status(201).send(present((await getPayment(db, actor, id)).payment));
    },
  );

  r.post(
    "/api/payments/:id/allocations",
    {
      schema: {
        tags: ["payments"],
        summary: "Allocate a payment to one or more invoices",
        params: IdParam,
        body: z.object({
          allocations: z
            .array(z.object({ documentId: z.number().int().positive(), amount: MoneyIn }))
            .min(1)
            .max(500),
        }),
      },
    },
    async (request, reply) => {
      const actor = actorOf(request, "ledger:write");
      await allocatePayment(db, actor, request.params.id, request.body.allocations);
      const p = await getPayment(db, actor, request.params.id);
      return reply.status(201).send({
        ...present(p.payment),
        allocations: p.allocations.map((a) => ({
          id: a.id,
          documentId: a.document_id,
          number: a.number,
          amount: money(a.amount),
          date: a.date,
        })),
      });
    },
  );
}
