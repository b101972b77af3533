/**
 * The outbox worker (DESIGN §6, §7 "a sweep that claims rows atomically plus a per-item
 * handler"):
 *
 * 1. claim: one row at a time, `FOR UPDATE SKIP LOCKED`, marked `sending` with a lease
 *    (`locked_until`) and this worker's id, committed at once — so concurrent workers never
 *    take the same row, and no transaction stays open during delivery;
 * 2. check at send time: a document paid (or disputed, put on hold…) since planning drops
 *    out of the message; a message left with nothing to chase is cancelled;
 * 3. deliver with a deterministic Message-ID `<dunning-{org}-{outboxId}@{domain}>`;
 * 4. record: `sent` + events + timeline activity in one transaction, only while the lease
 *    is still ours.
 *
 * A worker that dies between 3 and 4 leaves the row `sending`; once its lease expires
 * (RELANCE_OUTBOX_LEASE_SECONDS, or at once on the embedded database, which only one
 * process can open) another worker sends it again — the same message with the same
 * Message-ID, so at most that one message is duplicated and receivers can deduplicate.
 * Transient failures (4xx, network) are retried with exponential backoff; permanent ones
 * (5xx, no address) mark the message failed and raise a task for the assigned collector —
 * as does a bounce that comes back later (`recordPermanentFailure`, shared with
 * services/record-bounce.ts).
 */
import { randomUUID } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { sql, type Transaction } from "kysely";
import { customerPause, documentPause } from "../domain/dunning-plan.js";
import { toDecimalString } from "../domain/money.js";
import type { Store } from "../store/connect.js";
import type { Database } from "../store/schema.js";
import { recordActivity } from "./activities.js";
import { addressOf, type StepInfo } from "./context.js";
import { loadStep, type RenderedMessage, renderMessage } from "./render.js";
import { type Channel, chaseDb, type OutboxTable } from "./schema.js";
import { TemplateError } from "./templates.js";
import {
  dunningEnv,
  filesDirFor,
  isPermanentSmtpError,
  type MailTransport,
  mailTransportFromEnv,
  postWebhook,
  WebhookError,
} from "./transport.js";

export interface WorkerOptions {
  store: Store;
  /** Only this organisation's messages (the CLI); all organisations when absent (the server). */
  orgId?: number;
  transport?: MailTransport;
  filesDir?: string;
  leaseSeconds?: number;
  maxAttempts?: number;
  /** First retry delay; doubles at each attempt (capped at 6 hours). */
  backoffSeconds?: number;
  /** Stop after this many messages (default: until nothing is due). */
  limit?: number;
  /** Parallel deliveries (default 1). */
  concurrency?: number;
  workerId?: string;
  /** Only these outbox rows (a "send now" for one customer). */
  outboxIds?: number[];
  /** Messages processed so far in this sweep, out of those due when it started (up to the limit). */
  onProgress?: (p: { done: number; total: number }) => void;
}

export interface DeliveryOutcome {
  outboxId: number;
  orgId: number;
  customerId: number;
  channel: Channel;
  status: "sent" | "failed" | "retry" | "cancelled";
  error?: string;
  /** Penalty warnings of the message (a half-year without a rate…). */
  warnings?: string[];
}

export interface DeliveryReport {
  sent: number;
  failed: number;
  retried: number;
  cancelled: number;
  outcomes: DeliveryOutcome[];
  transport: { kind: "smtp" | "file"; description: string };
}

type OutboxRow = {
  org_id: number;
  id: number;
  customer_id: number;
  policy_id: number | null;
  step_id: number | null;
  channel: Channel;
  origin: "auto" | "manual";
  as_of: string;
  attempts: number;
  payload: Record<string, unknown>;
  created_at: Date;
};

class PermanentFailure extends Error {}

/** Worker ids alive in this process: on PGlite (one process only), any other claim is stale. */
const liveWorkers = new Set<string>();

export function messageIdFor(orgId: number, outboxId: number, from: string): string {
  const domain =
    addressOf(from)
      .split("@")[1]
      ?.replace(/[^A-Za-z0-9.-]/g, "") || "relance.local";
  return `<dunning-${orgId}-${outboxId}@${domain}>`;
}

