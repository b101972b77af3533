/**
 * A bounce came back for a reminder (`relance dunning bounce FILE…`, `POST /api/dunning/bounces`):
 * find the message it is about by its Message-ID, and when the report says delivery failed
 * for good, do what an SMTP 5xx answer does at send time (worker.ts `recordPermanentFailure`):
 * the message is failed, its steps are failed, the assigned collector gets a follow-up task
 * and the customer's timeline says so.
 *
 * - A report about only some of the message's recipients records that failure (timeline,
 *   task) but leaves the message sent: it reached the others. Once every recipient has
 *   bounced, the message is failed.
 * - Nothing changes, and the result says why, for: a message that is not ours or not this
 *   organisation's (`unknown_message`), a delay report (4.x.x, `delayed`), a report that
 *   tells of no failure (`not_a_failure`), a message not sent (`not_sent`), something that
 *   is not a bounce (`not_a_bounce`), and a bounce already recorded (`duplicate`): the same
 *   bounce twice does one thing. The row is locked while this is decided, so two copies
 *   arriving at once do not both count.
 */
import { today } from "../domain/dates.js";
import { OUR_MESSAGE_ID, parseBounce } from "../dunning/bounce.js";
import { chaseDb } from "../dunning/schema.js";
import { recordPermanentFailure } from "../dunning/worker.js";
import { invalid } from "../errors.js";
import type { Db } from "../store/connect.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";

export type BounceOutcome =
  | "failed"
  | "recipient_failed"
  | "duplicate"
  | "delayed"
  | "not_a_failure"
  | "not_sent"
  | "unknown_message"
  | "not_a_bounce";

export interface BounceResult {
  outcome: BounceOutcome;
  /** True only when this bounce changed something (message status, task, timeline). */
  changed: boolean;
  messageId: string | null;
  outboxId: number | null;
  customer: { id: number; ref: string; name: string } | null;
  /** The recipients of our message this bounce reports as failed (or delayed). */
  recipients: string[];
  status: string | null;
  diagnostic: string | null;
  taskId: number | null;
  detail: string;
}

