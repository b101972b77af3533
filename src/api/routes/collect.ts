import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { toDecimalString } from "../../domain/money.js";
import {
  addNote,
  CALL_OUTCOMES,
  completeTask,
  createPromise,
  createTask,
  getTimeline,
  listDisputes,
  listNotes,
  listPromises,
  listTasks,
  openDispute,
  pauseCustomer,
  resolveDispute,
  resumeCustomer,
  setPromiseStatus,
} from "../../services/collect.js";
import { remindNow } from "../../services/dunning-messages.js";
import { actorOf } from "../auth.js";
import { IdParam, IsoDateSchema, MoneyIn, money } from "../schemas.js";

const TaskKind = z.enum(["call", "follow_up", "letter", "other"]);

function presentTask(t: {
  id: number;
  customer_id: number | null;
  document_id: number | null;
  kind: string;
  title: string;
  due_date: string | null;
  assigned_user_id: number | null;
  status: string;
  result: string | null;
  created_at: Date;
  completed_at: Date | null;
  customer_ref?: string | null;
  customer_name?: string | null;
}) {
  return {
    id: t.id,
    customer: t.customer_id === null ? null : { id: t.customer_id, ref: t.customer_ref ?? null, name: t.customer_name ?? null },
    documentId: t.document_id,
    kind: t.kind,
    title: t.title,
    dueDate: t.due_date,
    assignedUserId: t.assigned_user_id,
    status: t.status,
    result: t.result,
    createdAt: t.created_at,
    completedAt: t.completed_at,
  };
}

function presentPromise(p: {
  id: number;
  customer_id: number;
  amount: number;
  promised_date: string;
  status: string;
  note: string | null;
  created_at: Date;
  customer_ref?: string;
  customer_name?: string;
}) {
  return {
    id: p.id,
    customerId: p.customer_id,
    customer: p.customer_ref ? { id: p.customer_id, ref: p.customer_ref, name: p.customer_name } : undefined,
    amount: toDecimalString(p.amount),
    promisedDate: p.promised_date,
    status: p.status,
    note: p.note,
    createdAt: p.created_at,
  };
}

function presentDispute(d: {
  id: number;
  document_id: number;
  reason: string;
  status: string;
  opened_at: string;
  resolved_at: string | null;
  number?: string;
  customer_id?: number;
}) {
  return {
    id: d.id,
    documentId: d.document_id,
    number: d.number,
    customerId: d.customer_id,
    reason: d.reason,
    status: d.status,
    openedAt: d.opened_at,
    resolvedAt: d.resolved_at,
  };
}