/** The messages a sweep is limited to: one organisation's, or a few by id ("send now"). */
function sweepScope(options: WorkerOptions) {
  const org = options.orgId !== undefined ? sql`and org_id = ${options.orgId}` : sql``;
  const ids = options.outboxIds ? sql`and id = any(${sql.val(options.outboxIds)}::bigint[])` : sql``;
  return sql`${org} ${ids}`;
}

async function claim(
  options: Required<Pick<WorkerOptions, "store" | "leaseSeconds" | "workerId">> & WorkerOptions,
  sweepStart: string,
): Promise<OutboxRow | null> {
  const { store } = options;
  const stale =
    store.kind === "pglite" ? sql`or (status = 'sending' and not (claimed_by = any(${sql.val([...liveWorkers])}::text[])))` : sql``;
  const r = await sql<OutboxRow>`
    with next as (
      select org_id, id from outbox
      -- Due when the sweep started: one attempt per message and sweep, since a claim, a retry
      -- or a lease moves next_attempt_at past it (a message to retry waits for the next sweep).
      where status in ('pending', 'sending') and (next_attempt_at <= ${sweepStart}::timestamptz ${stale})
        ${sweepScope(options)}
      order by next_attempt_at, id
      limit 1
      for update skip locked
    )
    update outbox o
    set status = 'sending', claimed_by = ${options.workerId},
        locked_until = now() + make_interval(secs => ${options.leaseSeconds}),
        -- A claimed row is due again when its lease expires (the claim's index stays one range scan).
        next_attempt_at = now() + make_interval(secs => ${options.leaseSeconds}),
        attempts = o.attempts + 1, updated_at = now()
    from next
    where o.org_id = next.org_id and o.id = next.id
    returning o.org_id, o.id, o.customer_id, o.policy_id, o.step_id, o.channel, o.origin, o.as_of::text as as_of, o.attempts, o.payload, o.created_at`.execute(
    store.db,
  );
  return r.rows[0] ?? null;
}

/** Messages a sweep started at `sweepStart` will claim (for its progress). */
async function countDue(options: WorkerOptions, sweepStart: string): Promise<number> {
  const r = await sql<{ n: number }>`
    select count(*)::int as n from outbox
    where status in ('pending', 'sending') and next_attempt_at <= ${sweepStart}::timestamptz ${sweepScope(options)}`.execute(
    options.store.db,
  );
  return r.rows[0]?.n ?? 0;
}

/** A manual message without a step (e.g. "send now" with free text) carries its step in the payload. */
async function stepFor(store: Store, row: OutboxRow): Promise<StepInfo> {
  if (row.step_id !== null) return loadStep(store.db, row.org_id, row.step_id);
  const p = row.payload as { stepInfo?: StepInfo };
  if (p.stepInfo) return p.stepInfo;
  throw new PermanentFailure("the step of this message no longer exists");
}

async function writeLetterFile(dir: string, orgId: number, outboxId: number, filename: string, content: Buffer): Promise<string> {
  const letters = path.join(dir, "letters");
  await mkdir(letters, { recursive: true });
  const file = path.join(letters, `${orgId}-${outboxId}-${filename}`);
  await writeFile(`${file}.tmp`, content);
  await rename(`${file}.tmp`, file);
  return file;
}

interface Delivered {
  messageId: string | null;
  to: string[];
  response: string;
  rendered: RenderedMessage;
  taskId?: number;
  file?: string;
}

