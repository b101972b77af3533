/**
 * Collection work on a customer: notes, tasks (calls and their result), promises to pay,
 * disputes on documents, pausing and resuming the chase, and the customer timeline.
 * Every write runs in one transaction with its audit row and its timeline activity.
 */
import { sql } from "kysely";
import { today } from "../domain/dates.js";
import { recordActivity } from "../dunning/activities.js";
import { chaseDb } from "../dunning/schema.js";
import { conflict, invalid, notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";
import { decodeCursor, encodeCursor, type Page } from "./pagination.js";

async function customerOf(db: Db, actor: Actor, customerId: number) {
  const c = await chaseDb(db)
    .selectFrom("customers")
    .select(["id", "status", "on_hold_until", "assigned_user_id"])
    .where("org_id", "=", actor.orgId)
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!c) throw notFound("customer");
  return c;
}

async function documentOf(db: Db, actor: Actor, documentId: number, customerId?: number) {
  let q = db
    .selectFrom("documents")
    .select(["id", "customer_id", "number", "kind"])
    .where("org_id", "=", actor.orgId)
    .where("id", "=", documentId);
  if (customerId !== undefined) q = q.where("customer_id", "=", customerId);
  const d = await q.executeTakeFirst();
  if (!d) throw notFound("document");
  return d;
}

async function checkMember(db: Db, actor: Actor, userId: number | null | undefined) {
  if (userId === null || userId === undefined) return;
  const m = await db
    .selectFrom("memberships")
    .select("user_id")
    .where("org_id", "=", actor.orgId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!m) throw notFound("user");
}

// ------------------------------------------------------------------ notes

export async function addNote(db: Db, actor: Actor, customerId: number, input: { body: string; documentId?: number | null }) {
  requirePermission(actor, "collect:write");
  await customerOf(db, actor, customerId);
  if (input.documentId) await documentOf(db, actor, input.documentId, customerId);
  return db.transaction().execute(async (trx) => {
    const note = await trx
      .insertInto("notes")
      .values({
        org_id: actor.orgId,
        customer_id: customerId,
        document_id: input.documentId ?? null,
        author_user_id: actor.userId,
        body: input.body,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actor, "create", "note", note.id, { customerId });
    await recordActivity(trx, actor.orgId, {
      customerId,
      documentId: input.documentId,
      kind: "note",
      actor,
      data: { noteId: note.id, body: input.body },
    });
    return note;
  });
}

export async function listNotes(db: Db, actor: Actor, customerId: number) {
  requirePermission(actor, "read");
  await customerOf(db, actor, customerId);
  return db
    .selectFrom("notes")
    .selectAll()
    .where("org_id", "=", actor.orgId)
    .where("customer_id", "=", customerId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(500)
    .execute();
}

// ------------------------------------------------------------------ tasks

export type TaskKind = "call" | "follow_up" | "letter" | "other";
export const CALL_OUTCOMES = ["reached", "no_answer", "left_message", "wrong_number", "promise", "dispute", "other"] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export async function createTask(
  db: Db,
  actor: Actor,
  input: {
    customerId: number;
    documentId?: number | null;
    kind?: TaskKind;
    title: string;
    dueDate?: string | null;
    assignedUserId?: number | null;
  },
) {
  requirePermission(actor, "collect:write");
  const customer = await customerOf(db, actor, input.customerId);
  if (input.documentId) await documentOf(db, actor, input.documentId, input.customerId);
  await checkMember(db, actor, input.assignedUserId);
  return db.transaction().execute(async (trx) => {
    const task = await trx
      .insertInto("tasks")
      .values({
        org_id: actor.orgId,
        customer_id: input.customerId,
        document_id: input.documentId ?? null,
        kind: input.kind ?? "follow_up",
        title: input.title,
        due_date: input.dueDate ?? null,
        assigned_user_id: input.assignedUserId === undefined ? customer.assigned_user_id : input.assignedUserId,
        created_by: actor.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actor, "create", "task", task.id, { customerId: input.customerId, kind: task.kind });
    await recordActivity(trx, actor.orgId, {
      customerId: input.customerId,
      documentId: input.documentId,
      kind: "task",
      actor,
      data: { taskId: task.id, kind: task.kind, title: task.title, dueDate: task.due_date },
    });
    return task;
  });
}

export async function listTasks(
  db: Db,
  actor: Actor,
  query: {
    status?: "open" | "done" | "cancelled";
    customerId?: number;
    assignedUserId?: number;
    kind?: TaskKind;
    cursor?: string;
    limit?: number;
  },
) {
  requirePermission(actor, "read");
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  let q = db
    .selectFrom("tasks as t")
    .leftJoin("customers as c", (j) => j.onRef("c.org_id", "=", "t.org_id").onRef("c.id", "=", "t.customer_id"))
    .selectAll("t")
    .select(["c.ref as customer_ref", "c.name as customer_name"])
    .where("t.org_id", "=", actor.orgId);
  if (query.status) q = q.where("t.status", "=", query.status);
  if (query.customerId !== undefined) q = q.where("t.customer_id", "=", query.customerId);
  if (query.assignedUserId !== undefined) q = q.where("t.assigned_user_id", "=", query.assignedUserId);
  if (query.kind) q = q.where("t.kind", "=", query.kind);
  if (query.cursor) q = q.where("t.id", "<", decodeCursor(query.cursor).id);
  const rows = await q
    .orderBy("t.id", "desc")
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(null, last.id) : null };
}

/** Completes a task; a call's outcome and result land on the timeline as a "call" activity. */
export async function completeTask(db: Db, actor: Actor, id: number, input: { result?: string; outcome?: CallOutcome; cancel?: boolean }) {
  requirePermission(actor, "collect:write");
  return db.transaction().execute(async (trx) => {
    const task = await trx
      .selectFrom("tasks")
      .selectAll()
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!task) throw notFound("task");
    if (task.status !== "open") throw conflict(`task ${id} is already ${task.status}`);
    const result = [input.outcome, input.result].filter(Boolean).join(": ") || null;
    const updated = await trx
      .updateTable("tasks")
      .set({ status: input.cancel ? "cancelled" : "done", result, completed_at: new Date() })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actor, input.cancel ? "cancel" : "complete", "task", id, { outcome: input.outcome ?? null });
    if (task.customer_id !== null) {
      await recordActivity(trx, actor.orgId, {
        customerId: task.customer_id,
        documentId: task.document_id,
        kind: task.kind === "call" && !input.cancel ? "call" : "task_done",
        actor,
        data: {
          taskId: id,
          title: task.title,
          outcome: input.outcome ?? null,
          result: input.result ?? null,
          cancelled: Boolean(input.cancel),
        },
      });
    }
    return updated;
  });
}

