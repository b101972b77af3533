import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { toDecimalString } from "../../domain/money.js";
import { invalid } from "../../errors.js";
import {
  decideApproval,
  getMessage,
  getMessageAttachment,
  listApprovals,
  listMessages,
  type MessageView,
  previewStep,
} from "../../services/dunning-messages.js";
import {
  assignPolicy,
  createPolicy,
  deletePolicy,
  getPolicy,
  listPolicies,
  type PolicyView,
  updatePolicy,
} from "../../services/dunning-policies.js";
import { recordBounce } from "../../services/record-bounce.js";
import { runDunning } from "../../services/run-dunning.js";
import { actorOf } from "../auth.js";
import { IdParam, IsoDateSchema, MoneyIn, money } from "../schemas.js";

const Template = z.object({ subject: z.string().min(1).max(500), body: z.string().min(1).max(20_000) });
const StepBody = z.object({
  id: z.number().int().positive().optional(),
  name: z.string().trim().min(1).max(120),
  offsetDays: z.number().int().min(-365).max(3650),
  channel: z.enum(["email", "letter", "call", "webhook"]),
  templates: z.object({ fr: Template.optional(), en: Template.optional() }),
  attachStatement: z.boolean().optional(),
  attachLetter: z.boolean().optional(),
  includePenalties: z.boolean().optional(),
  requireApproval: z.boolean().optional(),
  minOutstanding: MoneyIn.nullish(),
});
const PolicyBody = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().max(1000).optional(),
  isDefault: z.boolean().optional(),
  minOutstanding: MoneyIn.optional(),
  steps: z.array(StepBody).min(1).max(30),
});

function presentPolicy(p: PolicyView) {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    shippedKey: p.shippedKey,
    isDefault: p.isDefault,
    minOutstanding: toDecimalString(p.minOutstanding),
    steps: p.steps.map((s) => ({ ...s, minOutstanding: money(s.minOutstanding) })),
  };
}

const presentMessage = (m: MessageView) => m;

/** A bounce quotes at most the original message: 10 MB is plenty. */
const BOUNCE_LIMIT = 10 * 1024 * 1024;