/** Raw RFC 822 bytes of a bounce → what it changed. `on` is the follow-up task's due date (default today, Paris). */
export async function recordBounce(db: Db, actor: Actor, raw: Buffer | string, options: { on?: string } = {}): Promise<BounceResult> {
  requirePermission(actor, "collect:write");
  if ((typeof raw === "string" ? raw.trim() : raw.toString("latin1").trim()).length === 0)
    throw invalid("empty bounce: send the raw message (RFC 822) as the request body", [{ field: "body", message: "empty" }]);
  const bounce = await parseBounce(raw);
  const base = {
    changed: false,
    messageId: bounce.messageIds[0] ?? null,
    outboxId: null,
    customer: null,
    recipients: bounce.recipients.map((r) => r.address),
    status: bounce.status,
    diagnostic: bounce.diagnostic,
    taskId: null,
  } satisfies Omit<BounceResult, "outcome" | "detail">;
  if (bounce.format === "none" && bounce.messageIds.length === 0)
    return {
      ...base,
      outcome: "not_a_bounce",
      detail: "not a delivery report (no bounce sender, subject or report part): nothing changed",
    };

  // Ours and this organisation's: the id part of the Message-ID is the outbox row, checked against what was sent.
  const ours = bounce.messageIds.map((id) => ({ id, m: OUR_MESSAGE_ID.exec(id) })).find((x) => x.m && Number(x.m[1]) === actor.orgId);
  if (!ours?.m)
    return {
      ...base,
      outcome: "unknown_message",
      detail: `no reminder of this organisation has the Message-ID ${base.messageId ?? "(none found in the bounce)"}: nothing changed`,
    };
  const outboxId = Number(ours.m[2]);
  const messageId = ours.id;

  return db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    const row = await trx
      .selectFrom("outbox")
      .select(["org_id", "id", "customer_id", "channel", "status", "as_of", "attempts", "payload", "message_id"])
      .where("org_id", "=", actor.orgId)
      .where("id", "=", outboxId)
      .forUpdate()
      .executeTakeFirst();
    if (row?.channel !== "email" || row.message_id?.toLowerCase() !== messageId.toLowerCase())
      return {
        ...base,
        messageId,
        outcome: "unknown_message" as const,
        detail: `no reminder of this organisation has the Message-ID ${messageId}: nothing changed`,
      };
    const customer = await trx
      .selectFrom("customers")
      .select(["id", "ref", "name"])
      .where("org_id", "=", actor.orgId)
      .where("id", "=", row.customer_id)
      .executeTakeFirstOrThrow();
    const found = { ...base, messageId, outboxId, customer };
    const unchanged = (outcome: BounceOutcome, detail: string): BounceResult => ({ ...found, outcome, detail });
    const label = `reminder ${outboxId} to ${customer.ref}`;

    if (bounce.verdict === "delayed")
      return unchanged(
        "delayed",
        `delivery of ${label} is only delayed (${bounce.status ?? "4.x.x"}); the remote server keeps trying: nothing changed`,
      );
    if (bounce.verdict === "none") return unchanged("not_a_failure", `the report on ${label} tells of no failed delivery: nothing changed`);
    if (row.status === "failed") return unchanged("duplicate", `${label} is already marked failed: nothing changed`);
    if (row.status !== "sent") return unchanged("not_sent", `${label} is ${row.status}, not sent: nothing changed`);

    const payload = row.payload as { to?: string[]; bounced?: string[]; bounces?: unknown[] };
    const sentTo = (payload.to ?? []).map((a) => a.toLowerCase());
    const reported = bounce.recipients.map((r) => r.address.toLowerCase());
    // A report naming none of our recipients (a forwarding address, a prose bounce without
    // addresses) is about the message as a whole.
    const matched = sentTo.filter((a) => reported.includes(a));
    const failedNow = matched.length ? matched : sentTo.length ? sentTo : reported;
    const already = new Set(payload.bounced ?? []);
    const fresh = failedNow.filter((a) => !already.has(a));
    if (fresh.length === 0) return unchanged("duplicate", `this bounce of ${label} was already recorded: nothing changed`);
    const bounced = [...already, ...fresh];
    const all = sentTo.every((a) => bounced.includes(a));

    const reason = [bounce.status, bounce.diagnostic].filter(Boolean).join(" ") || "permanent failure";
    const error = `bounced (${fresh.join(", ")}): ${reason}`;
    const record = {
      recipients: fresh,
      status: bounce.status,
      diagnostic: bounce.diagnostic,
      format: bounce.format,
      at: new Date().toISOString(),
    };
    await trx
      .updateTable("outbox")
      .set({
        ...(all ? { status: "failed" as const, last_error: error.slice(0, 2000) } : {}),
        payload: JSON.stringify({ ...payload, bounced, bounces: [...(payload.bounces ?? []), record] }),
        updated_at: new Date(),
      })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", outboxId)
      .execute();
    const { taskId } = await recordPermanentFailure(raw, { ...row, payload: row.payload as Record<string, unknown> }, error, {
      dueDate: options.on ?? today(),
      partial: !all,
      data: { bounce: { recipients: fresh, status: bounce.status, diagnostic: bounce.diagnostic, messageId }, partial: !all },
    });
    await audit(raw, actor, "bounce", "dunning_message", outboxId, { messageId, recipients: fresh, status: bounce.status, failed: all });
    return {
      ...found,
      outcome: all ? ("failed" as const) : ("recipient_failed" as const),
      changed: true,
      recipients: fresh,
      taskId,
      detail: all
        ? `${label} bounced (${fresh.join(", ")}, ${bounce.status ?? "permanent failure"}): marked failed, follow-up task ${taskId} raised`
        : `${label} bounced for ${fresh.join(", ")} (${bounce.status ?? "permanent failure"}) but reached its other recipients: follow-up task ${taskId} raised`,
    };
  });
}
