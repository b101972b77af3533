/**
 * Reading bounces: what a mail server sends back, sometimes days after it accepted a
 * reminder, when it could not deliver it. Two shapes:
 *
 * - a delivery status notification (RFC 3464): `multipart/report; report-type=delivery-status`
 *   with a human-readable part, a `message/delivery-status` part (per-message fields, then
 *   one block per recipient: Final-Recipient, Original-Recipient, Action, Status,
 *   Diagnostic-Code) and the original message or its headers (`message/rfc822`,
 *   `text/rfc822-headers`) carrying its Message-ID;
 * - a plain-text bounce (qmail, older Exchange, some hosted services) that says what went
 *   wrong in prose and quotes the original message below.
 *
 * Only the parsing lives here (mailparser does the MIME work); what a bounce changes is
 * services/record-bounce.ts. Our reminders carry a deterministic Message-ID
 * `<dunning-{org}-{outbox id}@{domain}>` (worker.ts), which is how a bounce finds its message.
 */
import { simpleParser } from "mailparser";

export interface BouncedRecipient {
  /** The address as we sent to it (Original-Recipient) when the report gives it, else Final-Recipient. */
  address: string;
  /** failed | delayed | delivered | relayed | expanded (RFC 3464), null for a plain-text bounce. */
  action: string | null;
  /** Enhanced status code (RFC 3463), e.g. "5.1.1". */
  status: string | null;
  /** The remote server's answer, e.g. "smtp; 550 5.1.1 User unknown". */
  diagnostic: string | null;
}

export interface ParsedBounce {
  /** dsn: an RFC 3464 report; plain: a prose bounce; none: this message does not look like a bounce. */
  format: "dsn" | "plain" | "none";
  /** Message-IDs of the original message quoted by the bounce, ours (`<dunning-…>`) first. */
  messageIds: string[];
  /** permanent: at least one recipient failed (5.x.x); delayed: only delays (4.x.x); none: no failure reported. */
  verdict: "permanent" | "delayed" | "none";
  /** The recipients the report is about (for a plain-text bounce, every address its prose names). */
  recipients: BouncedRecipient[];
  /** The first failure's status and diagnostic (or the delay's), for the timeline. */
  status: string | null;
  diagnostic: string | null;
  subject: string;
}

/** `<dunning-{org}-{outbox id}@{domain}>`, as worker.ts writes it. */
export const OUR_MESSAGE_ID = /^<dunning-(\d+)-(\d+)@[^<>\s]+>$/;

const DELIVERY_STATUS = new Set(["message/delivery-status", "message/global-delivery-status"]);
const ORIGINAL = new Set(["message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers"]);
const ENHANCED_STATUS = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;
const MESSAGE_ID_LINE = /^[ \t>]*Message-ID:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)/gim;
const ADDRESS = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+/g;