export async function dunningRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const store = app.store;
  const db = store.db;
  const tags = ["dunning"];

  r.get("/api/dunning/policies", { schema: { tags, summary: "Dunning policies with their steps" } }, async (request) => ({
    items: (await listPolicies(db, actorOf(request))).map(presentPolicy),
    nextCursor: null,
  }));

  r.get("/api/dunning/policies/:id", { schema: { tags, summary: "A dunning policy", params: IdParam } }, async (request) =>
    presentPolicy(await getPolicy(db, actorOf(request), request.params.id)),
  );

  r.post(
    "/api/dunning/policies",
    { schema: { tags, summary: "Create a policy (templates are validated)", body: PolicyBody } },
    async (request, reply) => {
      const p = await createPolicy(db, actorOf(request, "collect:write"), request.body);
      return reply.status(201).send(presentPolicy(p));
    },
  );

  r.patch(
    "/api/dunning/policies/:id",
    {
      schema: {
        tags,
        summary: "Update a policy; `steps` replaces the list (steps keep their id, missing ones are archived)",
        params: IdParam,
        body: PolicyBody.partial(),
      },
    },
    async (request) => presentPolicy(await updatePolicy(db, actorOf(request, "collect:write"), request.params.id, request.body)),
  );

  r.delete(
    "/api/dunning/policies/:id",
    { schema: { tags, summary: "Delete a policy (not the default nor a shipped one)", params: IdParam } },
    async (request, reply) => {
      await deletePolicy(db, actorOf(request, "collect:write"), request.params.id);
      return reply.status(204).send();
    },
  );

  r.put(
    "/api/customers/:id/dunning-policy",
    {
      schema: {
        tags,
        summary: "Assign a dunning policy to a customer (null: the default policy)",
        params: IdParam,
        body: z.object({ policyId: z.number().int().positive().nullable() }),
      },
    },
    async (request) => assignPolicy(db, actorOf(request, "collect:write"), request.params.id, request.body.policyId),
  );

  r.post(
    "/api/dunning/preview",
    {
      schema: {
        tags,
        summary: "Render any step for any customer (nothing is sent); ?format=pdf returns the letter or statement PDF",
        querystring: z.object({ format: z.enum(["json", "pdf"]).optional() }),
        body: z.object({
          customerId: z.number().int().positive(),
          stepId: z.number().int().positive(),
          language: z.enum(["fr", "en"]).optional(),
          asOf: IsoDateSchema.optional(),
          documentIds: z.array(z.number().int().positive()).max(500).optional(),
        }),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const m = await previewStep(db, actorOf(request), {
        customerId: b.customerId,
        stepId: b.stepId,
        lang: b.language,
        asOf: b.asOf,
        documentIds: b.documentIds,
      });
      if (request.query.format === "pdf") {
        const pdf = m.attachments[0];
        if (!pdf)
          return reply
            .status(404)
            .type("application/problem+json")
            .send({ type: "about:blank", title: "Not found", status: 404, code: "not_found", detail: "this step makes no PDF" });
        return reply.type("application/pdf").header("content-disposition", `inline; filename="${pdf.filename}"`).send(pdf.content);
      }
      const d = m.data;
      return {
        language: m.lang,
        channel: d.step.channel,
        step: { id: d.step.id, name: d.step.name, offsetDays: d.step.offsetDays },
        from: d.from,
        to: d.settings["mail.test_redirect"] ? [d.settings["mail.test_redirect"]] : d.recipients,
        replyTo: d.replyTo,
        subject: m.subject,
        text: m.text,
        html: m.html,
        documents: d.documents
          .filter((x) => x.outstanding > 0)
          .map((x) => ({
            id: x.id,
            number: x.number,
            dueDate: x.dueDate,
            outstanding: toDecimalString(x.outstanding),
            daysLate: x.daysLate,
            interest: toDecimalString(x.interest),
            indemnity: toDecimalString(x.indemnity),
          })),
        totals: {
          outstanding: toDecimalString(d.totals.outstanding),
          interest: toDecimalString(d.totals.interest),
          indemnities: toDecimalString(d.totals.indemnities),
          grandTotal: toDecimalString(d.totals.grandTotal),
          balance: toDecimalString(d.totals.balance),
        },
        paymentLink: d.paymentLink,
        attachments: m.attachments.map((a) => ({ filename: a.filename, size: a.content.length })),
        warnings: m.warnings,
      };
    },
  );

  r.get("/api/dunning/approvals", { schema: { tags, summary: "Messages awaiting a human approval, rendered" } }, async (request) => ({
    items: await listApprovals(db, actorOf(request)),
    nextCursor: null,
  }));

  r.post(
    "/api/dunning/approvals/:id/approve",
    { schema: { tags, summary: "Approve a message (sent by the next delivery)", params: IdParam } },
    async (request) => decideApproval(db, actorOf(request, "collect:write"), request.params.id, "approve"),
  );

  r.post(
    "/api/dunning/approvals/:id/reject",
    {
      schema: { tags, summary: "Reject a message", params: IdParam, body: z.object({ reason: z.string().max(500).optional() }).optional() },
    },
    async (request) => decideApproval(db, actorOf(request, "collect:write"), request.params.id, "reject", request.body?.reason),
  );

  r.get(
    "/api/dunning/messages",
    {
      schema: {
        tags,
        summary: "The message log (sent, failed, pending…) with content, newest first",
        querystring: z.object({
          status: z.enum(["awaiting_approval", "pending", "sending", "sent", "failed", "cancelled"]).optional(),
          customerId: z.coerce.number().int().positive().optional(),
          channel: z.enum(["email", "letter", "call", "webhook"]).optional(),
          cursor: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(200).optional(),
        }),
      },
    },
    async (request) => {
      const page = await listMessages(db, actorOf(request), request.query);
      return { items: page.items.map(presentMessage), nextCursor: page.nextCursor };
    },
  );

  r.get("/api/dunning/messages/:id", { schema: { tags, summary: "One message with its content", params: IdParam } }, async (request) =>
    presentMessage(await getMessage(db, actorOf(request), request.params.id)),
  );

  r.get(
    "/api/dunning/messages/:id/attachment",
    { schema: { tags, summary: "The PDF of a message (letter, formal notice)", params: IdParam } },
    async (request, reply) => {
      const a = await getMessageAttachment(db, actorOf(request), request.params.id);
      return reply.type("application/pdf").header("content-disposition", `attachment; filename="${a.filename}"`).send(a.content);
    },
  );

  r.post(
    "/api/dunning/run",
    {
      schema: {
        tags,
        summary: "Plan the reminders due at a date and deliver them (dryRun: nothing written)",
        body: z.object({ asOf: IsoDateSchema.optional(), dryRun: z.boolean().optional() }).optional(),
      },
    },
    async (request) => {
      const dryRun = request.body?.dryRun ?? false;
      const report = await runDunning(store, actorOf(request, dryRun ? "read" : "collect:write"), { asOf: request.body?.asOf, dryRun });
      return report.result;
    },
  );

  // Bounces arrive as raw messages: read as bytes (this plugin's scope only), charset decoding is mailparser's job.
  app.addContentTypeParser(
    ["message/rfc822", "application/octet-stream"],
    { parseAs: "buffer", bodyLimit: BOUNCE_LIMIT },
    (_req, body, done) => done(null, body),
  );
  r.post(
    "/api/dunning/bounces",
    {
      bodyLimit: BOUNCE_LIMIT,
      schema: {
        tags,
        summary:
          "Record a bounce: the raw bounce message (RFC 3464 report or plain-text bounce) as the body, Content-Type message/rfc822; a permanent failure marks the reminder failed and raises a task",
        consumes: ["message/rfc822", "text/plain", "application/octet-stream"],
      },
    },
    async (request) => {
      const actor = actorOf(request, "collect:write");
      const body: unknown = request.body;
      if (!(Buffer.isBuffer(body) || typeof body === "string"))
        throw invalid("send the raw bounce message (RFC 822) as the request body, with Content-Type message/rfc822", [
          { field: "body", message: "raw message expected" },
        ]);
      return recordBounce(db, actor, body);
    },
  );
}
