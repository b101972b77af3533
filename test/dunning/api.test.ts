import { rm } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/api/app.js";
import { runDunning } from "../../src/services/run-dunning.js";
import { BACKENDS, openTestDb, type TestDb } from "../helpers/db.js";
import { loginCookie, makeApp, makeInvoice, makeMember, PASSWORD } from "../helpers/factories.js";
import { chaseOrg, customer, tempDir } from "./helpers.js";
import { pdfText } from "./pdf-text.js";

let files: string;
beforeAll(async () => {
  files = await tempDir();
  // No SMTP server here: emails are written as .eml files in this directory.
  process.env.RELANCE_MAIL_DIR = files;
  delete process.env.SMTP_URL;
});
afterAll(async () => {
  await rm(files, { recursive: true, force: true });
});

describe.each(BACKENDS)("chase API on %s", (backend) => {
  let t: TestDb;
  let app: App;
  afterEach(async () => {
    await app?.close();
    await t?.dispose();
  });

  /** Org A (acme) and org B (beta), each with a customer and an overdue invoice, B with one of everything. */
  async function setup() {
    t = await openTestDb(backend);
    const a = await chaseOrg(t.store, "acme");
    const b = await chaseOrg(t.store, "beta");
    await makeMember(t.store, a.org.id, "viewer", "viewer@acme.example");
    await makeMember(t.store, a.org.id, "collector", "collector@acme.example");
    const ca = await customer(t.store, a.org.id, "C-A", { name: "Alpha SARL", address: "1 rue A\n75001 Paris" });
    const cen = await customer(t.store, a.org.id, "C-EN", { name: "Thames Ltd", language: "en" });
    const cb = await customer(t.store, b.org.id, "C-B");
    const fa = await makeInvoice(t.store, a.org.id, ca.id, "FA-1", 120_000, "2025-12-01", "2026-01-05");
    await makeInvoice(t.store, a.org.id, cen.id, "FE-1", 50_000, "2025-12-01", "2026-01-05");
    const fb = await makeInvoice(t.store, b.org.id, cb.id, "FB-1", 80_000, "2025-12-01", "2026-01-05");
    await runDunning(t.store, b.owner, { asOf: "2026-02-10", filesDir: files });
    app = await makeApp(t.store);
    const owner = await loginCookie(app, a.ownerEmail);
    const ownerB = await loginCookie(app, b.ownerEmail);
    const viewer = await loginCookie(app, "viewer@acme.example");
    const collector = await loginCookie(app, "collector@acme.example");
    const call = (cookie: string | null, method: string, url: string, payload?: unknown) =>
      app.inject({ method: method as "GET", url, payload: payload as object, headers: cookie ? { cookie } : {} });
    // B's ids of each kind.
    const bPolicies = (await call(ownerB, "GET", "/api/dunning/policies")).json().items;
    const bMessages = (await call(ownerB, "GET", "/api/dunning/messages")).json().items;
    const bTask = (await call(ownerB, "POST", "/api/tasks", { customerId: cb.id, title: "Call", kind: "call" })).json();
    const bPromise = (
      await call(ownerB, "POST", `/api/customers/${cb.id}/promises`, { amount: "100.00", promisedDate: "2026-03-01" })
    ).json();
    const bDispute = (await call(ownerB, "POST", `/api/documents/${fb.id}/disputes`, { reason: "x" })).json();
    const B = {
      customer: cb.id,
      document: fb.id,
      policy: bPolicies[0].id as number,
      step: bPolicies[0].steps[1].id as number,
      message: bMessages.find((m: { channel: string }) => m.channel === "letter").id as number,
      task: bTask.id as number,
      promise: bPromise.id as number,
      dispute: bDispute.id as number,
    };
    return { a, b, ca, cen, fa, owner, viewer, collector, call, B };
  }

  it("answers 401 without a session, 403 to a viewer on writes, and 404 for another organisation's ids, on every route", async () => {
    const s = await setup();
    const { B } = s;
    const stepBody = { name: "S", offsetDays: 1, channel: "email", templates: { fr: { subject: "s", body: "b" } } };
    // [method, url with B's ids, body, write?]
    const routes: [string, string, unknown, boolean][] = [
      ["GET", "/api/dunning/policies", undefined, false],
      ["GET", `/api/dunning/policies/${B.policy}`, undefined, false],
      ["POST", "/api/dunning/policies", { name: "P", steps: [stepBody] }, true],
      ["PATCH", `/api/dunning/policies/${B.policy}`, { description: "x" }, true],
      ["DELETE", `/api/dunning/policies/${B.policy}`, undefined, true],
      ["PUT", `/api/customers/${B.customer}/dunning-policy`, { policyId: null }, true],
      ["POST", "/api/dunning/preview", { customerId: B.customer, stepId: B.step }, false],
      ["GET", "/api/dunning/approvals", undefined, false],
      ["POST", `/api/dunning/approvals/${B.message}/approve`, undefined, true],
      ["POST", `/api/dunning/approvals/${B.message}/reject`, {}, true],
      ["GET", "/api/dunning/messages", undefined, false],
      ["GET", `/api/dunning/messages/${B.message}`, undefined, false],
      ["GET", `/api/dunning/messages/${B.message}/attachment`, undefined, false],
      ["POST", "/api/dunning/run", { asOf: "2026-02-10" }, true],
      ["GET", `/api/customers/${B.customer}/timeline`, undefined, false],
      ["GET", `/api/customers/${B.customer}/notes`, undefined, false],
      ["POST", `/api/customers/${B.customer}/notes`, { body: "n" }, true],
      ["GET", "/api/tasks", undefined, false],
      ["POST", "/api/tasks", { customerId: B.customer, title: "t" }, true],
      ["POST", `/api/tasks/${B.task}/complete`, { outcome: "reached" }, true],
      ["GET", "/api/promises", undefined, false],
      ["POST", `/api/customers/${B.customer}/promises`, { amount: "1.00", promisedDate: "2026-03-01" }, true],
      ["POST", `/api/promises/${B.promise}/status`, { status: "kept" }, true],
      ["GET", "/api/disputes", undefined, false],
      ["POST", `/api/documents/${B.document}/disputes`, { reason: "r" }, true],
      ["POST", `/api/disputes/${B.dispute}/resolve`, { status: "resolved" }, true],
      ["POST", `/api/customers/${B.customer}/pause`, { until: "2026-04-01" }, true],
      ["POST", `/api/customers/${B.customer}/resume`, undefined, true],
      ["POST", `/api/customers/${B.customer}/remind`, {}, true],
      ["GET", "/api/settings", undefined, false],
      ["PATCH", "/api/settings", { "company.name": "X" }, true],
    ];
    for (const [method, url, body, write] of routes) {
      const anon = await s.call(null, method, url, body);
      expect(anon.statusCode, `${method} ${url} without session`).toBe(401);
      if (write) {
        const v = await s.call(s.viewer, method, url, body);
        expect(v.statusCode, `${method} ${url} as viewer`).toBe(403);
        expect(v.json().code).toBe("forbidden");
      }
      if (/\/\d+(\/|$)/.test(url) || (body && JSON.stringify(body).includes(`:${B.customer}`))) {
        const other = await s.call(s.owner, method, url, body);
        expect(other.statusCode, `${method} ${url} with another org's id`).toBe(404);
      }
    }
    // Settings are for admins: a collector may read them, not change them.
    expect((await s.call(s.collector, "PATCH", "/api/settings", { "company.name": "X" })).statusCode).toBe(403);
    expect((await s.call(s.collector, "GET", "/api/settings")).statusCode).toBe(200);
    // Lists never show another organisation's rows.
    const lists = ["/api/dunning/messages", "/api/tasks", "/api/promises", "/api/disputes"];
    for (const url of lists) expect((await s.call(s.owner, "GET", url)).json().items, url).toEqual([]);
  });

  it("lists, creates with template validation, edits and assigns policies", async () => {
    const s = await setup();
    const list = (await s.call(s.owner, "GET", "/api/dunning/policies")).json();
    expect(list.items.map((p: { name: string }) => p.name)).toEqual(["Standard", "Gentle"]);
    expect(list.items[0].minOutstanding).toBe("5.00");
    const bad = await s.call(s.collector, "POST", "/api/dunning/policies", {
      name: "Key accounts",
      steps: [
        {
          name: "J+2",
          offsetDays: 2,
          channel: "email",
          templates: { fr: { subject: "Rappel {{ customer.name }}", body: "{% include 'x' %}" } },
        },
        { name: "J+9", offsetDays: 9, channel: "email", templates: { en: { subject: "{{ customer.name | nope }}", body: "ok" } } },
      ],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().problems.map((p: { field: string }) => p.field)).toEqual([
      "steps.0.templates.fr.body",
      "steps.1.templates.en.subject",
    ]);
    const created = await s.call(s.collector, "POST", "/api/dunning/policies", {
      name: "Key accounts",
      minOutstanding: "100.00",
      steps: [
        {
          name: "J+2",
          offsetDays: 2,
          channel: "email",
          templates: { fr: { subject: "Rappel {{ customer.name }}", body: "{{ invoice_table }}" } },
        },
        { name: "J+9", offsetDays: 9, channel: "call", templates: { fr: { subject: "Appeler", body: "." } } },
      ],
    });
    expect(created.statusCode).toBe(201);
    const p = created.json();
    expect(p).toMatchObject({ name: "Key accounts", isDefault: false, minOutstanding: "100.00" });
    const patched = await s.call(s.collector, "PATCH", `/api/dunning/policies/${p.id}`, {
      steps: [{ ...p.steps[0], offsetDays: 3, minOutstanding: null }],
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().steps.map((x: { id: number; offsetDays: number }) => [x.id, x.offsetDays])).toEqual([[p.steps[0].id, 3]]);
    const assigned = await s.call(s.collector, "PUT", `/api/customers/${s.ca.id}/dunning-policy`, { policyId: p.id });
    expect(assigned.json()).toEqual({ customerId: s.ca.id, dunningPolicyId: p.id });
    const standard = list.items[0];
    expect((await s.call(s.owner, "DELETE", `/api/dunning/policies/${standard.id}`)).statusCode).toBe(409);
    expect((await s.call(s.owner, "DELETE", `/api/dunning/policies/${p.id}`)).statusCode).toBe(204);
    const timeline = (await s.call(s.owner, "GET", `/api/customers/${s.ca.id}/timeline`)).json();
    expect(timeline.items[0]).toMatchObject({ type: "activity", kind: "policy_changed" });
  });

  it("previews any step for any customer in French or English, and the letter as a PDF", async () => {
    const s = await setup();
    const standard = (await s.call(s.owner, "GET", "/api/dunning/policies")).json().items[0];
    const firm = standard.steps.find((x: { offsetDays: number }) => x.offsetDays === 15);
    const letter = standard.steps.find((x: { channel: string }) => x.channel === "letter");
    const pfr = (
      await s.call(s.viewer, "POST", "/api/dunning/preview", { customerId: s.ca.id, stepId: firm.id, asOf: "2026-02-10" })
    ).json();
    expect(pfr.language).toBe("fr");
    expect(pfr.subject).toBe("Dernier rappel avant mise en demeure — 1\u202f200,00\u00a0€ impayés — ACME Industrie SAS");
    expect(pfr.totals).toEqual({
      outstanding: "1200.00",
      interest: "14.38",
      indemnities: "40.00",
      grandTotal: "1254.38",
      balance: "1200.00",
    });
    expect(pfr.text).toContain("article L441-10 du Code de commerce");
    const pen = (
      await s.call(s.viewer, "POST", "/api/dunning/preview", { customerId: s.ca.id, stepId: firm.id, asOf: "2026-02-10", language: "en" })
    ).json();
    expect(pen.subject).toBe("Final reminder before formal notice — €1,200.00 overdue — ACME Industrie SAS");
    const pdf = await s.call(s.viewer, "POST", "/api/dunning/preview?format=pdf", {
      customerId: s.ca.id,
      stepId: letter.id,
      asOf: "2026-02-10",
    });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers["content-type"]).toBe("application/pdf");
    const text = (await pdfText(pdf.rawPayload)).join("\n");
    expect(text).toMatch(/Total réclamé \| +\| 1 254,38 €/);
    expect(text).toContain("1 rue A");
  });

  it("runs dunning (dry run for readers), logs messages with their content and serves letters", async () => {
    const s = await setup();
    const dry = await s.call(s.viewer, "POST", "/api/dunning/run", { asOf: "2026-02-10", dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ asOf: "2026-02-10", planned: 4, sent: 0 });
    const run = (await s.call(s.collector, "POST", "/api/dunning/run", { asOf: "2026-02-10" })).json();
    expect(Object.keys(run).sort()).toEqual(["asOf", "failed", "messages", "planned", "sent", "skipped"]);
    expect(run).toMatchObject({ planned: 4, sent: 4, failed: 0 });
    const messages = (await s.call(s.viewer, "GET", "/api/dunning/messages?channel=email")).json().items;
    expect(messages).toHaveLength(2);
    expect(messages.find((m: { customer: { ref: string } }) => m.customer.ref === "C-EN")).toMatchObject({
      status: "sent",
      subject: "Formal notice to pay — Thames Ltd — €545.99", // 500.00 + 5.99 interest (36 days at 12.15 %) + 40.00
      to: ["c-en@client.example"],
      documents: ["FE-1"],
    });
    const letters = (await s.call(s.viewer, "GET", "/api/dunning/messages?channel=letter")).json().items;
    const letter = letters.find((m: { customer: { ref: string } }) => m.customer.ref === "C-A");
    expect(letter.hasAttachment).toBe(true);
    const pdf = await s.call(s.viewer, "GET", `/api/dunning/messages/${letter.id}/attachment`);
    expect(pdf.headers["content-type"]).toBe("application/pdf");
    expect((await pdfText(pdf.rawPayload)).join("\n")).toContain("Objet : Mise en demeure de payer");
    expect((await s.call(s.collector, "POST", "/api/dunning/run", { asOf: "2026-02-10" })).json()).toMatchObject({ planned: 0, sent: 0 });
  });

  it("queues steps that require approval until a collector approves or rejects them", async () => {
    const s = await setup();
    const gentle = (await s.call(s.owner, "GET", "/api/dunning/policies")).json().items[1];
    await s.call(s.owner, "PUT", `/api/customers/${s.ca.id}/dunning-policy`, { policyId: gentle.id });
    await s.call(s.owner, "PUT", `/api/customers/${s.cen.id}/dunning-policy`, { policyId: gentle.id });
    const run = (await s.call(s.collector, "POST", "/api/dunning/run", { asOf: "2026-02-20" })).json(); // +46: "Relance ferme (validée)"
    expect(run.messages.map((m: { status: string }) => m.status)).toEqual(["awaiting_approval", "awaiting_approval"]);
    const queue = (await s.call(s.viewer, "GET", "/api/dunning/approvals")).json().items;
    expect(queue).toHaveLength(2);
    expect(queue[0].preview.subject).toMatch(/^Règlement en retard : facture FA-1/);
    const [first, second] = queue;
    expect((await s.call(s.collector, "POST", `/api/dunning/approvals/${first.id}/approve`)).json()).toEqual({
      id: first.id,
      status: "pending",
    });
    expect(
      (await s.call(s.collector, "POST", `/api/dunning/approvals/${second.id}/reject`, { reason: "client en négociation" })).json(),
    ).toEqual({
      id: second.id,
      status: "cancelled",
    });
    expect((await s.call(s.collector, "POST", `/api/dunning/approvals/${second.id}/approve`)).statusCode).toBe(409);
    const next = (await s.call(s.collector, "POST", "/api/dunning/run", { asOf: "2026-02-20" })).json();
    expect(next.sent).toBe(1);
    const sent = (await s.call(s.viewer, "GET", `/api/dunning/messages/${first.id}`)).json();
    expect(sent.status).toBe("sent");
    expect(sent.text).toContain("FA-1");
  });

  it("records notes, calls, promises, disputes and pauses on the timeline, newest first, page by page", async () => {
    const s = await setup();
    const c = s.ca.id;
    expect((await s.call(s.collector, "POST", `/api/customers/${c}/notes`, { body: "Client prévenu par téléphone" })).statusCode).toBe(201);
    const task = (
      await s.call(s.collector, "POST", "/api/tasks", { customerId: c, kind: "call", title: "Appeler la compta", dueDate: "2026-02-11" })
    ).json();
    expect(task).toMatchObject({ kind: "call", status: "open", customer: { id: c } });
    const done = await s.call(s.collector, "POST", `/api/tasks/${task.id}/complete`, {
      outcome: "promise",
      result: "Paiement promis le 20/02",
    });
    expect(done.json()).toMatchObject({ status: "done", result: "promise: Paiement promis le 20/02" });
    expect((await s.call(s.collector, "POST", `/api/tasks/${task.id}/complete`, {})).statusCode).toBe(409);
    const promise = (
      await s.call(s.collector, "POST", `/api/customers/${c}/promises`, { amount: "1200,00", promisedDate: "2026-02-20" })
    ).json();
    expect(promise).toMatchObject({ amount: "1200.00", status: "pending" });
    const held = (await s.call(s.collector, "POST", "/api/dunning/run", { asOf: "2026-02-10", dryRun: true })).json();
    expect(held.skipped.promise).toBe(1);
    expect((await s.call(s.collector, "POST", `/api/promises/${promise.id}/status`, { status: "broken" })).json().status).toBe("broken");
    const dispute = (await s.call(s.collector, "POST", `/api/documents/${s.fa.id}/disputes`, { reason: "Quantités contestées" })).json();
    expect(dispute.status).toBe("open");
    const doc = await t.store.db.selectFrom("documents").select("disputed").where("id", "=", s.fa.id).executeTakeFirstOrThrow();
    expect(doc.disputed).toBe(true);
    expect(
      (await s.call(s.collector, "POST", `/api/disputes/${dispute.id}/resolve`, { status: "resolved", note: "avoir émis" })).json().status,
    ).toBe("resolved");
    expect(
      (await s.call(s.collector, "POST", `/api/customers/${c}/pause`, { until: "2026-03-01", reason: "vacances" })).json(),
    ).toMatchObject({ onHoldUntil: "2026-03-01" });
    expect((await s.call(s.collector, "POST", `/api/customers/${c}/pause`, {})).statusCode).toBe(400);
    expect((await s.call(s.collector, "POST", `/api/customers/${c}/resume`)).json()).toMatchObject({ status: "active", onHoldUntil: null });
    await t.store.db.insertInto("payments").values({ org_id: s.a.org.id, customer_id: c, date: "2026-01-02", amount: 1234 }).execute();

    const kinds: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: { kind: string }[]; nextCursor: string | null } = (
        await s.call(s.viewer, "GET", `/api/customers/${c}/timeline?limit=3${cursor ? `&cursor=${cursor}` : ""}`)
      ).json();
      kinds.push(...page.items.map((i: { kind: string }) => i.kind));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(kinds).toEqual([
      "resumed",
      "paused",
      "dispute_resolved",
      "dispute_opened",
      "promise_broken",
      "promise",
      "call",
      "task",
      "note",
      "payment",
    ]);
    expect(pages).toBe(4);
    const all = (await s.call(s.viewer, "GET", `/api/customers/${c}/timeline?limit=50`)).json().items;
    expect(all.find((i: { kind: string }) => i.kind === "payment").data.amount).toBe("12.34");
    expect(all.find((i: { kind: string }) => i.kind === "call").data).toMatchObject({
      outcome: "promise",
      result: "Paiement promis le 20/02",
    });
  });

  it("sends a reminder now for a customer, refusing a paused one unless forced", async () => {
    const s = await setup();
    const sent = await s.call(s.collector, "POST", `/api/customers/${s.cen.id}/remind`, { asOf: "2026-02-10" });
    expect(sent.statusCode).toBe(201);
    expect(sent.json().status).toBe("sent");
    const msg = (await s.call(s.viewer, "GET", `/api/dunning/messages/${sent.json().outboxId}`)).json();
    expect(msg).toMatchObject({ origin: "manual", step: "Mise en demeure (e-mail)", documents: ["FE-1"] });
    await s.call(s.collector, "POST", `/api/customers/${s.ca.id}/pause`, { doNotChase: true });
    expect((await s.call(s.collector, "POST", `/api/customers/${s.ca.id}/remind`, { asOf: "2026-02-10" })).statusCode).toBe(409);
    const forced = await s.call(s.collector, "POST", `/api/customers/${s.ca.id}/remind`, { asOf: "2026-02-10", force: true });
    expect(forced.json().status).toBe("sent");
  });

  it("reads settings with secrets masked and lets admins change them with validation", async () => {
    const s = await setup();
    const patched = await s.call(s.owner, "PATCH", "/api/settings", {
      "webhook.secret": "0123456789abcdef0123",
      "bank.bic": "bnpafrpp",
      "dunning.schedule": "30 8 * * 1-5",
    });
    expect(patched.statusCode).toBe(200);
    const got = (await s.call(s.viewer, "GET", "/api/settings")).json().settings;
    expect(got["webhook.secret"]).toBe("********");
    expect(got["bank.bic"]).toBe("BNPAFRPP");
    expect(got["bank.iban"]).toBe("FR7630006000011234567890189");
    expect(got["dunning.schedule"]).toBe("30 8 * * 1-5");
    expect(got["dunning.timezone"]).toBe("Europe/Paris");
    const bad = await s.call(s.owner, "PATCH", "/api/settings", {
      "bank.iban": "FR76 3000 6000 0112 3456 7890 188",
      "dunning.schedule": "every day",
      nope: 1,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().problems.map((p: { field: string }) => p.field)).toEqual(["bank.iban", "dunning.schedule", "nope"]);
    const audit = await t.store.db
      .selectFrom("audit_log")
      .select("data")
      .where("org_id", "=", s.a.org.id)
      .where("entity", "=", "settings")
      .execute();
    expect(JSON.stringify(audit)).not.toContain("0123456789abcdef0123");
    expect(PASSWORD).toBeTruthy();
  });
});