export async function deliverDue(options: WorkerOptions): Promise<DeliveryReport> {
  const env = dunningEnv();
  const filesDir = options.filesDir ?? filesDirFor(options.store, env);
  const ownTransport = !options.transport;
  const transport = options.transport ?? mailTransportFromEnv(filesDir, env);
  const workerId = options.workerId ?? `w-${process.pid}-${randomUUID().slice(0, 8)}`;
  const opts = {
    ...options,
    workerId,
    leaseSeconds: options.leaseSeconds ?? env.RELANCE_OUTBOX_LEASE_SECONDS,
    maxAttempts: options.maxAttempts ?? 8,
    backoffSeconds: options.backoffSeconds ?? 60,
  };
  const report: DeliveryReport = {
    sent: 0,
    failed: 0,
    retried: 0,
    cancelled: 0,
    outcomes: [],
    transport: { kind: transport.kind, description: transport.description },
  };
  liveWorkers.add(workerId);
  let budget = options.limit ?? Number.POSITIVE_INFINITY;
  // The database's clock, as next_attempt_at is written with it (text: microseconds kept).
  const sweepStart = (await sql<{ t: string }>`select now()::text as t`.execute(options.store.db)).rows[0]?.t as string;
  let processed = 0;
  let due = 0;
  if (options.onProgress) {
    due = Math.min(budget, await countDue(options, sweepStart));
    options.onProgress({ done: 0, total: due });
  }
  const loop = async () => {
    while (budget > 0) {
      budget--;
      const row = await claim(opts, sweepStart);
      if (!row) return;
      const outcome = await processRow(opts, row, transport, filesDir);
      report.outcomes.push(outcome);
      if (outcome.status === "sent") report.sent++;
      else if (outcome.status === "failed") report.failed++;
      else if (outcome.status === "retry") report.retried++;
      else report.cancelled++;
      processed++;
      options.onProgress?.({ done: processed, total: Math.max(due, processed) });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, loop));
  } finally {
    liveWorkers.delete(workerId);
    if (ownTransport) transport.close();
  }
  return report;
}

async function processRow(
  opts: WorkerOptions & { workerId: string; leaseSeconds: number; maxAttempts: number; backoffSeconds: number },
  row: OutboxRow,
  transport: MailTransport,
  filesDir: string,
): Promise<DeliveryOutcome> {
  const { store } = opts;
  const db = store.db;
  const base = { outboxId: row.id, orgId: row.org_id, customerId: row.customer_id, channel: row.channel };
  try {
    const step = await stepFor(store, row);
    const payload = row.payload as { documentIds?: number[]; force?: boolean };
    let documentIds = payload.documentIds ?? [];
    let rendered = await renderMessage(db, row.org_id, { customerId: row.customer_id, step, documentIds, asOf: row.as_of });

    // Send-time check: what changed since planning?
    const data = rendered.data;
    const promises = await db
      .selectFrom("promises")
      .select(["customer_id", "promised_date", "status"])
      .where("org_id", "=", row.org_id)
      .where("customer_id", "=", row.customer_id)
      .where("status", "=", "pending")
      .execute();
    const pause = payload.force
      ? null
      : customerPause(
          { status: data.customer.status as "active", onHoldUntil: data.customer.onHoldUntil },
          promises.map((p) => ({ customerId: p.customer_id, promisedDate: p.promised_date, status: p.status })),
          row.as_of,
        );
    const paid = data.documents.filter((d) => d.outstanding <= 0).map((d) => d.id);
    const held = data.documents.filter((d) => d.outstanding > 0 && documentPause(d, row.as_of)).map((d) => d.id);
    const open = data.documents.filter((d) => d.outstanding > 0 && !documentPause(d, row.as_of)).map((d) => d.id);
    if (pause || open.length === 0) {
      await cancel(opts, row, { reason: pause ?? (held.length ? "paused" : "paid"), paid, released: pause ? [...held, ...open] : held });
      return { ...base, status: "cancelled", error: pause ?? "paid" };
    }
    if (paid.length || held.length) {
      await dropDocuments(opts, row, paid, held);
      documentIds = open;
      rendered = await renderMessage(db, row.org_id, { customerId: row.customer_id, step, documentIds, asOf: row.as_of });
    }

    const delivered = await deliver(opts, row, step, rendered, transport, filesDir);
    if (process.env.RELANCE_TEST_HANG_AFTER_SEND === "1") {
      // Test hook (crash test): the message is accepted, nothing is committed yet.
      process.stderr.write(`relance-test: delivered outbox ${row.id} ${delivered.messageId ?? ""}, hanging before commit\n`);
      await new Promise(() => {});
    }
    await markSent(opts, row, step, documentIds, delivered);
    return { ...base, status: "sent", warnings: rendered.warnings };
  } catch (error) {
    const permanent =
      error instanceof PermanentFailure ||
      error instanceof TemplateError ||
      (error instanceof WebhookError && error.permanent) ||
      isPermanentSmtpError(error) ||
      (error as { name?: string }).name === "AppError";
    const message = (error as Error).message || String(error);
    if (!permanent && row.attempts < opts.maxAttempts && !(error instanceof LeaseLost)) {
      const delay = Math.min(opts.backoffSeconds * 2 ** (row.attempts - 1), 6 * 3600);
      await sql`update outbox set status = 'pending', claimed_by = null, locked_until = null, last_error = ${message},
        next_attempt_at = now() + make_interval(secs => ${delay}), updated_at = now()
        where org_id = ${row.org_id} and id = ${row.id} and claimed_by = ${opts.workerId} and status = 'sending'`.execute(db);
      return { ...base, status: "retry", error: message };
    }
    if (error instanceof LeaseLost) return { ...base, status: "retry", error: message };
    await markFailed(opts, row, message);
    return { ...base, status: "failed", error: message };
  }
}