// ------------------------------------------------------------------ promises

export async function createPromise(
  db: Db,
  actor: Actor,
  customerId: number,
  input: { amount: number; promisedDate: string; note?: string | null },
) {
  requirePermission(actor, "collect:write");
  await customerOf(db, actor, customerId);
  if (input.amount <= 0) throw invalid("the promised amount must be positive", [{ field: "amount", message: "must be > 0" }]);
  return db.transaction().execute(async (trx) => {
    const p = await trx
      .insertInto("promises")
      .values({
        org_id: actor.orgId,
        customer_id: customerId,
        amount: input.amount,
        promised_date: input.promisedDate,
        note: input.note ?? null,
        created_by: actor.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actor, "create", "promise", p.id, { customerId, amount: input.amount, promisedDate: input.promisedDate });
    await recordActivity(trx, actor.orgId, {
      customerId,
      kind: "promise",
      actor,
      data: { promiseId: p.id, amount: input.amount, promisedDate: input.promisedDate, note: input.note ?? null },
    });
    return p;
  });
}

export async function listPromises(
  db: Db,
  actor: Actor,
  query: { customerId?: number; status?: "pending" | "kept" | "broken" | "cancelled" },
) {
  requirePermission(actor, "read");
  let q = db
    .selectFrom("promises as p")
    .innerJoin("customers as c", (j) => j.onRef("c.org_id", "=", "p.org_id").onRef("c.id", "=", "p.customer_id"))
    .selectAll("p")
    .select(["c.ref as customer_ref", "c.name as customer_name"])
    .where("p.org_id", "=", actor.orgId);
  if (query.customerId !== undefined) q = q.where("p.customer_id", "=", query.customerId);
  if (query.status) q = q.where("p.status", "=", query.status);
  return q.orderBy("p.promised_date", "desc").orderBy("p.id", "desc").limit(500).execute();
}

export async function setPromiseStatus(db: Db, actor: Actor, id: number, status: "kept" | "broken" | "cancelled") {
  requirePermission(actor, "collect:write");
  return db.transaction().execute(async (trx) => {
    const p = await trx
      .selectFrom("promises")
      .selectAll()
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!p) throw notFound("promise");
    if (p.status !== "pending") throw conflict(`promise ${id} is already ${p.status}`);
    const updated = await trx
      .updateTable("promises")
      .set({ status })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actor, "update", "promise", id, { status });
    await recordActivity(trx, actor.orgId, {
      customerId: p.customer_id,
      kind: status === "kept" ? "promise_kept" : status === "broken" ? "promise_broken" : "note",
      actor,
      data: { promiseId: id, status, amount: p.amount, promisedDate: p.promised_date },
    });
    return updated;
  });
}

