/**
 * Where messages go: an SMTP server (`SMTP_URL`, e.g. smtp://user:pass@host:587) through
 * nodemailer, or — when no SMTP server is configured — `.eml` files in a directory (the
 * data directory's `outbox/mail`, or `RELANCE_MAIL_DIR`), which the CLI says.
 * Webhook steps are POSTed as JSON signed with HMAC-SHA256.
 */
import { createHmac } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import { z } from "zod";
import type { Store } from "../store/connect.js";

const DunningEnvSchema = z.object({
  SMTP_URL: z
    .string()
    .url()
    .refine((s) => /^smtps?:\/\//.test(s), "smtp:// or smtps:// URL expected")
    .optional(),
  RELANCE_MAIL_DIR: z.string().min(1).optional(),
  RELANCE_DATA_DIR: z.string().min(1).default("./data"),
  /** How long a claimed message stays reserved for its worker (crash recovery delay). */
  RELANCE_OUTBOX_LEASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** "off": `relance serve` does not schedule dunning runs. */
  RELANCE_SCHEDULER: z.enum(["on", "off"]).default("on"),
});
export type DunningEnv = z.infer<typeof DunningEnvSchema>;

export function dunningEnv(env: NodeJS.ProcessEnv = process.env): DunningEnv {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = DunningEnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`invalid environment variable ${first?.path.join(".")}: ${first?.message}`);
  }
  return parsed.data;
}

/** Directory for .eml files and letter PDFs: RELANCE_MAIL_DIR, else `<data dir>/outbox`. */
export function filesDirFor(store: Pick<Store, "kind" | "location">, env: DunningEnv = dunningEnv()): string {
  if (env.RELANCE_MAIL_DIR) return path.resolve(env.RELANCE_MAIL_DIR);
  return store.kind === "pglite" ? path.join(store.location, "outbox") : path.resolve(env.RELANCE_DATA_DIR, "outbox");
}

export interface OutgoingMail {
  from: string;
  to: string[];
  replyTo?: string | null;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** Fixed per message, so that a resent message carries the same Date header. */
  date?: Date;
  headers?: Record<string, string>;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
}

export interface MailTransport {
  kind: "smtp" | "file";
  /** For messages: "SMTP host:port" or the directory of .eml files. */
  description: string;
  dir?: string;
  send(mail: OutgoingMail): Promise<{ response: string; rejected: string[] }>;
  close(): void;
}

/** An SMTP error with a 5xx reply is permanent; 4xx replies and network errors are retried. */
export function isPermanentSmtpError(error: unknown): boolean {
  const code = (error as { responseCode?: number }).responseCode;
  return typeof code === "number" && code >= 500;
}

function toNodemailer(mail: OutgoingMail) {
  return {
    from: mail.from,
    to: mail.to,
    replyTo: mail.replyTo ?? undefined,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    headers: mail.headers,
    attachments: mail.attachments,
    date: mail.date,
  };
}

export function smtpTransport(url: string): MailTransport {
  const parsed = new URL(url);
  const t = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: 4,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    kind: "smtp",
    description: `SMTP ${parsed.hostname}:${parsed.port || (parsed.protocol === "smtps:" ? 465 : 587)}`,
    async send(mail) {
      const info = await t.sendMail(toNodemailer(mail));
      return { response: String(info.response ?? ""), rejected: (info.rejected ?? []).map(String) };
    },
    close: () => t.close(),
  };
}

/** Writes each message as `<dir>/<message-id>.eml` (atomically: a resend overwrites it). */
export function fileTransport(dir: string): MailTransport {
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    kind: "file",
    description: dir,
    dir,
    async send(mail) {
      const info = await t.sendMail(toNodemailer(mail));
      await mkdir(dir, { recursive: true });
      const name = mail.messageId.replace(/[<>]/g, "").replace(/[^A-Za-z0-9@._-]/g, "_");
      const file = path.join(dir, `${name}.eml`);
      await writeFile(`${file}.tmp`, info.message as Buffer);
      await rename(`${file}.tmp`, file);
      return { response: `written ${file}`, rejected: [] };
    },
    close: () => t.close(),
  };
}

export function mailTransportFromEnv(filesDir: string, env: DunningEnv = dunningEnv()): MailTransport {
  return env.SMTP_URL ? smtpTransport(env.SMTP_URL) : fileTransport(path.join(filesDir, "mail"));
}

export class WebhookError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = "WebhookError";
  }
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe-style receivers expect. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** POSTs a JSON body; 2xx = delivered, 4xx (but 408/429) = permanent failure, the rest is retried. */
export async function postWebhook(url: string, secret: string | undefined, body: unknown, idempotencyKey: string): Promise<number> {
  const json = JSON.stringify(body);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "Relance-Webhook/1",
    "idempotency-key": idempotencyKey,
    "x-relance-event": "dunning.step",
  };
  if (secret) headers["x-relance-signature"] = webhookSignature(secret, timestamp, json);
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers, body: json, signal: AbortSignal.timeout(15_000), redirect: "error" });
  } catch (error) {
    throw new WebhookError(`webhook ${new URL(url).host} unreachable: ${(error as Error).message}`, false);
  }
  if (res.ok) return res.status;
  const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
  throw new WebhookError(`webhook answered HTTP ${res.status}`, permanent);
}
