import { readFile } from "node:fs/promises";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../src/api/app.js";
import { updateSettings } from "../src/services/settings.js";
import "../src/store/import-schema.js";
import { pay, startSmtp, tempDir } from "./dunning/helpers.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { loginCookie, makeApp, makeCustomer, makeInvoice, makeMember, makeOrg } from "./helpers/factories.js";

const PDF = Buffer.from("%PDF-1.7\n% Factur-X test\n%%EOF\n");
const SHA = "a".repeat(64);

describe.each(BACKENDS)("API gaps (original file, customer chase fields, disputed filter, test email) on %s", (backend) => {
  let t: TestDb;
  let app: App;
  let owner = "";
  let viewer = "";
  let collector = "";
  let ownerB = "";
  let mailDir = "";
  const savedEnv = { SMTP_URL: process.env.SMTP_URL, RELANCE_MAIL_DIR: process.env.RELANCE_MAIL_DIR };
  const ids = {} as { orgA: number; withFile: number; without: number; custA: number; custDisputed: number; custPaid: number };

  beforeAll(async () => {
    mailDir = await tempDir("relance-gaps-");
    delete process.env.SMTP_URL;
    process.env.RELANCE_MAIL_DIR = mailDir;
    t = await openTestDb(backend);
    const a = await makeOrg(t.store, "alpha");
    const b = await makeOrg(t.store, "beta");
    ids.orgA = a.org.id;
    await makeMember(t.store, a.org.id, "viewer", "viewer@alpha.example");
    await makeMember(t.store, a.org.id, "collector", "collector@alpha.example");
    await updateSettings(t.store.db, a.owner, { "company.name": "Alpha SAS", "mail.from": "Relances Alpha <relances@alpha.example>" });

    const c = await makeCustomer(t.store, a.org.id, "A-1", { name: "Aubert" });
    ids.custA = c.id;
    ids.withFile = (await makeInvoice(t.store, a.org.id, c.id, "FA-1", 120_000)).id;
    ids.without = (await makeInvoice(t.store, a.org.id, c.id, "FA-2", 50_000)).id;
    await t.store.db
      .insertInto("document_files")
      .values({
        org_id: a.org.id,
        document_id: ids.withFile,
        filename: "Facture FA-1 été.pdf",
        media_type: "application/pdf",
        sha256: SHA,
        size: PDF.length,
        bytes: PDF,
      })
      .execute();

    // Disputed customers: one with a disputed open invoice, one whose disputed invoice is paid.
    const d = await makeCustomer(t.store, a.org.id, "A-2", { name: "Bernard" });
    ids.custDisputed = d.id;
    const dd = await makeInvoice(t.store, a.org.id, d.id, "FD-1", 30_000);
    const p = await makeCustomer(t.store, a.org.id, "A-3", { name: "Collin" });
    ids.custPaid = p.id;
    const pd = await makeInvoice(t.store, a.org.id, p.id, "FP-1", 40_000);
    await pay(t.store, a.org.id, p.id, pd.id, 40_000, "2026-02-10");
    await t.store.db.updateTable("documents").set({ disputed: true }).where("id", "in", [dd.id, pd.id]).execute();
    // Two more disputed customers so that the filter is paged.
    for (const ref of ["A-4", "A-5"]) {
      const x = await makeCustomer(t.store, a.org.id, ref, { name: `Dupont ${ref}` });
      const xd = await makeInvoice(t.store, a.org.id, x.id, `F-${ref}`, 10_000);
      await t.store.db.updateTable("documents").set({ disputed: true }).where("id", "=", xd.id).execute();
    }
    await t.store.db
      .updateTable("customers")
      .set({ on_hold_until: "2026-12-31" } as never)
      .where("id", "=", d.id)
      .execute();

    app = await makeApp(t.store);
    owner = await loginCookie(app, a.ownerEmail);
    viewer = await loginCookie(app, "viewer@alpha.example");
    collector = await loginCookie(app, "collector@alpha.example");
    ownerB = await loginCookie(app, b.ownerEmail);
  });

  afterAll(async () => {
    await app?.close();
    await t?.dispose();
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("announces the new routes and the disputed filter in the OpenAPI document the web app reads", async () => {
    const doc = (await app.inject({ method: "GET", url: "/api/docs/json" })).json() as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
    };
    expect(doc.paths["/api/documents/{id}/original"]?.get).toBeDefined();
    expect(doc.paths["/api/settings/test-email"]?.post).toBeDefined();
    const params = (doc.paths["/api/customers"]?.get?.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
    expect(params).toContain("disputed");
  });

  describe("GET /api/documents/:id/original", () => {
    it("streams the stored file with its media type and a Content-Disposition filename", async () => {
      const res = await app.inject({ method: "GET", url: `/api/documents/${ids.withFile}/original`, headers: { cookie: viewer } });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("application/pdf");
      expect(res.headers["content-disposition"]).toBe(
        `inline; filename="Facture FA-1 ete.pdf"; filename*=UTF-8''Facture%20FA-1%20%C3%A9t%C3%A9.pdf`,
      );
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.rawPayload.equals(PDF)).toBe(true);
    });

    it("says hasOriginal in the document detail", async () => {
      const withFile = await app.inject({ method: "GET", url: `/api/documents/${ids.withFile}`, headers: { cookie: viewer } });
      expect(withFile.json()).toMatchObject({ number: "FA-1", hasOriginal: true });
      const without = await app.inject({ method: "GET", url: `/api/documents/${ids.without}`, headers: { cookie: viewer } });
      expect(without.json()).toMatchObject({ number: "FA-2", hasOriginal: false });
    });

    it("answers a 404 problem when the document has no original", async () => {
      const res = await app.inject({ method: "GET", url: `/api/documents/${ids.without}/original`, headers: { cookie: viewer } });
      expect(res.statusCode).toBe(404);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: "not_found", detail: expect.stringContaining("no original file") });
    });

    it("answers 401 without a session and 404 to another organisation", async () => {
      expect((await app.inject({ method: "GET", url: `/api/documents/${ids.withFile}/original` })).statusCode).toBe(401);
      const other = await app.inject({ method: "GET", url: `/api/documents/${ids.withFile}/original`, headers: { cookie: ownerB } });
      expect(other.statusCode).toBe(404);
      expect(other.json()).toMatchObject({ code: "not_found", detail: "document not found" });
    });
  });

  describe("GET /api/customers/:id chase fields", () => {
    it("returns onHoldUntil and dunningPolicyId", async () => {
      const paused = await app.inject({ method: "GET", url: `/api/customers/${ids.custDisputed}`, headers: { cookie: viewer } });
      expect(paused.json()).toMatchObject({ ref: "A-2", onHoldUntil: "2026-12-31", dunningPolicyId: null });
      const plain = await app.inject({ method: "GET", url: `/api/customers/${ids.custA}`, headers: { cookie: viewer } });
      expect(plain.json()).toMatchObject({ ref: "A-1", onHoldUntil: null, dunningPolicyId: null });
    });

    it("answers 401 without a session and 404 to another organisation", async () => {
      expect((await app.inject({ method: "GET", url: `/api/customers/${ids.custA}` })).statusCode).toBe(401);
      expect((await app.inject({ method: "GET", url: `/api/customers/${ids.custA}`, headers: { cookie: ownerB } })).statusCode).toBe(404);
    });
  });

  describe("GET /api/customers?disputed=true", () => {
    it("lists only customers with a disputed document still outstanding, page by page", async () => {
      const first = await app.inject({
        method: "GET",
        url: "/api/customers?disputed=true&limit=2&asOf=2026-03-01",
        headers: { cookie: viewer },
      });
      expect(first.statusCode).toBe(200);
      const p1 = first.json() as { items: { ref: string }[]; nextCursor: string | null };
      expect(p1.items.map((c) => c.ref)).toEqual(["A-2", "A-4"]);
      expect(p1.nextCursor).not.toBeNull();
      const second = await app.inject({
        method: "GET",
        url: `/api/customers?disputed=true&limit=2&asOf=2026-03-01&cursor=${encodeURIComponent(p1.nextCursor as string)}`,
        headers: { cookie: viewer },
      });
      const p2 = second.json() as { items: { ref: string }[]; nextCursor: string | null };
      expect(p2.items.map((c) => c.ref)).toEqual(["A-5"]);
      expect(p2.nextCursor).toBeNull();
    });

    it("counts a disputed invoice paid after asOf as still outstanding then", async () => {
      const res = await app.inject({ method: "GET", url: "/api/customers?disputed=true&asOf=2026-02-01", headers: { cookie: viewer } });
      expect((res.json() as { items: { ref: string }[] }).items.map((c) => c.ref)).toEqual(["A-2", "A-3", "A-4", "A-5"]);
    });

    it("answers 401 without a session and shows another organisation none of them", async () => {
      expect((await app.inject({ method: "GET", url: "/api/customers?disputed=true" })).statusCode).toBe(401);
      const other = await app.inject({ method: "GET", url: "/api/customers?disputed=true", headers: { cookie: ownerB } });
      expect(other.json()).toEqual({ items: [], nextCursor: null, riskAsOf: null });
    });
  });

  describe("POST /api/settings/test-email", () => {
    it("writes an .eml to the caller's address when no SMTP server is configured, and says where", async () => {
      const res = await app.inject({ method: "POST", url: "/api/settings/test-email", headers: { cookie: owner }, payload: {} });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { sent: boolean; to: string; via: string; path: string };
      expect(body).toMatchObject({ sent: true, to: "owner@alpha.example", via: "eml" });
      expect(path.dirname(body.path)).toBe(path.join(mailDir, "mail"));
      const mail = await simpleParser(await readFile(body.path));
      expect(mail.from?.text).toBe('"Relances Alpha" <relances@alpha.example>');
      expect(mail.subject).toContain("Alpha SAS");
    });

    it("sends through SMTP to a given address with the organisation's sender", async () => {
      const smtp = await startSmtp();
      process.env.SMTP_URL = smtp.url;
      try {
        const res = await app.inject({
          method: "POST",
          url: "/api/settings/test-email",
          headers: { cookie: owner },
          payload: { to: "compta@client.example" },
        });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ sent: true, to: "compta@client.example", via: "smtp" });
        await smtp.waitFor(1);
        const m = smtp.messages[0];
        expect(m?.from?.value[0]?.address).toBe("relances@alpha.example");
        expect(m?.to && !Array.isArray(m.to) ? m.to.value.map((x) => x.address) : []).toEqual(["compta@client.example"]);
        expect(m?.headers.get("x-relance-test")).toBe("1");
        expect(m?.text).toContain("e-mail de test");
      } finally {
        delete process.env.SMTP_URL;
        await smtp.close();
      }
    });

    it("answers 503 when the SMTP server refuses the recipient", async () => {
      const smtp = await startSmtp({ reject: () => ({ code: 550, message: "no such user" }) });
      process.env.SMTP_URL = smtp.url;
      try {
        const res = await app.inject({ method: "POST", url: "/api/settings/test-email", headers: { cookie: owner }, payload: {} });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ code: "unavailable" });
      } finally {
        delete process.env.SMTP_URL;
        await smtp.close();
      }
    });

    it("answers 400 to an invalid address, 401 without a session, 403 to a collector", async () => {
      const bad = await app.inject({
        method: "POST",
        url: "/api/settings/test-email",
        headers: { cookie: owner },
        payload: { to: "nope" },
      });
      expect(bad.statusCode).toBe(400);
      expect((await app.inject({ method: "POST", url: "/api/settings/test-email", payload: {} })).statusCode).toBe(401);
      const denied = await app.inject({ method: "POST", url: "/api/settings/test-email", headers: { cookie: collector }, payload: {} });
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toMatchObject({ code: "forbidden" });
    });

    it("sends to the other organisation's own caller, with its own settings", async () => {
      const res = await app.inject({ method: "POST", url: "/api/settings/test-email", headers: { cookie: ownerB }, payload: {} });
      expect(res.json()).toMatchObject({ sent: true, to: "owner@beta.example", via: "eml" });
      const mail = await simpleParser(await readFile((res.json() as { path: string }).path));
      expect(mail.from?.text).toContain("relance@localhost");
    });
  });
});