class LeaseLost extends Error {}

async function deliver(
  _opts: WorkerOptions & { workerId: string },
  row: OutboxRow,
  step: StepInfo,
  rendered: RenderedMessage,
  transport: MailTransport,
  filesDir: string,
): Promise<Delivered> {
  const data = rendered.data;
  const messageId = messageIdFor(row.org_id, row.id, data.from);
  switch (row.channel) {
    case "email": {
      const redirect = data.settings["mail.test_redirect"];
      const to = redirect ? [redirect] : data.recipients;
      if (to.length === 0) throw new PermanentFailure(`no email address for customer ${data.customer.ref}`);
      const headers: Record<string, string> = {
        "X-Relance-Customer": data.customer.ref,
        "X-Relance-Step": step.name.replace(/[^\x20-\x7e]/g, "?"),
        "Auto-Submitted": "auto-generated",
      };
      if (redirect) headers["X-Relance-Original-To"] = data.recipients.join(", ") || "(none)";
      const info = await transport.send({
        from: data.from,
        to,
        replyTo: data.replyTo,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        messageId,
        date: row.created_at,
        headers,
        attachments: rendered.attachments,
      });
      if (info.rejected.length === to.length) throw new PermanentFailure(`every recipient was rejected: ${info.rejected.join(", ")}`);
      return { messageId, to, response: info.response, rendered };
    }
    case "letter": {
      const pdf = rendered.attachments[0];
      if (!pdf) throw new PermanentFailure("the letter could not be rendered");
      const file = await writeLetterFile(filesDir, row.org_id, row.id, pdf.filename, pdf.content);
      return { messageId: null, to: [], response: `letter written ${file}`, rendered, file };
    }
    case "call":
      return { messageId: null, to: [], response: "call task", rendered };
    case "webhook": {
      const url = data.settings["webhook.url"];
      if (!url) throw new PermanentFailure("no webhook.url setting");
      const body = {
        event: "dunning.step",
        id: messageId,
        org: data.org.slug,
        asOf: data.asOf,
        customer: {
          id: data.customer.id,
          ref: data.customer.ref,
          name: data.customer.name,
          email: data.customer.email,
          language: data.lang,
        },
        step: { id: step.id, name: step.name, offsetDays: step.offsetDays },
        documents: data.documents
          .filter((d) => d.outstanding > 0)
          .map((d) => ({
            id: d.id,
            number: d.number,
            issueDate: d.issueDate,
            dueDate: d.dueDate,
            total: toDecimalString(d.total),
            outstanding: toDecimalString(d.outstanding),
            daysLate: d.daysLate,
          })),
        totals: {
          outstanding: toDecimalString(data.totals.outstanding),
          interest: toDecimalString(data.totals.interest),
          indemnities: toDecimalString(data.totals.indemnities),
          grandTotal: toDecimalString(data.totals.grandTotal),
        },
        paymentLink: data.paymentLink,
        subject: rendered.subject,
        text: rendered.text,
      };
      const status = await postWebhook(url, data.settings["webhook.secret"], body, messageId.slice(1, -1));
      return { messageId, to: [url], response: `HTTP ${status}`, rendered };
    }
  }
}

