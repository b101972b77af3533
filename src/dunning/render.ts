/**
 * Renders one message (subject, text, HTML, attachments) from a step and a customer's
 * documents. One function for every surface: the worker before sending, the preview
 * endpoint, the approval queue.
 */
import { notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import { type LoadOptions, loadMessageData, type MessageData, type StepInfo, templateContext } from "./context.js";
import type { Lang } from "./format.js";
import { renderLetterPdf, renderStatementPdf } from "./letter-pdf.js";
import { chaseDb, type StepTemplates } from "./schema.js";
import { renderStep, TemplateError } from "./templates.js";

export interface Attachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

export interface RenderedMessage {
  lang: Lang;
  subject: string;
  text: string;
  html: string;
  attachments: Attachment[];
  warnings: string[];
  data: MessageData;
}

type StepRow = {
  id: number;
  policy_id: number;
  name: string;
  offset_days: number;
  channel: StepInfo["channel"];
  templates: StepTemplates;
  include_penalties: boolean;
  attach_statement: boolean;
  attach_letter: boolean;
};

const toInfo = (s: StepRow): StepInfo => ({
  id: s.id,
  policyId: s.policy_id,
  name: s.name,
  offsetDays: s.offset_days,
  channel: s.channel,
  includePenalties: s.include_penalties,
  attachStatement: s.attach_statement,
  attachLetter: s.attach_letter,
  templates: s.templates,
});

export async function loadStep(db: Db, orgId: number, stepId: number): Promise<StepInfo> {
  const s = await chaseDb(db)
    .selectFrom("dunning_steps")
    .selectAll()
    .where("org_id", "=", orgId)
    .where("id", "=", stepId)
    .executeTakeFirst();
  if (!s) throw notFound("dunning step");
  return toInfo(s);
}

/** The letter step of the same policy and day, whose letter an email step attaches. */
async function siblingLetter(db: Db, orgId: number, step: StepInfo): Promise<StepInfo | null> {
  if (step.policyId === null) return null;
  const s = await chaseDb(db)
    .selectFrom("dunning_steps")
    .selectAll()
    .where("org_id", "=", orgId)
    .where("policy_id", "=", step.policyId)
    .where("offset_days", "=", step.offsetDays)
    .where("channel", "=", "letter")
    .where("active", "=", true)
    .orderBy("position")
    .executeTakeFirst();
  return s ? toInfo(s) : null;
}

function pickTemplate(templates: StepTemplates, lang: Lang) {
  const t = templates[lang] ?? templates.fr ?? templates.en;
  if (!t) throw new TemplateError("the step has no template");
  return t;
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The HTML part: the text, escaped, with links made clickable. */
export function textToHtml(text: string, lang: Lang): string {
  const body = escapeHtml(text).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);
  return `<!doctype html><html lang="${lang}"><body><div style="font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;white-space:pre-wrap">${body}</div></body></html>`;
}

const slug = (s: string) =>
  s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();

export async function renderMessage(
  db: Db,
  orgId: number,
  options: Omit<LoadOptions, "step"> & { step: StepInfo; attachments?: boolean },
): Promise<RenderedMessage> {
  const data = await loadMessageData(db, orgId, options);
  const { lang } = data;
  const step = options.step;
  const rendered = await renderStep(pickTemplate(step.templates, lang), templateContext(data));
  const attachments: Attachment[] = [];
  if (options.attachments !== false) {
    if (step.channel === "letter") {
      const letter = await renderStep(pickTemplate(step.templates, lang), templateContext(data, { forLetter: true }));
      attachments.push({
        filename: `${slug(letter.subject)}-${slug(data.customer.ref)}-${data.asOf}.pdf`,
        content: Buffer.from(await renderLetterPdf(data, letter)),
        contentType: "application/pdf",
      });
    }
    if (step.attachLetter && step.channel === "email") {
      const letterStep = (await siblingLetter(db, orgId, step)) ?? step;
      const letterData = letterStep === step ? data : { ...data, step: letterStep };
      const letter = await renderStep(pickTemplate(letterStep.templates, lang), templateContext(letterData, { forLetter: true }));
      attachments.push({
        filename: `${slug(letter.subject)}-${slug(data.customer.ref)}-${data.asOf}.pdf`,
        content: Buffer.from(await renderLetterPdf(letterData, letter)),
        contentType: "application/pdf",
      });
    }
    if (step.attachStatement) {
      attachments.push({
        filename: `${lang === "fr" ? "releve" : "statement"}-${slug(data.customer.ref)}-${data.asOf}.pdf`,
        content: Buffer.from(await renderStatementPdf(data)),
        contentType: "application/pdf",
      });
    }
  }
  return {
    lang,
    subject: rendered.subject,
    text: rendered.body,
    html: textToHtml(rendered.body, lang),
    attachments,
    warnings: data.warnings,
    data,
  };
}
