import { rm } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planRun } from "../../src/dunning/engine.js";
import { chaseDb } from "../../src/dunning/schema.js";
import { smtpTransport } from "../../src/dunning/transport.js";
import { deliverDue } from "../../src/dunning/worker.js";
import { createPromise, openDispute, resolveDispute } from "../../src/services/collect.js";
import { listPolicies } from "../../src/services/dunning-policies.js";
import { runDunning } from "../../src/services/run-dunning.js";
import { updateSettings } from "../../src/services/settings.js";
import { BACKENDS, openTestDb, type TestDb } from "../helpers/db.js";
import { makeInvoice, makeMember } from "../helpers/factories.js";
import { activityRows, chaseOrg, customer, eventRows, outboxRows, pay, startSmtp, type TestSmtp, tempDir } from "./helpers.js";
import { pdfText } from "./pdf-text.js";

const NNBSP = "\u202f";
const NBSP = "\u00a0";
const fr = (s: string) => s.replaceAll(" ", NNBSP).replace(`${NNBSP}€`, `${NBSP}€`); // "1 500,00 €" as formatMoney writes it

describe.each(BACKENDS)("dunning engine and delivery on %s", (backend) => {
  let t: TestDb;
  let smtp: TestSmtp;
  let files: string;
  beforeEach(async () => {
    smtp = await startSmtp({
      reject: (rcpt) =>
        rcpt.startsWith("bounce")
          ? { code: 550, message: "5.1.1 mailbox unavailable" }
          : rcpt.startsWith("busy")
            ? { code: 451, message: "4.3.0 try later" }
            : null,
    });
    files = await tempDir();
  });
  afterEach(async () => {
    await smtp.close();
    await t?.dispose();
    await rm(files, { recursive: true, force: true });
  });

  /** A pooled SMTP transport, closed after use (an open connection would hold the test server's close). */
  async function withSmtp<T>(fn: (transport: ReturnType<typeof smtpTransport>) => Promise<T>): Promise<T> {
    const transport = smtpTransport(smtp.url);
    try {
      return await fn(transport);
    } finally {
      transport.close();
    }
  }

  /** Two customers (fr with an assigned collector, en), three invoices due Monday 2 March 2026. */
  async function setup() {
    t = await openTestDb(backend);
    const o = await chaseOrg(t.store);
    const julie = await makeMember(t.store, o.org.id, "collector", "julie@acme.example");
    await t.store.db.updateTable("users").set({ name: "Julie Moreau" }).where("id", "=", julie.id).execute();
    const cfr = await customer(t.store, o.org.id, "C-FR", {
      name: "Boulangerie Dupont SARL",
      assigned_user_id: julie.id,
      address: "12 rue des Lilas\n69003 Lyon",
    });
    const cen = await customer(t.store, o.org.id, "C-EN", { name: "Thames Trading Ltd", language: "en" });
    const f1 = await makeInvoice(t.store, o.org.id, cfr.id, "F-1", 120_000, "2026-01-31", "2026-03-02");
    const f2 = await makeInvoice(t.store, o.org.id, cfr.id, "F-2", 30_000, "2026-01-31", "2026-03-02");
    const f3 = await makeInvoice(t.store, o.org.id, cen.id, "F-3", 99_900, "2026-01-31", "2026-03-02");
    const run = (asOf: string, extra = {}) =>
      withSmtp((transport) => runDunning(t.store, o.owner, { asOf, transport, filesDir: files, ...extra }));
    return { ...o, cfr, cen, f1, f2, f3, run };
  }

  it("creates the shipped policies on first use for an organisation that existed before", async () => {
    const s = await setup();
    const policies = await listPolicies(t.store.db, s.owner);
    expect(policies.map((p) => [p.name, p.isDefault, p.steps.map((x) => `${x.offsetDays}:${x.channel}`)])).toEqual([
      ["Standard", true, ["-5:email", "1:email", "8:email", "15:email", "30:email", "30:letter", "45:call"]],
      ["Gentle", false, ["3:email", "15:email", "30:call", "45:email"]],
    ]);
    expect(policies[1]?.steps[3]?.requireApproval).toBe(true);
  });

  it("sends one reminder per customer and step through SMTP, in the customer's language, and nothing twice", async () => {
    const s = await setup();
    const { result } = await s.run("2026-03-03");
    expect(result).toMatchObject({
      asOf: "2026-03-03",
      planned: 2,
      sent: 2,
      failed: 0,
      skipped: { dispute: 0, promise: 0, hold: 0, minimum: 0 },
    });
    expect(result.messages.map((m) => [m.customer, m.step, m.channel, m.documents, m.status])).toEqual([
      ["C-FR", "Première relance", "email", ["F-1", "F-2"], "sent"],
      ["C-EN", "Première relance", "email", ["F-3"], "sent"],
    ]);
    expect(smtp.messages).toHaveLength(2);
    const outbox = await outboxRows(t.store, s.org.id);
    const mfr = smtp.messages.find((m) => m.subject?.startsWith("Relance"));
    const men = smtp.messages.find((m) => m.subject?.startsWith("Reminder"));
    const frRow = outbox.find((o) => o.customer_id === s.cfr.id);
    expect(mfr?.subject).toBe("Relance : 2 factures échues — ACME Industrie SAS");
    expect(mfr?.messageId).toBe(`<dunning-${s.org.id}-${frRow?.id}@acme.example>`);
    expect(mfr?.from?.text).toBe('"Relances ACME" <relances@acme.example>');
    expect(mfr?.replyTo?.text).toBe('"Julie Moreau" <julie@acme.example>'); // the assigned collector
    expect((mfr?.to as { text: string } | undefined)?.text).toBe("c-fr@client.example");
    expect(mfr?.text).toContain("Sauf erreur ou omission de notre part");
    expect(mfr?.text).toContain(`- Facture F-1 du 31/01/2026, échue le 02/03/2026 (1 jour de retard) : ${fr("1 200,00 €")}`);
    expect(mfr?.text).toContain(`Montant restant dû : ${fr("1 500,00 €")}`);
    expect(mfr?.text).toMatch(/en ligne : https:\/\/relance\.acme\.example\/p\/[\w-]+\.[\w-]+/);
    expect(mfr?.text).toContain("IBAN FR76 3000 6000 0112 3456 7890 189, BIC AGRIFRPP");
    expect(mfr?.text).toContain("Julie Moreau");
    expect(men?.subject).toBe("Reminder: invoice F-3 is overdue — ACME Industrie SAS");
    expect(men?.text).toContain("Dear Sir or Madam,");
    expect(men?.text).toContain("Amount outstanding: €999.00");
    expect(men?.text).toMatch(/reference: RF\d\d /);
    expect(men?.replyTo?.text).toBe("compta@acme.example");

    // Events: the +1 step sent for the three invoices, each listing the −5 courtesy reminder
    // it skipped (catch-up), never sent and not a row of its own.
    const events = await eventRows(t.store, s.org.id);
    expect(events.map((e) => e.status)).toEqual(["sent", "sent", "sent"]);
    const offsets = await chaseDb(t.store.db)
      .selectFrom("dunning_steps")
      .select(["id", "offset_days"])
      .where("org_id", "=", s.org.id)
      .where(
        "id",
        "in",
        events.flatMap((e) => e.skipped_steps ?? []),
      )
      .execute();
    expect(events.map((e) => e.skipped_steps?.length)).toEqual([1, 1, 1]);
    expect(offsets.map((o) => o.offset_days)).toEqual([-5]);
    const acts = await activityRows(t.store, s.org.id);
    expect(
      acts
        .filter((a) => a.kind === "reminder_sent")
        .map((a) => a.customer_id)
        .sort(),
    ).toEqual([s.cfr.id, s.cen.id].sort());

    const again = await s.run("2026-03-03");
    expect(again.result).toMatchObject({ planned: 0, sent: 0, failed: 0, messages: [] });
    expect(smtp.messages).toHaveLength(2);
    expect(await outboxRows(t.store, s.org.id)).toHaveLength(2);
  });

  it("writes nothing on a dry run", async () => {
    const s = await setup();
    await listPolicies(t.store.db, s.owner);
    const before = [
      (await outboxRows(t.store, s.org.id)).length,
      (await eventRows(t.store, s.org.id)).length,
      (await activityRows(t.store, s.org.id)).length,
    ];
    const { result } = await s.run("2026-03-03", { dryRun: true });
    expect(result.planned).toBe(2);
    expect(result.sent).toBe(0);
    expect(result.messages.map((m) => m.status)).toEqual(["dry_run", "dry_run"]);
    expect([
      (await outboxRows(t.store, s.org.id)).length,
      (await eventRows(t.store, s.org.id)).length,
      (await activityRows(t.store, s.org.id)).length,
    ]).toEqual(before);
    expect(smtp.messages).toHaveLength(0);
  });

  it("cancels a pending message when a payment arrives before the send, and drops paid documents from a message", async () => {
    const s = await setup();
    const planned = await planRun(t.store.db, s.org.id, { asOf: "2026-03-03" });
    expect(planned.planned).toBe(2);
    await pay(t.store, s.org.id, s.cen.id, s.f3.id, 99_900, "2026-03-03"); // F-3 settled
    await pay(t.store, s.org.id, s.cfr.id, s.f1.id, 120_000, "2026-03-03"); // F-1 settled, F-2 still due
    const report = await withSmtp((transport) => deliverDue({ store: t.store, orgId: s.org.id, transport, filesDir: files }));
    expect([report.sent, report.cancelled]).toEqual([1, 1]);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]?.subject).toBe("Relance : facture F-2 échue — ACME Industrie SAS");
    expect(smtp.messages[0]?.text).not.toContain("F-1");
    const outbox = await outboxRows(t.store, s.org.id);
    expect(outbox.find((o) => o.customer_id === s.cen.id)?.status).toBe("cancelled");
    const events = await eventRows(t.store, s.org.id);
    expect(
      events
        .filter((e) => e.status === "cancelled")
        .map((e) => [e.document_id, e.reason])
        .sort(),
    ).toEqual(
      [
        [s.f1.id, "paid"],
        [s.f3.id, "paid"],
      ].sort(),
    );
    expect((await activityRows(t.store, s.org.id)).some((a) => a.kind === "reminder_cancelled" && a.customer_id === s.cen.id)).toBe(true);
  });

  it("redirects every email to the test address in test mode", async () => {
    const s = await setup();
    await updateSettings(t.store.db, s.owner, { "mail.test_redirect": "qa@acme.example" });
    await s.run("2026-03-03");
    expect(smtp.messages.map((m) => (m.to as { text: string }).text)).toEqual(["qa@acme.example", "qa@acme.example"]);
    expect(smtp.messages.map((m) => m.headers.get("x-relance-original-to")).sort()).toEqual(["c-en@client.example", "c-fr@client.example"]);
  });

  it("marks a message failed on a 5xx answer and raises a task for the collector", async () => {
    const s = await setup();
    await t.store.db.updateTable("customers").set({ email: "bounce@client.example" }).where("id", "=", s.cfr.id).execute();
    const { result } = await s.run("2026-03-03");
    expect([result.sent, result.failed]).toEqual([1, 1]);
    const row = (await outboxRows(t.store, s.org.id)).find((o) => o.customer_id === s.cfr.id);
    expect(row?.status).toBe("failed");
    expect(row?.last_error).toMatch(/550/);
    const tasks = await t.store.db.selectFrom("tasks").selectAll().where("org_id", "=", s.org.id).execute();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ customer_id: s.cfr.id, kind: "follow_up", status: "open", assigned_user_id: s.cfr.assigned_user_id });
    expect(tasks[0]?.title).toMatch(/^Relance non délivrée \(Première relance\) à Boulangerie Dupont SARL/);
    const events = (await eventRows(t.store, s.org.id)).filter((e) => e.customer_id === s.cfr.id && e.status !== "skipped");
    expect(events.map((e) => e.status)).toEqual(["failed", "failed"]);
    expect((await activityRows(t.store, s.org.id)).filter((a) => a.kind === "reminder_failed")).toHaveLength(1);
  });

  it("retries a 4xx answer later with exponential backoff", async () => {
    const s = await setup();
    await t.store.db.updateTable("customers").set({ email: "busy@client.example" }).where("id", "=", s.cfr.id).execute();
    const { result } = await s.run("2026-03-03");
    expect([result.sent, result.failed]).toEqual([1, 0]);
    const row = (await outboxRows(t.store, s.org.id)).find((o) => o.customer_id === s.cfr.id);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row?.last_error).toMatch(/451/);
    const delay = (row?.next_attempt_at.getTime() ?? 0) - Date.now();
    expect(delay).toBeGreaterThan(50_000); // first retry after 60 s
    expect(delay).toBeLessThanOrEqual(60_000);
  });

  it("reports its progress: messages recorded, then messages sent out of those due", async () => {
    const s = await setup();
    const seen: { phase: string; done: number; total: number }[] = [];
    const { result } = await s.run("2026-03-03", { onProgress: (p: { phase: string; done: number; total: number }) => seen.push(p) });
    expect(result.planned).toBe(2);
    expect(seen.filter((p) => p.phase === "record")).toEqual([
      { phase: "record", done: 0, total: 2 },
      { phase: "record", done: 2, total: 2 },
    ]);
    expect(seen.filter((p) => p.phase === "send")).toEqual([
      { phase: "send", done: 0, total: 2 },
      { phase: "send", done: 1, total: 2 },
      { phase: "send", done: 2, total: 2 },
    ]);
    expect(seen.findIndex((p) => p.phase === "send")).toBeGreaterThan(seen.findLastIndex((p) => p.phase === "record"));
  });

  it("attempts a message once per sweep, even when it may be retried at once", async () => {
    const s = await setup();
    await t.store.db.updateTable("customers").set({ email: "busy@client.example" }).where("id", "=", s.cfr.id).execute();
    const busy = async () => (await outboxRows(t.store, s.org.id)).find((o) => o.customer_id === s.cfr.id);
    // No backoff: the 4xx message is due again at once, but not in the sweep that tried it.
    await s.run("2026-03-03", { workerOptions: { backoffSeconds: 0 } });
    expect(await busy()).toMatchObject({ status: "pending", attempts: 1 });
    await s.run("2026-03-03", { workerOptions: { backoffSeconds: 0 } });
    expect(await busy()).toMatchObject({ status: "pending", attempts: 2 });
  });

  it("sends the formal notice by email with the letter PDF, whose totals include L441-10 interest and 40 € per invoice", async () => {
    t = await openTestDb(backend);
    const o = await chaseOrg(t.store);
    const c = await customer(t.store, o.org.id, "C-FR", { name: "Boulangerie Dupont SARL", address: "12 rue des Lilas\n69003 Lyon" });
    await makeInvoice(t.store, o.org.id, c.id, "F-10", 120_000, "2025-12-01", "2026-01-05");
    await makeInvoice(t.store, o.org.id, c.id, "F-11", 50_000, "2025-12-01", "2026-01-05");
    const { result } = await withSmtp((transport) => runDunning(t.store, o.owner, { asOf: "2026-02-10", transport, filesDir: files }));
    expect(result.messages.map((m) => [m.step, m.channel, m.status])).toEqual([
      ["Mise en demeure (e-mail)", "email", "sent"],
      ["Mise en demeure (courrier)", "letter", "sent"],
    ]);
    // 36 days late at 12.15 %: 120 000 × 1215 × 36 / 3 650 000 = 1 438.03 → 14.38 €; 50 000 → 5.99 €.
    const mail = smtp.messages[0];
    expect(mail?.subject).toBe(`Mise en demeure de payer — Boulangerie Dupont SARL — ${fr("1 800,37 €")}`);
    expect(mail?.text).toContain("article L441-10 du Code de commerce");
    expect(mail?.text).toContain(`intérêts de retard au taux de la BCE majoré de 10 points (12,15${NBSP}%)`);
    expect(mail?.attachments.map((a) => a.contentType)).toEqual(["application/pdf"]);
    const letter = (await outboxRows(t.store, o.org.id)).find((r) => r.channel === "letter");
    expect(letter?.attachment).toBeTruthy();
    const text = (await pdfText(letter?.attachment as Buffer)).join("\n");
    expect(text).toContain("Lettre recommandée avec accusé de réception");
    expect(text).toContain("ACME Industrie SAS");
    expect(text).toContain("Boulangerie Dupont SARL");
    expect(text).toMatch(/F-10 \| +\| 01\/12\/2025 \| +\| 05\/01\/2026 \| +\| 1 200,00 € \| +\| 1 200,00 € \| +\| 36 \| +\| 14,38 €/);
    expect(text).toMatch(/Intérêts de retard \(art\. L441-10 C\. com\.\) \| +\| 20,37 €/);
    expect(text).toMatch(/40 € x 2 \(art\. D441-5 C\. com\.\) \| +\| 80,00 €/);
    expect(text).toMatch(/Total réclamé \| +\| 1 800,37 €/);
    expect(text).toContain("article 1344 du Code civil");
    const attached = (await pdfText(mail?.attachments[0]?.content as Buffer)).join("\n");
    expect(attached).toMatch(/Total réclamé \| +\| 1 800,37 €/);
    const tasks = await t.store.db.selectFrom("tasks").select(["kind", "title"]).where("org_id", "=", o.org.id).execute();
    expect(tasks).toEqual([
      { kind: "letter", title: expect.stringMatching(/^Imprimer et envoyer en recommandé AR : Mise en demeure de payer/) },
    ]);
  });

  it("holds back a disputed document, cancels a message whose document gets disputed, and resumes after resolution", async () => {
    const s = await setup();
    await planRun(t.store.db, s.org.id, { asOf: "2026-03-03" });
    const dispute = await openDispute(t.store.db, s.owner, s.f3.id, { reason: "Livraison incomplète", date: "2026-03-03" });
    const report = await withSmtp((transport) => deliverDue({ store: t.store, orgId: s.org.id, transport, filesDir: files }));
    expect([report.sent, report.cancelled]).toEqual([1, 1]);
    // Nothing was sent for F-3, and its step is free again: a later run may send it.
    expect((await eventRows(t.store, s.org.id)).filter((e) => e.document_id === s.f3.id && e.status !== "skipped")).toEqual([]);
    const held = await s.run("2026-03-04");
    expect(held.result.skipped.dispute).toBe(1);
    expect(held.result.planned).toBe(0);
    await resolveDispute(t.store.db, s.owner, dispute.id, { status: "rejected", date: "2026-03-05" });
    const resumed = await s.run("2026-03-05");
    expect(resumed.result.messages.map((m) => [m.customer, m.step, m.documents])).toEqual([["C-EN", "Première relance", ["F-3"]]]);
  });

  it("pauses while a promise to pay runs, then marks it broken and resumes with the latest step", async () => {
    const s = await setup();
    await createPromise(t.store.db, s.owner, s.cfr.id, { amount: 150_000, promisedDate: "2026-03-10" });
    const paused = await s.run("2026-03-03");
    expect(paused.result.skipped.promise).toBe(2);
    expect(paused.result.messages.map((m) => m.customer)).toEqual(["C-EN"]);
    const resumed = await s.run("2026-03-11"); // +8 fell on 10 March
    expect(resumed.result.messages.map((m) => [m.customer, m.step])).toEqual([
      ["C-FR", "Deuxième relance"],
      ["C-EN", "Deuxième relance"],
    ]);
    const promise = await t.store.db.selectFrom("promises").select("status").where("customer_id", "=", s.cfr.id).executeTakeFirstOrThrow();
    expect(promise.status).toBe("broken");
    expect((await activityRows(t.store, s.org.id)).some((a) => a.kind === "promise_broken" && a.customer_id === s.cfr.id)).toBe(true);
  });

  it("holds back customers on hold or marked do-not-chase, and balances under the minimum", async () => {
    const s = await setup();
    await t.store.db.updateTable("customers").set({ status: "do_not_chase" }).where("id", "=", s.cfr.id).execute();
    const small = await customer(t.store, s.org.id, "C-SMALL");
    await makeInvoice(t.store, s.org.id, small.id, "F-S", 400, "2026-01-31", "2026-03-02"); // 4.00 € < 5.00 €
    const { result } = await s.run("2026-03-03");
    expect(result.skipped).toEqual({ dispute: 0, promise: 0, hold: 2, minimum: 1 });
    expect(result.messages.map((m) => m.customer)).toEqual(["C-EN"]);
  });
});