/** Header-style fields ("Name: value", continuation lines unfolded), lower-cased names. */
function fields(block: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      out.set(last, `${out.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([A-Za-z0-9-]+):[ \t]*(.*)$/.exec(line);
    if (!m) continue;
    last = (m[1] as string).toLowerCase();
    if (!out.has(last)) out.set(last, (m[2] as string).trim());
  }
  return out;
}

/** "rfc822; <Someone@Example.com>" → "someone@example.com". */
function addressField(value: string | undefined): string | null {
  if (!value) return null;
  const raw = value.includes(";") ? value.slice(value.indexOf(";") + 1) : value;
  const address = raw.trim().replace(/^<|>$/g, "").trim().toLowerCase();
  return address.includes("@") ? address : null;
}

function statusCode(value: string | undefined | null): string | null {
  const m = value ? ENHANCED_STATUS.exec(value) : null;
  return m ? `${m[1]}.${m[2]}.${m[3]}` : null;
}

/** Per-recipient blocks of a message/delivery-status body (the first block is per-message). */
function deliveryStatus(body: string): BouncedRecipient[] {
  const blocks = body.split(/\r?\n[ \t]*\r?\n/).map(fields);
  const out: BouncedRecipient[] = [];
  for (const f of blocks) {
    const address = addressField(f.get("original-recipient")) ?? addressField(f.get("final-recipient"));
    if (!address) continue;
    out.push({
      address,
      action: f.get("action")?.toLowerCase().split(/[\s(]/)[0] ?? null,
      status: statusCode(f.get("status")),
      diagnostic: f.get("diagnostic-code") ?? null,
    });
  }
  return out;
}

function messageIdsIn(text: string): string[] {
  return [...text.matchAll(MESSAGE_ID_LINE)].map((m) => m[1] as string);
}

const isFailure = (r: BouncedRecipient) => r.action === "failed" || (r.action === null && r.status?.startsWith("5") === true);
const isDelay = (r: BouncedRecipient) => r.action === "delayed" || (r.action === null && r.status?.startsWith("4") === true);

const BOUNCE_SENDER = /mailer-daemon|postmaster|mail delivery/i;
const BOUNCE_SUBJECT =
  /undeliver|not (been )?delivered|returned (mail|to sender)|delivery (status|failure|failed|notification|has failed)|failure notice|mail delivery failed|non remis|non distribu|remise impossible|échec (de (la )?)?(remise|livraison)|message retourné/i;
/** Where the quoted original starts in a plain-text bounce: what follows is our own text, not the report. */
const QUOTE_START =
  /^(?:-{2,}.*|.*(?:copy of the message|original message|message follows|returned message|message d'origine|message original).*|(?:Return-Path|Received|DKIM-Signature|Message-ID|X-[\w-]+):.*)$/im;

const SMTP_REPLY = /(?:^[\s>]*|(?:said|reply|replied|answered|response|error)\b[^:\n]{0,20}:\s*)([45])\d\d[\s-]/i;

/** What a plain-text bounce says, read from its prose only (never from the quoted original). */
function plainReport(text: string): Pick<ParsedBounce, "verdict" | "recipients" | "status" | "diagnostic"> {
  const cut = QUOTE_START.exec(text);
  const prose = cut ? text.slice(0, cut.index) : text;
  const lines = prose.split(/\r?\n/);
  const status = statusCode(prose);
  // An SMTP reply quoted in the prose: a line starting "550 5.1.1 …", or "… said: 550 …".
  let reply: string | null = null;
  let replyCode: string | undefined;
  for (const line of lines) {
    const m = SMTP_REPLY.exec(line);
    if (m) {
      reply = line.trim();
      replyCode = m[1];
      break;
    }
  }
  const diagnostic = (status ? lines.find((l) => l.includes(status))?.trim() : null) ?? reply;
  let verdict: ParsedBounce["verdict"] = "none";
  const klass = status?.[0] ?? replyCode;
  if (klass === "5") verdict = "permanent";
  else if (klass === "4") verdict = "delayed";
  else if (/permanent(ly)? (error|failure|fatal)|could not be delivered|définitivement|erreur permanente/i.test(prose))
    verdict = "permanent";
  else if (/delay|will (be )?retr|temporar|retard|nouvel essai/i.test(prose)) verdict = "delayed";
  const addresses = [...new Set((prose.match(ADDRESS) ?? []).map((a) => a.toLowerCase()))];
  return {
    verdict,
    status,
    diagnostic,
    recipients: addresses.map((address) => ({ address, action: null, status, diagnostic })),
  };
}

export async function parseBounce(raw: Buffer | string): Promise<ParsedBounce> {
  const mail = await simpleParser(raw, { keepDeliveryStatus: true, skipTextToHtml: true, skipImageLinks: true });
  const subject = mail.subject ?? "";
  const contentType = mail.headers.get("content-type") as { value?: string; params?: Record<string, string> } | undefined;
  const reports = mail.attachments.filter((a) => DELIVERY_STATUS.has(a.contentType.toLowerCase()));
  const originals = mail.attachments.filter((a) => ORIGINAL.has(a.contentType.toLowerCase()));
  const text = mail.text ?? "";

  // The original's own header first; then Message-ID lines quoted anywhere in the report.
  const ids: string[] = [];
  for (const a of originals) {
    const head = a.content.toString("utf8").split(/\r?\n\r?\n/)[0] ?? "";
    const id = /^<[^<>\s]+>$/.exec(fields(head).get("message-id")?.trim() ?? "")?.[0];
    if (id) ids.push(id);
    ids.push(...messageIdsIn(a.content.toString("utf8")));
  }
  ids.push(...messageIdsIn(text));
  const messageIds = [...new Set(ids)].sort((a, b) => Number(OUR_MESSAGE_ID.test(b)) - Number(OUR_MESSAGE_ID.test(a)));

  const isReport = contentType?.value?.toLowerCase() === "multipart/report" || reports.length > 0;
  if (isReport && reports.length > 0) {
    const recipients = reports.flatMap((a) => deliveryStatus(a.content.toString("utf8")));
    const failed = recipients.filter(isFailure);
    const delayed = recipients.filter(isDelay);
    const first = failed[0] ?? delayed[0] ?? null;
    return {
      format: "dsn",
      messageIds,
      verdict: failed.length ? "permanent" : delayed.length ? "delayed" : "none",
      recipients: failed.length ? failed : delayed.length ? delayed : recipients,
      status: first?.status ?? null,
      diagnostic: first?.diagnostic ?? null,
      subject,
    };
  }
  const from = mail.from?.text ?? "";
  if (!BOUNCE_SENDER.test(from) && !BOUNCE_SUBJECT.test(subject) && !isReport) {
    return { format: "none", messageIds, verdict: "none", recipients: [], status: null, diagnostic: null, subject };
  }
  return { format: "plain", messageIds, subject, ...plainReport(text) };
}
