import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { App } from "../../src/api/app.js";
import { today } from "../../src/domain/dates.js";
import { parseBounce } from "../../src/dunning/bounce.js";
import { smtpTransport } from "../../src/dunning/transport.js";
import { recordBounce } from "../../src/services/record-bounce.js";
import { runDunning } from "../../src/services/run-dunning.js";
import { openStore, type Store } from "../../src/store/connect.js";
import { jsonOf, runCli } from "../helpers/cli.js";
import { BACKENDS, openTestDb, type TestDb } from "../helpers/db.js";
import { loginCookie, makeApp, makeInvoice, makeMember } from "../helpers/factories.js";
import { activityRows, chaseOrg, customer, eventRows, outboxRows, startSmtp, type TestSmtp, tempDir } from "./helpers.js";

const CRLF = "\r\n";

/** The headers of our reminder as a receiving server quotes them back. */
function originalHeaders(messageId: string, to: string): string[] {
  return [
    "Return-Path: <relances@acme.example>",
    "Received: from relance.acme.example (relance.acme.example [192.0.2.10])",
    "\tby mx.dupont.example (Postfix) with ESMTP id 7F3A1",
    `\tfor <${to}>; Tue,  3 Mar 2026 09:00:01 +0100 (CET)`,
    'From: "Relances ACME" <relances@acme.example>',
    `To: ${to}`,
    'Reply-To: "Julie Moreau" <julie@acme.example>',
    "Subject: =?UTF-8?Q?Relance_:_facture_F-1_=C3=A9chue_=E2=80=94_ACME_Industrie_SAS?=",
    `Message-ID: ${messageId}`,
    "Date: Tue, 03 Mar 2026 09:00:00 +0100",
    "MIME-Version: 1.0",
    "Auto-Submitted: auto-generated",
    "X-Relance-Customer: C-FR",
  ];
}

/**
 * An RFC 3464 delivery status notification as Postfix writes it: a multipart/report with the
 * human-readable notice, the message/delivery-status part (per-message fields, a blank line,
 * then the recipient's fields, a folded Diagnostic-Code) and the original message (or only
 * its headers, text/rfc822-headers).
 */