// ------------------------------------------------------------------ disputes

export async function openDispute(db: Db, actor: Actor, documentId: number, input: { reason: string; date?: string }) {
  requirePermission(actor, "collect:write");
  const doc = await documentOf(db, actor, documentId);
  return db.transaction().execute(async (trx) => {
    const d = await trx
      .insertInto("disputes")
      .values({
        org_id: actor.orgId,
        document_id: documentId,
        reason: input.reason,
        opened_at: input.date ?? today(),
        created_by: actor.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable("documents")
      .set({ disputed: true, updated_at: new Date() })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", documentId)
      .execute();
    await audit(trx, actor, "create", "dispute", d.id, { documentId, reason: input.reason });
    await recordActivity(trx, actor.orgId, {
      customerId: doc.customer_id,
      documentId,
      kind: "dispute_opened",
      actor,
      data: { disputeId: d.id, number: doc.number, reason: input.reason },
    });
    return d;
  });
}

export async function resolveDispute(
  db: Db,
  actor: Actor,
  id: number,
  input: { status: "resolved" | "rejected"; note?: string; date?: string },
) {
  requirePermission(actor, "collect:write");
  return db.transaction().execute(async (trx) => {
    const d = await trx
      .selectFrom("disputes")
      .selectAll()
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!d) throw notFound("dispute");
    if (d.status !== "open") throw conflict(`dispute ${id} is already ${d.status}`);
    const updated = await trx
      .updateTable("disputes")
      .set({ status: input.status, resolved_at: input.date ?? today() })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const others = await trx
      .selectFrom("disputes")
      .select("id")
      .where("org_id", "=", actor.orgId)
      .where("document_id", "=", d.document_id)
      .where("status", "=", "open")
      .executeTakeFirst();
    const doc = await trx
      .updateTable("documents")
      .set({ disputed: Boolean(others), updated_at: new Date() })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", d.document_id)
      .returning(["customer_id", "number"])
      .executeTakeFirstOrThrow();
    await audit(trx, actor, "resolve", "dispute", id, { status: input.status, note: input.note ?? null });
    await recordActivity(trx, actor.orgId, {
      customerId: doc.customer_id,
      documentId: d.document_id,
      kind: "dispute_resolved",
      actor,
      data: { disputeId: id, number: doc.number, status: input.status, note: input.note ?? null },
    });
    return updated;
  });
}

export async function listDisputes(db: Db, actor: Actor, query: { status?: "open" | "resolved" | "rejected"; customerId?: number }) {
  requirePermission(actor, "read");
  let q = db
    .selectFrom("disputes as x")
    .innerJoin("documents as d", (j) => j.onRef("d.org_id", "=", "x.org_id").onRef("d.id", "=", "x.document_id"))
    .selectAll("x")
    .select(["d.number", "d.customer_id"])
    .where("x.org_id", "=", actor.orgId);
  if (query.status) q = q.where("x.status", "=", query.status);
  if (query.customerId !== undefined) q = q.where("d.customer_id", "=", query.customerId);
  return q.orderBy("x.id", "desc").limit(500).execute();
}

// ------------------------------------------------------------------ pause / resume

/** Pauses the chase: until a date (on hold), or indefinitely (status do_not_chase). */
export async function pauseCustomer(
  db: Db,
  actor: Actor,
  customerId: number,
  input: { until?: string; doNotChase?: boolean; reason?: string },
) {
  requirePermission(actor, "collect:write");
  if (!input.until && !input.doNotChase)
    throw invalid("give a date (until) or doNotChase", [{ field: "until", message: "required unless doNotChase" }]);
  await customerOf(db, actor, customerId);
  return db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    const row = await trx
      .updateTable("customers")
      .set({
        ...(input.until ? { on_hold_until: input.until } : {}),
        ...(input.doNotChase ? { status: "do_not_chase" as const } : {}),
        updated_at: new Date(),
      })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", customerId)
      .returning(["id", "status", "on_hold_until"])
      .executeTakeFirstOrThrow();
    await audit(raw, actor, "pause", "customer", customerId, {
      until: input.until ?? null,
      doNotChase: Boolean(input.doNotChase),
      reason: input.reason ?? null,
    });
    await recordActivity(raw, actor.orgId, {
      customerId,
      kind: "paused",
      actor,
      data: { until: input.until ?? null, doNotChase: Boolean(input.doNotChase), reason: input.reason ?? null },
    });
    return row;
  });
}

