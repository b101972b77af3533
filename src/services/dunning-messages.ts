/**
 * The outbox seen by users: the log of messages (with their content), the approval queue
 * (steps that require a human approval), previews of any step for any customer, and
 * "send a reminder now".
 */
import { sql } from "kysely";
import { today } from "../domain/dates.js";
import { customerPause } from "../domain/dunning-plan.js";
import { recordActivity } from "../dunning/activities.js";
import type { Lang } from "../dunning/format.js";
import { loadStep, renderMessage } from "../dunning/render.js";
import { chaseDb, type OutboxStatus } from "../dunning/schema.js";
import { type DeliveryReport, deliverDue } from "../dunning/worker.js";
import { conflict, invalid, notFound } from "../errors.js";
import type { Db, Store } from "../store/connect.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";
import { ensureShippedPolicies, loadPolicies } from "./dunning-policies.js";
import { decodeCursor, encodeCursor, type Page } from "./pagination.js";

export interface MessageListQuery {
  status?: OutboxStatus;
  customerId?: number;
  channel?: "email" | "letter" | "call" | "webhook";
  cursor?: string;
  limit?: number;
}

export interface MessageView {
  id: number;
  customer: { id: number; ref: string; name: string };
  stepId: number | null;
  step: string | null;
  channel: string;
  origin: string;
  status: OutboxStatus;
  asOf: string;
  attempts: number;
  messageId: string | null;
  subject: string | null;
  to: string[];
  documents: string[];
  total: string | null;
  lastError: string | null;
  hasAttachment: boolean;
  attachmentName: string | null;
  createdAt: Date;
  sentAt: Date | null;
  text?: string | null;
  warnings?: string[];
}

function baseQuery(db: Db, orgId: number) {
  return chaseDb(db)
    .selectFrom("outbox as o")
    .innerJoin("customers as c", (j) => j.onRef("c.org_id", "=", "o.org_id").onRef("c.id", "=", "o.customer_id"))
    .select([
      "o.id",
      "o.customer_id",
      "c.ref as customer_ref",
      "c.name as customer_name",
      "o.step_id",
      "o.channel",
      "o.origin",
      "o.status",
      sql<string>`o.as_of::text`.as("as_of"),
      "o.attempts",
      "o.message_id",
      "o.payload",
      "o.last_error",
      sql<boolean>`o.attachment is not null`.as("has_attachment"),
      "o.attachment_name",
      "o.created_at",
      "o.sent_at",
    ])
    .where("o.org_id", "=", orgId);
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>["execute"]>>[number];

function view(r: Row, withContent: boolean): MessageView {
  const p = r.payload as {
    step?: string;
    subject?: string;
    to?: string[];
    documents?: string[];
    total?: string;
    text?: string;
    warnings?: string[];
  };
  return {
    id: r.id,
    customer: { id: r.customer_id, ref: r.customer_ref, name: r.customer_name },
    stepId: r.step_id,
    step: p.step ?? null,
    channel: r.channel,
    origin: r.origin,
    status: r.status,
    asOf: r.as_of,
    attempts: r.attempts,
    messageId: r.message_id,
    subject: p.subject ?? null,
    to: p.to ?? [],
    documents: p.documents ?? [],
    total: p.total ?? null,
    lastError: r.last_error,
    hasAttachment: r.has_attachment,
    attachmentName: r.attachment_name,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    ...(withContent ? { text: p.text ?? null, warnings: p.warnings ?? [] } : {}),
  };
}

/** The message log, newest first (keyset on id). */
export async function listMessages(db: Db, actor: Actor, query: MessageListQuery): Promise<Page<MessageView>> {
  requirePermission(actor, "read");
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  let q = baseQuery(db, actor.orgId);
  if (query.status) q = q.where("o.status", "=", query.status);
  if (query.customerId !== undefined) q = q.where("o.customer_id", "=", query.customerId);
  if (query.channel) q = q.where("o.channel", "=", query.channel);
  if (query.cursor) q = q.where("o.id", "<", decodeCursor(query.cursor).id);
  const rows = await q
    .orderBy("o.id", "desc")
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map((r) => view(r, true)), nextCursor: rows.length > limit && last ? encodeCursor(null, last.id) : null };
}

export async function getMessage(db: Db, actor: Actor, id: number): Promise<MessageView> {
  requirePermission(actor, "read");
  const r = await baseQuery(db, actor.orgId).where("o.id", "=", id).executeTakeFirst();
  if (!r) throw notFound("message");
  return view(r, true);
}

