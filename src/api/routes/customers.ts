import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { today } from "../../domain/dates.js";
import { formatRate, parseRatePercent } from "../../domain/penalties.js";
import { CUSTOMER_SORTS, createCustomer, getCustomer, listCustomers, updateCustomer } from "../../services/customers.js";
import { customerRisk } from "../../services/risk-snapshot.js";
import { actorOf } from "../auth.js";
import { BoolQuery, IdParam, IsoDateSchema, MoneyIn, money } from "../schemas.js";

/** A percentage in, "15.00" or 15 → 1500 basis points; out: "15.00". */
const PercentIn = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    const bp = parseRatePercent(v);
    if (bp > 0) return bp;
    ctx.addIssue({ code: "custom", message: "must be above 0 %" });
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
  return z.NEVER;
});

const CustomerBody = z.object({
  ref: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(200),
  siren: z
    .string()
    .regex(/^\d{9}$/, "9 digits")
    .nullish(),
  vatNumber: z.string().max(20).nullish(),
  email: z.string().email().nullish(),
  phone: z.string().max(40).nullish(),
  address: z.string().max(500).nullish(),
  language: z.enum(["fr", "en"]).optional(),
  paymentTermsDays: z.number().int().min(0).max(365).optional(),
  creditLimit: MoneyIn.nullish(),
  assignedUserId: z.number().int().positive().nullish(),
  status: z.enum(["active", "do_not_chase", "defaulted", "archived"]).optional(),
  /** Contractual late-payment rate in percent (null: the organisation's `penalties.contractual_rate`, else ECB + 10 points). */
  penaltyRate: PercentIn.nullish(),
});

function present(c: {
  id: number;
  ref: string;
  name: string;
  email: string | null;
  language: string;
  status: string;
  payment_terms_days: number;
  assigned_user_id: number | null;
  siren?: string | null;
  vat_number?: string | null;
  phone?: string | null;
  address?: string | null;
  credit_limit?: number | null;
  on_hold_until?: string | null;
  dunning_policy_id?: number | null;
  penalty_rate_bp?: number | null;
}) {
  return {
    id: c.id,
    ref: c.ref,
    name: c.name,
    siren: c.siren ?? null,
    vatNumber: c.vat_number ?? null,
    email: c.email,
    phone: c.phone ?? null,
    address: c.address ?? null,
    language: c.language,
    paymentTermsDays: c.payment_terms_days,
    creditLimit: money(c.credit_limit),
    assignedUserId: c.assigned_user_id,
    status: c.status,
    onHoldUntil: c.on_hold_until ?? null,
    dunningPolicyId: c.dunning_policy_id ?? null,
    penaltyRate: c.penalty_rate_bp == null ? null : formatRate(c.penalty_rate_bp),
  };
}

export async function customerRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = app.store.db;

  r.get(
    "/api/customers",
    {
      schema: {
        tags: ["customers"],
        summary: "List customers with their receivables (search, filters, keyset pagination)",
        querystring: z.object({
          q: z.string().max(200).optional(),
          sort: z.enum(CUSTOMER_SORTS).optional(),
          dir: z.enum(["asc", "desc"]).optional(),
          cursor: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(200).optional(),
          overdue: BoolQuery.optional(),
          disputed: BoolQuery.optional(),
          status: z.enum(["active", "do_not_chase", "defaulted", "archived"]).optional(),
          assigned: z.union([z.literal("me"), z.coerce.number().int().positive()]).optional(),
          risk: z.enum(["high", "rising"]).optional(),
          asOf: IsoDateSchema.optional(),
        }),
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { assigned, ...query } = request.query;
      const page = await listCustomers(db, actor, {
        ...query,
        assignedUserId: assigned === "me" ? (actor.userId ?? -1) : assigned,
      });
      return {
        items: page.items.map((c) => ({
          id: c.id,
          ref: c.ref,
          name: c.name,
          email: c.email,
          language: c.language,
          status: c.status,
          paymentTermsDays: c.paymentTermsDays,
          assignedUserId: c.assignedUserId,
          outstanding: money(c.outstanding),
          overdue: money(c.overdue),
          openDocuments: c.openDocuments,
          risk: c.risk,
          riskRose: c.riskRose,
        })),
        nextCursor: page.nextCursor,
        riskAsOf: page.riskAsOf,
      };
    },
  );

  r.get(
    "/api/customers/:id",
    {
      schema: {
        tags: ["customers"],
        summary: "A customer with outstanding, overdue, last payment and contacts",
        params: IdParam,
        querystring: z.object({ asOf: IsoDateSchema.optional() }),
      },
    },
    async (request) => {
      const d = await getCustomer(db, actorOf(request), request.params.id, request.query.asOf);
      return {
        ...present(d.customer),
        outstanding: money(d.outstanding),
        overdue: money(d.overdue),
        openDocuments: d.openDocuments,
        lastPayment: d.lastPayment
          ? { id: d.lastPayment.id, date: d.lastPayment.date, amount: money(d.lastPayment.amount), reference: d.lastPayment.reference }
          : null,
        contacts: d.contacts.map((c) => ({
          id: c.id,
          name: c.name,
          email: c.email,
          phone: c.phone,
          jobTitle: c.job_title,
          isPrimary: c.is_primary,
        })),
      };
    },
  );

  r.get(
    "/api/customers/:id/risk",
    {
      schema: {
        tags: ["customers"],
        summary: "A customer's risk score (0–100) with the factors behind it, and its change over 30 days",
        params: IdParam,
        querystring: z.object({ asOf: IsoDateSchema.optional() }),
      },
    },
    async (request) => {
      const r = await customerRisk(db, actorOf(request), request.params.id, request.query.asOf ?? today());
      return { ...r, computedAt: r.computedAt.toISOString() };
    },
  );

  r.post(
    "/api/customers",
    { schema: { tags: ["customers"], summary: "Create a customer", body: CustomerBody } },
    async (request, reply) => {
      const { penaltyRate, ...body } = request.body;
      const row = await createCustomer(db, actorOf(request, "customers:write"), { ...body, penaltyRateBp: penaltyRate });
      return reply.status(201).send(present(row));
    },
  );

  r.patch(
    "/api/customers/:id",
    { schema: { tags: ["customers"], summary: "Update a customer", params: IdParam, body: CustomerBody.partial() } },
    async (request) => {
      const { penaltyRate, ...body } = request.body;
      return present(
        await updateCustomer(db, actorOf(request, "customers:write"), request.params.id, { ...body, penaltyRateBp: penaltyRate }),
      );
    },
  );
}