function dsn(o: { messageId: string; to: string; action: string; status: string; diagnostic: string; headersOnly?: boolean }): string {
  const b = "7F3A1.1772611202/mx.dupont.example";
  const delayed = o.action === "delayed";
  return [
    "Return-Path: <>",
    "Received: by mx.dupont.example (Postfix) id 9C2B4; Wed,  4 Mar 2026 10:00:02 +0100 (CET)",
    "Date: Wed,  4 Mar 2026 10:00:02 +0100 (CET)",
    "From: MAILER-DAEMON@mx.dupont.example (Mail Delivery System)",
    `Subject: ${delayed ? "Delayed Mail (still being retried)" : "Undelivered Mail Returned to Sender"}`,
    "To: relances@acme.example",
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status;${CRLF}\tboundary="${b}"`,
    "Content-Transfer-Encoding: 7bit",
    "Message-Id: <20260304090002.9C2B4@mx.dupont.example>",
    "",
    "This is a MIME-encapsulated message.",
    "",
    `--${b}`,
    "Content-Description: Notification",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "This is the mail system at host mx.dupont.example.",
    "",
    delayed
      ? "Your message could not be delivered for 1 day. It will be retried until it is 5 days old."
      : "I'm sorry to have to inform you that your message could not be delivered to one or more recipients.",
    "",
    `<${o.to}>: host mail.dupont.example[198.51.100.25] said: ${o.diagnostic}`,
    "",
    `--${b}`,
    "Content-Description: Delivery report",
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mx.dupont.example",
    "X-Postfix-Queue-ID: 7F3A1",
    "X-Postfix-Sender: rfc822; relances@acme.example",
    "Arrival-Date: Tue,  3 Mar 2026 09:00:01 +0100 (CET)",
    "",
    `Final-Recipient: rfc822; ${o.to}`,
    `Original-Recipient: rfc822;${o.to}`,
    `Action: ${o.action}`,
    `Status: ${o.status}`,
    "Remote-MTA: dns; mail.dupont.example",
    // Long fields are folded (RFC 5322 §2.2.3).
    `Diagnostic-Code: smtp; ${o.diagnostic.replace(": ", `:${CRLF}    `)}`,
    ...(delayed ? ["Will-Retry-Until: Sun,  8 Mar 2026 09:00:01 +0100 (CET)"] : []),
    "",
    `--${b}`,
    `Content-Description: ${o.headersOnly ? "Undelivered Message Headers" : "Undelivered Message"}`,
    `Content-Type: ${o.headersOnly ? "text/rfc822-headers" : "message/rfc822"}`,
    "",
    ...originalHeaders(o.messageId, o.to),
    ...(o.headersOnly ? [] : ["Content-Type: text/plain; charset=utf-8", "", "Bonjour,", "", "Sauf erreur ou omission de notre part…"]),
    "",
    `--${b}--`,
    "",
  ].join(CRLF);
}

/** A plain-text bounce (qmail): prose, the SMTP answer, then the original message quoted below a line. */
function qmailBounce(messageId: string, to: string): string {
  return [
    "Return-Path: <>",
    "Date: 4 Mar 2026 09:12:00 -0000",
    "From: MAILER-DAEMON@mail.dupont.example",
    "To: relances@acme.example",
    "Subject: failure notice",
    "",
    "Hi. This is the qmail-send program at mail.dupont.example.",
    "I'm afraid I wasn't able to deliver your message to the following addresses.",
    "This is a permanent error; I've given up. Sorry it didn't work out.",
    "",
    `<${to}>:`,
    "198.51.100.25 does not like recipient.",
    `Remote host said: 550 5.1.1 <${to}>... Mailbox disabled for this recipient`,
    "Giving up on 198.51.100.25.",
    "",
    "--- Below this line is a copy of the message.",
    "",
    ...originalHeaders(messageId, to),
    "Content-Type: text/plain; charset=utf-8",
    "",
    // Our own text, with figures that must not be read as status codes.
    "Montant restant dû : 1 200,00 € — 450 jours — réf. 4.2.2",
    "",
  ].join(CRLF);
}

describe("reading bounces (mailparser)", () => {
  const id = "<dunning-7-42@acme.example>";
  it("reads an RFC 3464 report: recipient, status, folded diagnostic and the original Message-ID", async () => {
    const b = await parseBounce(
      dsn({
        messageId: id,
        to: "compta@dupont.example",
        action: "failed",
        status: "5.1.1",
        diagnostic: "550 5.1.1 <compta@dupont.example>: Recipient address rejected: User unknown",
      }),
    );
    expect(b).toMatchObject({
      format: "dsn",
      verdict: "permanent",
      messageIds: [id],
      status: "5.1.1",
      diagnostic: "smtp; 550 5.1.1 <compta@dupont.example>: Recipient address rejected: User unknown",
      recipients: [{ address: "compta@dupont.example", action: "failed", status: "5.1.1" }],
    });
    const headersOnly = await parseBounce(
      dsn({
        messageId: id,
        to: "a@dupont.example",
        action: "failed",
        status: "5.2.2",
        diagnostic: "552 5.2.2 Mailbox full",
        headersOnly: true,
      }),
    );
    expect([headersOnly.verdict, headersOnly.messageIds, headersOnly.status]).toEqual(["permanent", [id], "5.2.2"]);
    const delayed = await parseBounce(
      dsn({ messageId: id, to: "a@dupont.example", action: "delayed", status: "4.4.1", diagnostic: "451 4.4.1 Connection timed out" }),
    );
    expect([delayed.verdict, delayed.status]).toEqual(["delayed", "4.4.1"]);
  });

  it("reads a plain-text bounce from its prose, not from the quoted reminder", async () => {
    const b = await parseBounce(qmailBounce(id, "compta@dupont.example"));
    expect(b).toMatchObject({
      format: "plain",
      verdict: "permanent",
      messageIds: [id],
      status: "5.1.1",
      diagnostic: "Remote host said: 550 5.1.1 <compta@dupont.example>... Mailbox disabled for this recipient",
    });
    expect(b.recipients.map((r) => r.address)).toEqual(["compta@dupont.example"]);
    // A customer's reply to a reminder is not a bounce, even quoting it.
    const reply = await parseBounce(
      [
        "From: Paul Dupont <compta@dupont.example>",
        "To: julie@acme.example",
        "Subject: Re: Relance : facture F-1 échue",
        `In-Reply-To: ${id}`,
        `References: ${id}`,
        "",
        "Bonjour, le virement part demain. 550 euros ont déjà été réglés.",
        "",
      ].join(CRLF),
    );
    expect([reply.format, reply.messageIds]).toEqual(["none", []]);
  });
});

describe.each(BACKENDS)("bounces on %s", (backend) => {
  let t: TestDb;
  let smtp: TestSmtp;
  let files: string;
  let app: App | undefined;
  beforeEach(async () => {
    smtp = await startSmtp();
    files = await tempDir();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await smtp.close();
    await t?.dispose();
    await rm(files, { recursive: true, force: true });
  });

  /** One reminder sent through a real SMTP server to Boulangerie Dupont (assigned to Julie): its row and Message-ID. */
  async function sentReminder(options: { secondAddress?: string } = {}) {
    t = await openTestDb(backend);
    const o = await chaseOrg(t.store);
    const julie = await makeMember(t.store, o.org.id, "collector", "julie@acme.example");
    await t.store.db.updateTable("users").set({ name: "Julie Moreau" }).where("id", "=", julie.id).execute();
    const c = await customer(t.store, o.org.id, "C-FR", {
      name: "Boulangerie Dupont SARL",
      email: "compta@dupont.example",
      assigned_user_id: julie.id,
    });
    if (options.secondAddress)
      await t.store.db
        .insertInto("contacts")
        .values({ org_id: o.org.id, customer_id: c.id, name: "Paul Dupont", email: options.secondAddress, is_primary: true })
        .execute();
    const f1 = await makeInvoice(t.store, o.org.id, c.id, "F-1", 120_000, "2026-01-31", "2026-03-02");
    const transport = smtpTransport(smtp.url);
    try {
      const { result } = await runDunning(t.store, o.owner, { asOf: "2026-03-03", transport, filesDir: files });
      expect(result.sent).toBe(1);
    } finally {
      transport.close();
    }
    const messageId = smtp.messages[0]?.messageId as string;
    const row = (await outboxRows(t.store, o.org.id))[0];
    expect(messageId).toBe(`<dunning-${o.org.id}-${row?.id}@acme.example>`);
    return { ...o, julie, c, f1, messageId, outboxId: row?.id as number };
  }

  async function counts(store: Store, orgId: number) {
    const tasks = await store.db.selectFrom("tasks").selectAll().where("org_id", "=", orgId).orderBy("id").execute();
    const failures = (await activityRows(store, orgId)).filter((a) => a.kind === "reminder_failed");
    return { tasks, failures };
  }

  it("marks the reminder failed from an RFC 3464 report posted to the API, with a task and a timeline entry, once", async () => {
    const s = await sentReminder();
    app = await makeApp(t.store);
    const collector = await loginCookie(app, "julie@acme.example");
    const report = dsn({
      messageId: s.messageId,
      to: "compta@dupont.example",
      action: "failed",
      status: "5.1.1",
      diagnostic: "550 5.1.1 <compta@dupont.example>: Recipient address rejected: User unknown in virtual mailbox table",
    });
    const api = app;
    const post = (cookie: string, body: string, type = "message/rfc822") =>
      api.inject({ method: "POST", url: "/api/dunning/bounces", payload: body, headers: { cookie, "content-type": type } });

    // Readers cannot record bounces; another organisation's bounce of our message finds nothing.
    await makeMember(t.store, s.org.id, "viewer", "viewer@acme.example");
    expect((await post(await loginCookie(app, "viewer@acme.example"), report)).statusCode).toBe(403);
    const other = await chaseOrg(t.store, "beta");
    const foreign = await post(await loginCookie(app, other.ownerEmail), report);
    expect(foreign.json()).toMatchObject({ outcome: "unknown_message", changed: false, outboxId: null });
    expect((await outboxRows(t.store, s.org.id))[0]?.status).toBe("sent");

    const res = await post(collector, report);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      outcome: "failed",
      changed: true,
      messageId: s.messageId,
      outboxId: s.outboxId,
      customer: { id: s.c.id, ref: "C-FR", name: "Boulangerie Dupont SARL" },
      recipients: ["compta@dupont.example"],
      status: "5.1.1",
      diagnostic: "smtp; 550 5.1.1 <compta@dupont.example>: Recipient address rejected: User unknown in virtual mailbox table",
    });
    const row = (await outboxRows(t.store, s.org.id))[0];
    expect(row?.status).toBe("failed");
    expect(row?.last_error).toBe(`bounced (compta@dupont.example): 5.1.1 ${body.diagnostic}`);
    // The same consequences as an SMTP 5xx at send time: the step failed, a follow-up task for Julie, the timeline.
    const events = (await eventRows(t.store, s.org.id)).filter((e) => e.status !== "skipped");
    expect(events.map((e) => [e.document_id, e.status])).toEqual([[s.f1.id, "failed"]]);
    const { tasks, failures } = await counts(t.store, s.org.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      id: body.taskId,
      customer_id: s.c.id,
      kind: "follow_up",
      status: "open",
      assigned_user_id: s.julie.id,
      due_date: today(),
    });
    expect(tasks[0]?.title).toMatch(
      /^Relance non délivrée \(Première relance\) à Boulangerie Dupont SARL : bounced \(compta@dupont\.example\): 5\.1\.1/,
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]?.customer_id).toBe(s.c.id);
    expect(failures[0]?.data).toMatchObject({
      outboxId: s.outboxId,
      taskId: body.taskId,
      bounce: { recipients: ["compta@dupont.example"], status: "5.1.1", messageId: s.messageId },
    });

    // The same bounce again (also as text/plain): nothing more.
    for (const type of ["message/rfc822", "text/plain"]) {
      const again = await post(collector, report, type);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ outcome: "duplicate", changed: false, outboxId: s.outboxId });
    }
    const after = await counts(t.store, s.org.id);
    expect([after.tasks.length, after.failures.length]).toEqual([1, 1]);
    // No body: a 400 that says what to send.
    const empty = await app.inject({ method: "POST", url: "/api/dunning/bounces", headers: { cookie: collector } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().detail).toMatch(/raw bounce message/);
  });

  it("changes nothing for a delay, a success report, an unknown Message-ID or a reply, and says so", async () => {
    const s = await sentReminder();
    app = await makeApp(t.store);
    const collector = await loginCookie(app, "julie@acme.example");
    const post = async (body: string) =>
      (
        await (app as App).inject({
          method: "POST",
          url: "/api/dunning/bounces",
          payload: body,
          headers: { cookie: collector, "content-type": "message/rfc822" },
        })
      ).json();
    const to = "compta@dupont.example";
    const delayed = await post(
      dsn({ messageId: s.messageId, to, action: "delayed", status: "4.4.1", diagnostic: "451 4.4.1 Connection timed out" }),
    );
    expect(delayed).toMatchObject({ outcome: "delayed", changed: false, outboxId: s.outboxId, status: "4.4.1" });
    expect(delayed.detail).toMatch(/only delayed \(4\.4\.1\).*nothing changed/);
    const delivered = await post(
      dsn({ messageId: s.messageId, to, action: "delivered", status: "2.0.0", diagnostic: "250 2.0.0 Ok: queued" }),
    );
    expect(delivered).toMatchObject({ outcome: "not_a_failure", changed: false });
    const unknownOurs = `<dunning-${s.org.id}-987654@acme.example>`;
    const unknown = await post(
      dsn({ messageId: unknownOurs, to, action: "failed", status: "5.1.1", diagnostic: "550 5.1.1 User unknown" }),
    );
    expect(unknown).toMatchObject({ outcome: "unknown_message", changed: false, messageId: unknownOurs, outboxId: null });
    expect(unknown.detail).toContain("nothing changed");
    const notOurs = await post(
      dsn({ messageId: "<CAF=xyz@mail.gmail.com>", to, action: "failed", status: "5.1.1", diagnostic: "550 5.1.1 User unknown" }),
    );
    expect(notOurs).toMatchObject({ outcome: "unknown_message", changed: false, messageId: "<CAF=xyz@mail.gmail.com>" });
    const reply = await post(
      [
        "From: compta@dupont.example",
        "To: julie@acme.example",
        "Subject: Re: Relance",
        `In-Reply-To: ${s.messageId}`,
        "",
        "Paiement demain.",
        "",
      ].join(CRLF),
    );
    expect(reply).toMatchObject({ outcome: "not_a_bounce", changed: false });

    expect((await outboxRows(t.store, s.org.id))[0]?.status).toBe("sent");
    expect((await eventRows(t.store, s.org.id)).filter((e) => e.status === "sent")).toHaveLength(1);
    const { tasks, failures } = await counts(t.store, s.org.id);
    expect([tasks.length, failures.length]).toEqual([0, 0]);

    // Two copies of a real bounce arriving at the same moment count once (the row is locked while deciding).
    const report = dsn({ messageId: s.messageId, to, action: "failed", status: "5.1.1", diagnostic: "550 5.1.1 User unknown" });
    const both = await Promise.all([recordBounce(t.store.db, s.owner, report), recordBounce(t.store.db, s.owner, report)]);
    expect(both.map((r) => r.outcome).sort()).toEqual(["duplicate", "failed"]);
    const after = await counts(t.store, s.org.id);
    expect([after.tasks.length, after.failures.length]).toEqual([1, 1]);
  });

  it("reads .eml files with `relance dunning bounce`: one recipient of two, then the other, then nothing twice", async () => {
    const s = await sentReminder({ secondAddress: "paul@dupont.example" });
    expect((smtp.messages[0]?.to as { text: string } | undefined)?.text).toBe("compta@dupont.example, paul@dupont.example");
    const plain = path.join(files, "qmail-paul.eml");
    const plainCopy = path.join(files, "qmail-paul-copy.eml");
    const report = path.join(files, "dsn-compta.eml");
    await writeFile(plain, qmailBounce(s.messageId, "paul@dupont.example"));
    await writeFile(plainCopy, qmailBounce(s.messageId, "paul@dupont.example"));
    await writeFile(
      report,
      dsn({
        messageId: s.messageId,
        to: "compta@dupont.example",
        action: "failed",
        status: "5.2.1",
        diagnostic: "550 5.2.1 <compta@dupont.example>: Mailbox disabled",
        headersOnly: true,
      }),
    );
    if (backend === "pglite") await t.store.close();
    const env = { ...t.env, RELANCE_SCHEDULER: "off" };
    const reopen = async () => (backend === "pglite" ? openStore({ dataDir: t.dataDir as string }) : t.store);

    // A file that cannot be read stops the command before anything is recorded.
    const missing = await runCli(["dunning", "bounce", plain, path.join(files, "nope.eml")], env);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("cannot read");

    const first = await runCli(["dunning", "bounce", plain, plainCopy, "--json"], env);
    expect(first.code, first.stderr).toBe(0);
    const out = jsonOf<{ changed: number; results: { file: string; outcome: string; changed: boolean; recipients: string[] }[] }>(first);
    expect(out.changed).toBe(1);
    expect(out.results.map((r) => [r.file, r.outcome, r.changed, r.recipients])).toEqual([
      [plain, "recipient_failed", true, ["paul@dupont.example"]],
      [plainCopy, "duplicate", false, ["paul@dupont.example"]],
    ]);
    let store = await reopen();
    try {
      // Paul's address bounced but the reminder reached the accounts department: it stays sent, Julie has a task.
      expect((await outboxRows(store, s.org.id))[0]?.status).toBe("sent");
      expect((await eventRows(store, s.org.id)).filter((e) => e.status === "sent")).toHaveLength(1);
      const { tasks, failures } = await counts(store, s.org.id);
      expect(tasks.map((x) => [x.kind, x.assigned_user_id])).toEqual([["follow_up", s.julie.id]]);
      expect(tasks[0]?.title).toContain("bounced (paul@dupont.example): 5.1.1 Remote host said: 550 5.1.1");
      expect(failures.map((a) => (a.data as { partial?: boolean }).partial)).toEqual([true]);
    } finally {
      if (store !== t.store) await store.close();
    }

    const second = await runCli(["dunning", "bounce", report], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`${report}: reminder ${s.outboxId} to C-FR bounced (compta@dupont.example, 5.2.1): marked failed`);
    expect(second.stdout).toContain("1 of 1 bounce(s) changed something.");
    const third = await runCli(["dunning", "bounce", report, plain], env);
    expect(third.stdout).toContain("is already marked failed: nothing changed");
    expect(third.stdout).toContain("0 of 2 bounce(s) changed something.");

    store = await reopen();
    try {
      const row = (await outboxRows(store, s.org.id))[0];
      expect(row?.status).toBe("failed");
      expect((row?.payload as { bounced?: string[] } | undefined)?.bounced).toEqual(["paul@dupont.example", "compta@dupont.example"]);
      expect((await eventRows(store, s.org.id)).filter((e) => e.status !== "skipped").map((e) => e.status)).toEqual(["failed"]);
      const { tasks, failures } = await counts(store, s.org.id);
      expect(tasks).toHaveLength(2);
      expect(failures.map((a) => (a.data as { partial?: boolean }).partial)).toEqual([true, false]);
    } finally {
      if (store !== t.store) await store.close();
    }
  }, 240_000);
});