export async function getMessageAttachment(db: Db, actor: Actor, id: number): Promise<{ filename: string; content: Buffer }> {
  requirePermission(actor, "read");
  const r = await chaseDb(db)
    .selectFrom("outbox")
    .select(["attachment", "attachment_name"])
    .where("org_id", "=", actor.orgId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!r) throw notFound("message");
  if (!r.attachment) throw notFound("attachment");
  return { filename: r.attachment_name ?? `message-${id}.pdf`, content: r.attachment };
}

/** The approval queue, each message rendered as it would be sent. */
export async function listApprovals(
  db: Db,
  actor: Actor,
): Promise<(MessageView & { preview: { subject: string; text: string; to: string[] } | null; previewError?: string })[]> {
  requirePermission(actor, "read");
  const rows = await baseQuery(db, actor.orgId).where("o.status", "=", "awaiting_approval").orderBy("o.id").limit(200).execute();
  const out = [];
  for (const r of rows) {
    const v = view(r, false);
    try {
      if (r.step_id === null) throw new Error("the step of this message no longer exists");
      const step = await loadStep(db, actor.orgId, r.step_id);
      const m = await renderMessage(db, actor.orgId, {
        customerId: r.customer_id,
        step,
        documentIds: (r.payload as { documentIds?: number[] }).documentIds ?? [],
        asOf: r.as_of,
        attachments: false,
      });
      out.push({ ...v, preview: { subject: m.subject, text: m.text, to: m.data.recipients } });
    } catch (error) {
      out.push({ ...v, preview: null, previewError: (error as Error).message });
    }
  }
  return out;
}

/** Approves (→ pending, sent by the next delivery) or rejects (→ cancelled) a message awaiting approval. */
export async function decideApproval(db: Db, actor: Actor, id: number, decision: "approve" | "reject", reason?: string) {
  requirePermission(actor, "collect:write");
  return db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    const row = await trx
      .selectFrom("outbox")
      .select(["id", "customer_id", "status", "payload"])
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound("message");
    if (row.status !== "awaiting_approval") throw conflict(`message ${id} is ${row.status}, not awaiting approval`);
    const approve = decision === "approve";
    await trx
      .updateTable("outbox")
      .set({
        status: approve ? "pending" : "cancelled",
        next_attempt_at: new Date(),
        approved_by: actor.userId,
        last_error: approve ? null : `rejected${reason ? `: ${reason}` : ""}`,
        updated_at: new Date(),
      })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .execute();
    await trx
      .updateTable("dunning_events")
      .set(approve ? { status: "planned", updated_at: new Date() } : { status: "cancelled", reason: "rejected", updated_at: new Date() })
      .where("org_id", "=", actor.orgId)
      .where("outbox_id", "=", id)
      .execute();
    await audit(raw, actor, decision, "dunning_message", id, reason ? { reason } : {});
    await recordActivity(raw, actor.orgId, {
      customerId: row.customer_id,
      kind: "approval",
      actor,
      data: { outboxId: id, decision, reason: reason ?? null, step: (row.payload as { step?: string }).step ?? null },
    });
    return { id, status: approve ? ("pending" as const) : ("cancelled" as const) };
  });
}

export interface PreviewInput {
  customerId: number;
  stepId: number;
  lang?: Lang;
  asOf?: string;
  /** Documents to show; default every open invoice of the customer that is due (or all open ones for a step before the due date). */
  documentIds?: number[];
}

/** Renders any step for any customer (nothing written), with the letter PDF when the step makes one. */
export async function previewStep(db: Db, actor: Actor, input: PreviewInput) {
  requirePermission(actor, "read");
  await ensureShippedPolicies(db, actor.orgId);
  const step = await loadStep(db, actor.orgId, input.stepId);
  const customer = await db
    .selectFrom("customers")
    .select("id")
    .where("org_id", "=", actor.orgId)
    .where("id", "=", input.customerId)
    .executeTakeFirst();
  if (!customer) throw notFound("customer");
  if (input.documentIds?.length) {
    const found = await db
      .selectFrom("documents")
      .select("id")
      .where("org_id", "=", actor.orgId)
      .where("customer_id", "=", input.customerId)
      .where("id", "in", input.documentIds)
      .execute();
    if (found.length !== new Set(input.documentIds).size) throw notFound("document");
  }
  const m = await renderMessage(db, actor.orgId, {
    customerId: input.customerId,
    step,
    documentIds: input.documentIds?.length ? input.documentIds : null,
    asOf: input.asOf ?? today(),
    lang: input.lang,
  });
  return m;
}