async function markSent(opts: WorkerOptions & { workerId: string }, row: OutboxRow, step: StepInfo, documentIds: number[], d: Delivered) {
  const data = d.rendered.data;
  await opts.store.db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    const attachment = d.rendered.attachments[0];
    const updated = await trx
      .updateTable("outbox")
      .set({
        status: "sent",
        sent_at: new Date(),
        message_id: d.messageId,
        locked_until: null,
        last_error: null,
        updated_at: new Date(),
        payload: JSON.stringify({
          ...row.payload,
          documentIds,
          documents: data.documents.filter((x) => x.outstanding > 0).map((x) => x.number),
          lang: d.rendered.lang,
          to: d.to,
          replyTo: data.replyTo,
          from: data.from,
          subject: d.rendered.subject,
          text: d.rendered.text,
          attachments: d.rendered.attachments.map((a) => a.filename),
          warnings: d.rendered.warnings,
          response: d.response,
          file: d.file ?? null,
          total: toDecimalString(data.totals.outstanding),
        }),
        attachment: attachment?.content ?? null,
        attachment_name: attachment?.filename ?? null,
      } satisfies Partial<Record<keyof OutboxTable, unknown>> as never)
      .where("org_id", "=", row.org_id)
      .where("id", "=", row.id)
      .where("claimed_by", "=", opts.workerId)
      .where("status", "=", "sending")
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new LeaseLost(`outbox ${row.id}: lease lost before commit`);
    await trx
      .updateTable("dunning_events")
      .set({ status: "sent", updated_at: new Date() })
      .where("org_id", "=", row.org_id)
      .where("outbox_id", "=", row.id)
      .where("status", "in", ["planned", "awaiting_approval"])
      .execute();
    let taskId: number | null = null;
    if (row.channel === "call" || row.channel === "letter") {
      const title =
        row.channel === "call"
          ? d.rendered.subject
          : data.lang === "fr"
            ? `Imprimer et envoyer en recommandé AR : ${d.rendered.subject} — ${data.customer.name}`
            : `Print and send by registered post: ${d.rendered.subject} — ${data.customer.name}`;
      const task = await trx
        .insertInto("tasks")
        .values({
          org_id: row.org_id,
          customer_id: row.customer_id,
          document_id: documentIds.length === 1 ? (documentIds[0] ?? null) : null,
          kind: row.channel === "call" ? "call" : "letter",
          title: title.slice(0, 300),
          due_date: row.as_of,
          assigned_user_id: data.customer.assignedUserId,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      taskId = task.id;
    }
    await recordActivity(raw, row.org_id, {
      customerId: row.customer_id,
      kind: row.channel === "letter" ? "letter_generated" : row.channel === "call" ? "task" : "reminder_sent",
      actor: "dunning",
      data: {
        outboxId: row.id,
        channel: row.channel,
        stepId: step.id,
        step: step.name,
        subject: d.rendered.subject,
        to: d.to,
        messageId: d.messageId,
        documents: data.documents.filter((x) => x.outstanding > 0).map((x) => x.number),
        total: toDecimalString(data.totals.outstanding),
        taskId,
        origin: row.origin,
      },
    });
  });
}

async function markFailed(opts: WorkerOptions & { workerId: string }, row: OutboxRow, error: string) {
  await opts.store.db.transaction().execute(async (raw) => {
    const updated = await chaseDb(raw)
      .updateTable("outbox")
      .set({ status: "failed", last_error: error.slice(0, 2000), locked_until: null, updated_at: new Date() })
      .where("org_id", "=", row.org_id)
      .where("id", "=", row.id)
      .where("claimed_by", "=", opts.workerId)
      .where("status", "=", "sending")
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return;
    await recordPermanentFailure(raw, row, error);
  });
}

/** What a permanent failure needs to know of its outbox message. */
export interface FailedMessage {
  org_id: number;
  id: number;
  customer_id: number;
  channel: Channel;
  as_of: string;
  attempts: number;
  payload: Record<string, unknown>;
}