export async function collectRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const store = app.store;
  const db = store.db;
  const tags = ["collect"];

  // ---------------------------------------------------------------- timeline and notes

  r.get(
    "/api/customers/:id/timeline",
    {
      schema: {
        tags,
        summary: "The customer's timeline: reminders, calls, promises, disputes, notes and payments, newest first",
        params: IdParam,
        querystring: z.object({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(200).optional() }),
      },
    },
    async (request) => {
      const page = await getTimeline(db, actorOf(request), request.params.id, request.query);
      return {
        items: page.items.map((i) => ({
          ...i,
          data: i.type === "payment" ? { ...i.data, amount: money(Number(i.data.amount)) } : i.data,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  r.get("/api/customers/:id/notes", { schema: { tags, summary: "Notes on a customer", params: IdParam } }, async (request) => ({
    items: (await listNotes(db, actorOf(request), request.params.id)).map((n) => ({
      id: n.id,
      documentId: n.document_id,
      authorUserId: n.author_user_id,
      body: n.body,
      createdAt: n.created_at,
    })),
    nextCursor: null,
  }));

  r.post(
    "/api/customers/:id/notes",
    {
      schema: {
        tags,
        summary: "Add a note to a customer (or one of its documents)",
        params: IdParam,
        body: z.object({ body: z.string().trim().min(1).max(10_000), documentId: z.number().int().positive().nullish() }),
      },
    },
    async (request, reply) => {
      const n = await addNote(db, actorOf(request, "collect:write"), request.params.id, request.body);
      return reply.status(201).send({ id: n.id, documentId: n.document_id, body: n.body, createdAt: n.created_at });
    },
  );

  // ---------------------------------------------------------------- tasks

  r.get(
    "/api/tasks",
    {
      schema: {
        tags,
        summary: "Tasks (calls, letters to post, follow-ups), newest first",
        querystring: z.object({
          status: z.enum(["open", "done", "cancelled"]).optional(),
          customerId: z.coerce.number().int().positive().optional(),
          assigned: z.union([z.literal("me"), z.coerce.number().int().positive()]).optional(),
          kind: TaskKind.optional(),
          cursor: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(200).optional(),
        }),
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { assigned, ...q } = request.query;
      const page = await listTasks(db, actor, { ...q, assignedUserId: assigned === "me" ? (actor.userId ?? -1) : assigned });
      return { items: page.items.map(presentTask), nextCursor: page.nextCursor };
    },
  );

  r.post(
    "/api/tasks",
    {
      schema: {
        tags,
        summary: "Create a task (default assignee: the customer's collector)",
        body: z.object({
          customerId: z.number().int().positive(),
          documentId: z.number().int().positive().nullish(),
          kind: TaskKind.optional(),
          title: z.string().trim().min(1).max(300),
          dueDate: IsoDateSchema.nullish(),
          assignedUserId: z.number().int().positive().nullish(),
        }),
      },
    },
    async (request, reply) => reply.status(201).send(presentTask(await createTask(db, actorOf(request, "collect:write"), request.body))),
  );

  r.post(
    "/api/tasks/:id/complete",
    {
      schema: {
        tags,
        summary: "Complete a task; for a call, its outcome and result go on the timeline",
        params: IdParam,
        body: z.object({
          outcome: z.enum(CALL_OUTCOMES).optional(),
          result: z.string().max(5000).optional(),
          cancel: z.boolean().optional(),
        }),
      },
    },
    async (request) => presentTask(await completeTask(db, actorOf(request, "collect:write"), request.params.id, request.body)),
  );

  // ---------------------------------------------------------------- promises

  r.get(
    "/api/promises",
    {
      schema: {
        tags,
        summary: "Promises to pay",
        querystring: z.object({
          customerId: z.coerce.number().int().positive().optional(),
          status: z.enum(["pending", "kept", "broken", "cancelled"]).optional(),
        }),
      },
    },
    async (request) => ({ items: (await listPromises(db, actorOf(request), request.query)).map(presentPromise), nextCursor: null }),
  );

  r.post(
    "/api/customers/:id/promises",
    {
      schema: {
        tags,
        summary: "Record a promise to pay: the chase pauses until its date",
        params: IdParam,
        body: z.object({ amount: MoneyIn, promisedDate: IsoDateSchema, note: z.string().max(2000).nullish() }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(presentPromise(await createPromise(db, actorOf(request, "collect:write"), request.params.id, request.body))),
  );

  r.post(
    "/api/promises/:id/status",
    {
      schema: {
        tags,
        summary: "Mark a promise kept, broken (the chase resumes) or cancelled",
        params: IdParam,
        body: z.object({ status: z.enum(["kept", "broken", "cancelled"]) }),
      },
    },
    async (request) =>
      presentPromise(await setPromiseStatus(db, actorOf(request, "collect:write"), request.params.id, request.body.status)),
  );

  // ---------------------------------------------------------------- disputes

  r.get(
    "/api/disputes",
    {
      schema: {
        tags,
        summary: "Disputes",
        querystring: z.object({
          status: z.enum(["open", "resolved", "rejected"]).optional(),
          customerId: z.coerce.number().int().positive().optional(),
        }),
      },
    },
    async (request) => ({ items: (await listDisputes(db, actorOf(request), request.query)).map(presentDispute), nextCursor: null }),
  );

  r.post(
    "/api/documents/:id/disputes",
    {
      schema: {
        tags,
        summary: "Open a dispute on a document: it is no longer chased",
        params: IdParam,
        body: z.object({ reason: z.string().trim().min(1).max(2000), date: IsoDateSchema.optional() }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(presentDispute(await openDispute(db, actorOf(request, "collect:write"), request.params.id, request.body))),
  );

  r.post(
    "/api/disputes/:id/resolve",
    {
      schema: {
        tags,
        summary: "Close a dispute (resolved or rejected): the document is chased again",
        params: IdParam,
        body: z.object({ status: z.enum(["resolved", "rejected"]), note: z.string().max(2000).optional(), date: IsoDateSchema.optional() }),
      },
    },
    async (request) => presentDispute(await resolveDispute(db, actorOf(request, "collect:write"), request.params.id, request.body)),
  );

  // ---------------------------------------------------------------- pause, resume, remind now

  r.post(
    "/api/customers/:id/pause",
    {
      schema: {
        tags,
        summary: "Pause the chase of a customer until a date, or mark it do-not-chase",
        params: IdParam,
        body: z.object({ until: IsoDateSchema.optional(), doNotChase: z.boolean().optional(), reason: z.string().max(1000).optional() }),
      },
    },
    async (request) => {
      const c = await pauseCustomer(db, actorOf(request, "collect:write"), request.params.id, request.body);
      return { id: c.id, status: c.status, onHoldUntil: c.on_hold_until };
    },
  );

  r.post("/api/customers/:id/resume", { schema: { tags, summary: "Resume the chase of a customer", params: IdParam } }, async (request) => {
    const c = await resumeCustomer(db, actorOf(request, "collect:write"), request.params.id);
    return { id: c.id, status: c.status, onHoldUntil: c.on_hold_until };
  });

  r.post(
    "/api/customers/:id/remind",
    {
      schema: {
        tags,
        summary: "Send a reminder now (default step: the most advanced one due); force overrides a pause",
        params: IdParam,
        body: z
          .object({ stepId: z.number().int().positive().optional(), asOf: IsoDateSchema.optional(), force: z.boolean().optional() })
          .optional(),
      },
    },
    async (request, reply) => {
      const res = await remindNow(store, actorOf(request, "collect:write"), request.params.id, request.body ?? {});
      const outcome = res.delivery?.outcomes.find((o) => o.outboxId === res.outboxId);
      return reply.status(201).send({ outboxId: res.outboxId, status: outcome?.status ?? "pending", error: outcome?.error ?? null });
    },
  );
}