/**
 * "Send a reminder now" for a customer: a message of the given step (default: the most
 * advanced step already due for its oldest overdue invoice, else the first step after the
 * due date) listing every overdue invoice still open and not disputed, delivered at once.
 * Its events are recorded, so the automatic run will not send that step again for those
 * invoices. A customer paused (do-not-chase, on hold, promise) needs `force`.
 */
export async function remindNow(
  store: Store,
  actor: Actor,
  customerId: number,
  input: { stepId?: number; asOf?: string; force?: boolean; deliver?: boolean },
): Promise<{ outboxId: number; delivery: DeliveryReport | null }> {
  requirePermission(actor, "collect:write");
  const db = store.db;
  const cdb = chaseDb(db);
  await ensureShippedPolicies(db, actor.orgId);
  const asOf = input.asOf ?? today();
  const customer = await cdb
    .selectFrom("customers")
    .select(["id", "status", "on_hold_until", "dunning_policy_id"])
    .where("org_id", "=", actor.orgId)
    .where("id", "=", customerId)
    .executeTakeFirst();
  if (!customer) throw notFound("customer");
  const promises = await db
    .selectFrom("promises")
    .select(["customer_id", "promised_date", "status"])
    .where("org_id", "=", actor.orgId)
    .where("customer_id", "=", customerId)
    .where("status", "=", "pending")
    .execute();
  const pause = customerPause(
    { status: customer.status, onHoldUntil: customer.on_hold_until },
    promises.map((p) => ({ customerId: p.customer_id, promisedDate: p.promised_date, status: p.status })),
    asOf,
  );
  if (pause && !input.force) throw conflict(`the chase of this customer is paused (${pause}); send with force to override`);
  const policies = await loadPolicies(db, actor.orgId);
  const policy = policies.find((p) => p.id === customer.dunning_policy_id) ?? policies.find((p) => p.isDefault) ?? policies[0];
  let stepId = input.stepId;
  const open = await db
    .selectFrom("documents as d")
    .select([
      "d.id",
      "d.due_date",
      "d.disputed",
      sql<number>`(d.total - coalesce((select sum(a.amount) from allocations a where a.org_id = d.org_id and a.document_id = d.id), 0)
      - coalesce((select sum(w.amount) from write_offs w where w.org_id = d.org_id and w.document_id = d.id), 0))::bigint`.as(
        "outstanding",
      ),
    ])
    .where("d.org_id", "=", actor.orgId)
    .where("d.customer_id", "=", customerId)
    .where("d.kind", "=", "invoice")
    .where("d.due_date", "<", asOf)
    .where("d.disputed", "=", false)
    .orderBy("d.due_date")
    .execute();
  const docs = open.filter((d) => d.outstanding > 0);
  if (docs.length === 0) throw invalid("this customer has no overdue invoice to chase");
  if (stepId === undefined) {
    const oldest = docs[0] as (typeof docs)[number];
    const late = Math.round((Date.parse(asOf) - Date.parse(oldest.due_date)) / 86_400_000);
    const after = (policy?.steps ?? []).filter((s) => s.offsetDays > 0 && s.channel === "email");
    stepId = ([...after].reverse().find((s) => s.offsetDays <= late) ?? after[0])?.id;
    if (stepId === undefined) throw invalid("the customer's policy has no email step after the due date");
  }
  const step = await loadStep(db, actor.orgId, stepId);
  const outboxId = await db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    const o = await trx
      .insertInto("outbox")
      .values({
        org_id: actor.orgId,
        customer_id: customerId,
        policy_id: step.policyId,
        step_id: step.id,
        channel: step.channel,
        origin: "manual",
        status: "pending",
        as_of: asOf,
        payload: JSON.stringify({
          documentIds: docs.map((d) => d.id),
          step: step.name,
          offsetDays: step.offsetDays,
          force: Boolean(input.force),
        }),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx
      .insertInto("dunning_events")
      .values(
        docs.map((d) => ({
          org_id: actor.orgId,
          document_id: d.id,
          step_id: step.id as number,
          customer_id: customerId,
          status: "planned" as const,
          reason: "manual",
          scheduled_date: asOf,
          as_of: asOf,
          outbox_id: o.id,
        })),
      )
      .onConflict((oc) => oc.columns(["org_id", "document_id", "step_id"]).doNothing())
      .execute();
    await audit(raw, actor, "remind", "customer", customerId, { outboxId: o.id, stepId: step.id, documents: docs.length });
    return o.id;
  });
  const delivery = input.deliver === false ? null : await deliverDue({ store, orgId: actor.orgId, outboxIds: [outboxId] });
  return { outboxId, delivery };
}