export async function resumeCustomer(db: Db, actor: Actor, customerId: number) {
  requirePermission(actor, "collect:write");
  const before = await customerOf(db, actor, customerId);
  return db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    const row = await trx
      .updateTable("customers")
      .set({ on_hold_until: null, ...(before.status === "do_not_chase" ? { status: "active" as const } : {}), updated_at: new Date() })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", customerId)
      .returning(["id", "status", "on_hold_until"])
      .executeTakeFirstOrThrow();
    await audit(raw, actor, "resume", "customer", customerId, { before: { status: before.status, onHoldUntil: before.on_hold_until } });
    await recordActivity(raw, actor.orgId, {
      customerId,
      kind: "resumed",
      actor,
      data: { before: { status: before.status, onHoldUntil: before.on_hold_until } },
    });
    return row;
  });
}

// ------------------------------------------------------------------ timeline

export interface TimelineItem {
  type: "activity" | "note" | "payment";
  id: number;
  kind: string;
  at: Date;
  actor: string;
  documentId: number | null;
  data: Record<string, unknown>;
}

/**
 * The customer's timeline, newest first: activities (reminders, calls, promises, disputes,
 * notes…), notes written elsewhere (imports) and payments received. Keyset on (at, type, id).
 */
export async function getTimeline(
  db: Db,
  actor: Actor,
  customerId: number,
  query: { cursor?: string; limit?: number } = {},
): Promise<Page<TimelineItem>> {
  requirePermission(actor, "read");
  await customerOf(db, actor, customerId);
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  let after = sql`true`;
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    const [at, type] = String(c.value).split("|");
    if (!at || !type || Number.isNaN(Date.parse(at)))
      throw invalid("invalid cursor", [{ field: "cursor", message: "use the nextCursor of a previous page" }]);
    after = sql`(t.at, t.type, t.id) < (${at}::timestamptz, ${type}, ${c.id})`;
  }
  const rows = await sql<TimelineItem & { at: Date | string; at_key: string }>`
    select t.*, to_char(t.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at_key from (
      select 'activity'::text as type, a.id, a.kind, a.at, a.actor, a.document_id as "documentId", a.data
      from activities a where a.org_id = ${actor.orgId} and a.customer_id = ${customerId}
      union all
      select 'note', n.id, 'note', n.created_at, coalesce(u.email, ''), n.document_id, jsonb_build_object('noteId', n.id, 'body', n.body)
      from notes n left join users u on u.id = n.author_user_id
      where n.org_id = ${actor.orgId} and n.customer_id = ${customerId}
        and not exists (select 1 from activities a where a.org_id = n.org_id and a.customer_id = n.customer_id
                        and a.kind = 'note' and a.data->>'noteId' = n.id::text)
      union all
      select 'payment', p.id, 'payment', (p.date::timestamp at time zone 'Europe/Paris'), '', null,
        jsonb_build_object('amount', p.amount, 'date', p.date, 'reference', p.reference, 'currency', p.currency)
      from payments p where p.org_id = ${actor.orgId} and p.customer_id = ${customerId}
    ) t
    where ${after}
    order by t.at desc, t.type desc, t.id desc
    limit ${limit + 1}`.execute(db);
  const page = rows.rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ at_key: _, ...r }) => ({ ...r, at: new Date(r.at) })),
    // Microsecond key: two events in the same millisecond are neither skipped nor repeated.
    nextCursor: rows.rows.length > limit && last ? encodeCursor(`${last.at_key}|${last.type}`, last.id) : null,
  };
}