/**
 * What a permanent failure does besides setting the message's status, in the caller's
 * transaction: the steps of its documents are marked failed (so they are not sent again),
 * a follow-up task goes to the customer's assigned collector, and the failure lands on the
 * customer's timeline. One implementation for the worker (SMTP 5xx, no address…) and for
 * bounces that come back after the message was accepted (services/record-bounce.ts), which
 * pass `partial` when only some of the recipients bounced: the message did reach someone,
 * so its steps stay sent.
 */
export async function recordPermanentFailure(
  raw: Transaction<Database>,
  row: FailedMessage,
  error: string,
  options: { dueDate?: string; partial?: boolean; data?: Record<string, unknown> } = {},
): Promise<{ taskId: number }> {
  const trx = chaseDb(raw);
  if (!options.partial)
    await trx
      .updateTable("dunning_events")
      .set({ status: "failed", reason: error.slice(0, 200), updated_at: new Date() })
      .where("org_id", "=", row.org_id)
      .where("outbox_id", "=", row.id)
      .execute();
  const customer = await trx
    .selectFrom("customers")
    .select(["name", "language", "assigned_user_id"])
    .where("org_id", "=", row.org_id)
    .where("id", "=", row.customer_id)
    .executeTakeFirstOrThrow();
  const stepName = String((row.payload as { step?: string }).step ?? row.channel);
  const task = await trx
    .insertInto("tasks")
    .values({
      org_id: row.org_id,
      customer_id: row.customer_id,
      kind: "follow_up",
      title: (customer.language === "en"
        ? `Reminder not delivered (${stepName}) to ${customer.name}: ${error}`
        : `Relance non délivrée (${stepName}) à ${customer.name} : ${error}`
      ).slice(0, 300),
      due_date: options.dueDate ?? row.as_of,
      assigned_user_id: customer.assigned_user_id,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await recordActivity(raw, row.org_id, {
    customerId: row.customer_id,
    kind: "reminder_failed",
    actor: "dunning",
    data: { outboxId: row.id, channel: row.channel, step: stepName, error, attempts: row.attempts, taskId: task.id, ...options.data },
  });
  return { taskId: task.id };
}

/** Nothing left to send: paid documents' events are closed, paused ones released for a later run. */
async function cancel(
  opts: WorkerOptions & { workerId: string },
  row: OutboxRow,
  what: { reason: string; paid: number[]; released: number[] },
) {
  await opts.store.db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    const updated = await trx
      .updateTable("outbox")
      .set({ status: "cancelled", last_error: `cancelled: ${what.reason}`, locked_until: null, updated_at: new Date() })
      .where("org_id", "=", row.org_id)
      .where("id", "=", row.id)
      .where("claimed_by", "=", opts.workerId)
      .where("status", "=", "sending")
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return;
    await closeEvents(trx, row, what.paid, what.released);
    await recordActivity(raw, row.org_id, {
      customerId: row.customer_id,
      kind: "reminder_cancelled",
      actor: "dunning",
      data: { outboxId: row.id, reason: what.reason, step: (row.payload as { step?: string }).step ?? null },
    });
  });
}

async function dropDocuments(opts: WorkerOptions & { workerId: string }, row: OutboxRow, paid: number[], released: number[]) {
  await opts.store.db.transaction().execute(async (raw) => closeEvents(chaseDb(raw), row, paid, released));
}

async function closeEvents(trx: ReturnType<typeof chaseDb>, row: OutboxRow, paid: number[], released: number[]) {
  if (paid.length) {
    await trx
      .updateTable("dunning_events")
      .set({ status: "cancelled", reason: "paid", updated_at: new Date() })
      .where("org_id", "=", row.org_id)
      .where("outbox_id", "=", row.id)
      .where("document_id", "in", paid)
      .execute();
  }
  if (released.length) {
    // Not sent, and not done: the step may be planned again once the pause ends.
    await trx
      .deleteFrom("dunning_events")
      .where("org_id", "=", row.org_id)
      .where("outbox_id", "=", row.id)
      .where("document_id", "in", released)
      .execute();
  }
}
