/**
 * A test email sent with the organisation's mail settings (mail.from, mail.reply_to) through
 * the transport the dunning worker uses: SMTP when SMTP_URL is set, else an .eml file whose
 * path is returned, so that an admin can check the configuration before the first reminder.
 */
import { randomUUID } from "node:crypto";
import { AppError, invalid } from "../errors.js";
import { type Actor, requirePermission } from "../services/actor.js";
import { audit } from "../services/audit.js";
import { readSettings } from "../services/settings.js";
import type { Store } from "../store/connect.js";
import { dunningEnv, filesDirFor, type MailTransport, mailTransportFromEnv } from "./transport.js";

export interface TestEmailResult {
  sent: true;
  to: string;
  via: "smtp" | "eml";
  /** The .eml file written when no SMTP server is configured. */
  path?: string;
}

export async function sendTestEmail(
  store: Pick<Store, "db" | "kind" | "location">,
  actor: Actor,
  input: { to?: string | null },
  transport?: MailTransport,
): Promise<TestEmailResult> {
  requirePermission(actor, "admin");
  const db = store.db;
  let to = input.to?.trim() || null;
  if (!to && actor.userId !== null) {
    const user = await db.selectFrom("users").select("email").where("id", "=", actor.userId).executeTakeFirst();
    to = user?.email ?? null;
  }
  if (!to) throw invalid("no address to send the test email to", [{ field: "to", message: "required when the caller has no email" }]);
  const settings = await readSettings(db, actor.orgId);
  const company = settings["company.name"] ?? "Relance";
  const from = settings["mail.from"] ?? `${company} <relance@localhost>`;
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? "localhost";
  const env = dunningEnv();
  const t = transport ?? mailTransportFromEnv(filesDirFor(store, env), env);
  const messageId = `<test-${randomUUID()}@${domain}>`;
  const text = [
    `Cet e-mail de test a été envoyé par Relance pour ${company}.`,
    "Si vous le lisez, les relances par e-mail partiront correctement.",
    "",
    `This test email was sent by Relance for ${company}.`,
    "If you can read it, email reminders will be delivered.",
    "",
    `Expéditeur / From: ${from}`,
    `Réponse à / Reply-To: ${settings["mail.reply_to"] ?? "—"}`,
    `Transport: ${t.kind === "smtp" ? t.description : "fichier .eml / .eml file"}`,
  ].join("\n");
  const html = `<p>${text
    .split("\n")
    .map((l) => l.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"))
    .join("<br>")}</p>`;
  try {
    const info = await t.send({
      from,
      to: [to],
      replyTo: settings["mail.reply_to"] ?? null,
      subject: `Relance — e-mail de test / test email (${company})`,
      text,
      html,
      messageId,
      headers: { "X-Relance-Test": "1", "Auto-Submitted": "auto-generated" },
    });
    if (info.rejected.length > 0) throw new AppError("unavailable", `the mail server refused ${info.rejected.join(", ")}`);
    await audit(db, actor, "test_email", "org", actor.orgId, { to, via: t.kind });
    if (t.kind === "smtp") return { sent: true, to, via: "smtp" };
    const path = info.response.startsWith("written ") ? info.response.slice("written ".length) : undefined;
    return { sent: true, to, via: "eml", ...(path ? { path } : {}) };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError("unavailable", `the test email could not be sent (${t.description}): ${(error as Error).message}`);
  } finally {
    if (!transport) t.close();
  }
}
