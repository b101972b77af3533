import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../src/api/app.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { loginCookie, makeApp, makeCustomer, makeInvoice, makeMember, makeOrg, PASSWORD } from "./helpers/factories.js";

type Json = Record<string, unknown>;
interface Res {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  json: () => unknown;
}

function problem(res: Res, status: number, code: string): Json {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
  const body = res.json() as Json;
  expect(body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
  return body;
}

const fieldsOf = (body: Json) => ((body.problems ?? []) as { field?: string }[]).map((p) => p.field);

describe.each(BACKENDS)("API routes on %s", (backend) => {
  let t: TestDb;
  let app: App;

  beforeAll(async () => {
    t = await openTestDb(backend);
    app = await makeApp(t.store);
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  /** A fresh organisation per test, with its owner logged in: lists hold only that test's rows. */
  async function newOrg(slug: string) {
    const o = await makeOrg(t.store, slug);
    const cookie = await loginCookie(app, o.ownerEmail);
    const call = async (method: "GET" | "POST" | "PATCH", url: string, payload?: Json): Promise<Res> =>
      app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
    const ok = async (method: "GET" | "POST" | "PATCH", url: string, payload?: Json, status = method === "POST" ? 201 : 200) => {
      const res = await call(method, url, payload);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
      return res.json() as Json;
    };
    return { ...o, cookie, call, ok };
  }

  it("answers the health check with the database in use", async () => {
    const res = await app.inject({ method: "GET", url: "/api/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok", database: backend, version: expect.any(String) });
  });

  it("logs in with an HTTP-only cookie, says who is calling, and logs out for good", async () => {
    await makeOrg(t.store, "login");
    const wrong = problem(
      await app.inject({ method: "POST", url: "/api/auth/login", payload: { email: "owner@login.example", password: "not the password" } }),
      401,
      "unauthenticated",
    );
    const unknown = problem(
      await app.inject({ method: "POST", url: "/api/auth/login", payload: { email: "nobody@login.example", password: PASSWORD } }),
      401,
      "unauthenticated",
    );
    expect(unknown.detail).toBe(wrong.detail);

    const res = await app.inject({ method: "POST", url: "/api/auth/login", payload: { email: "OWNER@login.example", password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user: { email: "owner@login.example" }, org: { slug: "login" }, role: "owner" });
    const cookie = res.cookies.find((c) => c.name === "relance_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    const headers = { cookie: `relance_session=${cookie?.value}` };

    const me = await app.inject({ method: "GET", url: "/api/auth/me", headers });
    expect(me.json()).toMatchObject({ user: { email: "owner@login.example" }, org: { slug: "login" }, role: "owner", via: "session" });

    const out = await app.inject({ method: "POST", url: "/api/auth/logout", headers });
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === "relance_session")?.value).toBe("");
    problem(await app.inject({ method: "GET", url: "/api/auth/me", headers }), 401, "unauthenticated");
  });

  it("creates an API key that works as a Bearer token, and refuses an invalid one", async () => {
    const o = await newOrg("keys");
    const created = await o.ok("POST", "/api/api-keys", { name: "erp", role: "accountant" });
    expect(created).toMatchObject({ name: "erp", role: "accountant", key: expect.stringMatching(/^rlk_[A-Za-z0-9_-]{40,}$/) });
    const bearer = { authorization: `Bearer ${created.key}` };
    const me = await app.inject({ method: "GET", url: "/api/auth/me", headers: bearer });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: null, org: { slug: "keys" }, role: "accountant", via: "api_key" });
    // The key acts with its role: an accountant key enters invoices but cannot create keys.
    const c = await makeCustomer(t.store, o.org.id, "K1");
    const doc = await app.inject({
      method: "POST",
      url: "/api/documents",
      headers: bearer,
      payload: { number: "K-1", customerId: c.id, issueDate: "2026-10-01", total: "10.00" },
    });
    expect(doc.statusCode).toBe(201);
    problem(await app.inject({ method: "POST", url: "/api/api-keys", headers: bearer, payload: { name: "x" } }), 403, "forbidden");

    const bad = await app.inject({
      method: "GET",
      url: "/api/auth/me",
      headers: { authorization: `Bearer ${String(created.key).slice(0, -1)}x` },
    });
    problem(bad, 401, "unauthenticated");
    problem(
      await app.inject({ method: "GET", url: "/api/customers", headers: { authorization: "Bearer nonsense" } }),
      401,
      "unauthenticated",
    );

    // Nobody hands out more than they hold: an admin cannot mint an owner key.
    await makeMember(t.store, o.org.id, "admin", "admin@keys.example");
    const admin = await loginCookie(app, "admin@keys.example");
    const owner = await app.inject({
      method: "POST",
      url: "/api/api-keys",
      headers: { cookie: admin },
      payload: { name: "o", role: "owner" },
    });
    problem(owner, 403, "forbidden");
    problem(await o.call("POST", "/api/api-keys", { name: "r", role: "superuser" }), 400, "invalid_input");
  });

  it("lists customers with search, sorts, filters and keyset pages that visit every row once", async () => {
    const o = await newOrg("list");
    const names = ["Durand", "Bernard", "Martin", "Bernard", "Petit", "Leroy", "Moreau"];
    const ids: number[] = [];
    for (const [i, name] of names.entries()) {
      const c = await o.ok("POST", "/api/customers", {
        ref: `C${i + 1}`,
        name,
        ...(name === "Petit" ? { email: "compta@petit.example" } : {}),
      });
      ids.push(c.id as number);
    }
    const [c1, c2, c3, c4, c5, c6, c7] = ids as [number, number, number, number, number, number, number];
    await makeInvoice(t.store, o.org.id, c1, "L-1", 100_000, "2026-09-01", "2026-10-01");
    await makeInvoice(t.store, o.org.id, c2, "L-2", 50_000, "2026-11-01", "2026-12-31");
    await makeInvoice(t.store, o.org.id, c4, "L-4", 50_000, "2026-11-01", "2026-12-31");
    await makeInvoice(t.store, o.org.id, c5, "L-5", 25_000, "2026-10-01", "2026-11-01");

    const pageThrough = async (query: string) => {
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await o.ok("GET", `/api/customers?${query}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
        const items = page.items as { id: number }[];
        expect(items.length).toBeLessThanOrEqual(3);
        seen.push(...items.map((i) => i.id));
        cursor = page.nextCursor as string | null;
        pages += 1;
      } while (cursor && pages < 10);
      return { seen, pages };
    };
    // Names tie (two Bernard), amounts tie (two 500.00, three 0.00): the id breaks ties.
    const byName = [c2, c4, c1, c6, c3, c7, c5];
    const byOutstanding = [c1, c4, c2, c5, c7, c6, c3];
    expect(await pageThrough("asOf=2026-11-20")).toEqual({ seen: byName, pages: 3 });
    expect(await pageThrough("sort=name&asOf=2026-11-20")).toEqual({ seen: byName, pages: 3 });
    expect(await pageThrough("sort=outstanding&asOf=2026-11-20")).toEqual({ seen: byOutstanding, pages: 3 });
    expect(await pageThrough("sort=outstanding&dir=asc&asOf=2026-11-20")).toEqual({ seen: [...byOutstanding].reverse(), pages: 3 });
    expect(await pageThrough("sort=name&dir=desc&asOf=2026-11-20")).toEqual({ seen: [...byName].reverse(), pages: 3 });

    const all = await o.ok("GET", "/api/customers?sort=outstanding&asOf=2026-11-20");
    expect((all.items as Json[]).slice(0, 4)).toEqual([
      expect.objectContaining({ ref: "C1", outstanding: "1000.00", overdue: "1000.00", openDocuments: 1 }),
      expect.objectContaining({ ref: "C4", outstanding: "500.00", overdue: "0.00" }),
      expect.objectContaining({ ref: "C2", outstanding: "500.00", overdue: "0.00" }),
      expect.objectContaining({ ref: "C5", outstanding: "250.00", overdue: "250.00" }),
    ]);
    expect(all.nextCursor).toBeNull();

    const refs = async (query: string) => ((await o.ok("GET", `/api/customers?${query}`)).items as { ref: string }[]).map((i) => i.ref);
    expect(await refs("q=BERN")).toEqual(["C2", "C4"]);
    expect(await refs("q=petit.example")).toEqual(["C5"]);
    expect(await refs("q=c7")).toEqual(["C7"]);
    expect(await refs("q=%25")).toEqual([]); // a literal %, not a wildcard
    expect(await refs("overdue=true&asOf=2026-11-20")).toEqual(["C1", "C5"]);
    expect(await refs("overdue=true&asOf=2026-10-15")).toEqual(["C1"]);
    expect(await refs("overdue=true&asOf=2026-09-15")).toEqual([]);

    expect(fieldsOf(problem(await o.call("GET", "/api/customers?cursor=garbage"), 400, "invalid_input"))).toContain("cursor");
    expect(fieldsOf(problem(await o.call("GET", "/api/customers?sort=colour"), 400, "invalid_input"))).toContain("sort");
  });

  it("shows a customer's outstanding, overdue and last payment as of a date (1200.00 − 500.00 = 700.00)", async () => {
    const o = await newOrg("detail");
    const c = await o.ok("POST", "/api/customers", { ref: "D1", name: "Dupont SARL", paymentTermsDays: 30 });
    const inv = await o.ok("POST", "/api/documents", { number: "F-1", customerId: c.id, issueDate: "2026-09-01", total: "1200.00" });
    expect(inv.dueDate).toBe("2026-10-01");
    const pay = await o.ok("POST", "/api/payments", { date: "2026-10-15", amount: "500.00", customerId: c.id, reference: "VIR DUPONT" });
    await o.ok("POST", `/api/payments/${pay.id}/allocations`, { allocations: [{ documentId: inv.id, amount: "500.00" }] });

    const after = await o.ok("GET", `/api/customers/${c.id}?asOf=2026-11-01`);
    expect(after).toMatchObject({
      ref: "D1",
      name: "Dupont SARL",
      paymentTermsDays: 30,
      outstanding: "700.00",
      overdue: "700.00",
      openDocuments: 1,
      lastPayment: { id: pay.id, date: "2026-10-15", amount: "500.00", reference: "VIR DUPONT" },
    });
    // Before the payment: the whole invoice is owed, not yet due, and no payment has been received.
    const before = await o.ok("GET", `/api/customers/${c.id}?asOf=2026-09-15`);
    expect(before).toMatchObject({ outstanding: "1200.00", overdue: "0.00", openDocuments: 1, lastPayment: null });
    problem(await o.call("GET", "/api/customers/999999"), 404, "not_found");
  });

  it("creates and updates customers, answering 409 to a duplicate ref and 400 naming each invalid field", async () => {
    const o = await newOrg("cust");
    const created = await o.call("POST", "/api/customers", {
      ref: "ACME",
      name: "Acme SA",
      siren: "123456789",
      email: "compta@acme.example",
      language: "en",
      paymentTermsDays: 45,
      creditLimit: "5 000,00",
    });
    expect(created.statusCode).toBe(201);
    const acme = created.json() as Json;
    expect(acme).toMatchObject({ ref: "ACME", siren: "123456789", language: "en", paymentTermsDays: 45, creditLimit: "5000.00" });
    const row = await t.store.db
      .selectFrom("customers")
      .selectAll()
      .where("id", "=", acme.id as number)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ org_id: o.org.id, credit_limit: 500_000, payment_terms_days: 45 });

    const dup = problem(await o.call("POST", "/api/customers", { ref: "ACME", name: "Autre" }), 409, "conflict");
    expect(dup.detail).toContain("ACME");

    const bad = problem(
      await o.call("POST", "/api/customers", { ref: "X", name: "", email: "pas-un-email", siren: "12", paymentTermsDays: 400 }),
      400,
      "invalid_input",
    );
    expect(fieldsOf(bad)).toEqual(expect.arrayContaining(["name", "email", "siren", "paymentTermsDays"]));
    expect(fieldsOf(problem(await o.call("POST", "/api/customers", { name: "Sans ref" }), 400, "invalid_input"))).toContain("ref");

    const patched = await o.ok("PATCH", `/api/customers/${acme.id}`, { name: "Acme Industries", status: "do_not_chase" });
    expect(patched).toMatchObject({ ref: "ACME", name: "Acme Industries", status: "do_not_chase", paymentTermsDays: 45 });
    await o.ok("POST", "/api/customers", { ref: "BETA", name: "Beta" });
    problem(await o.call("PATCH", `/api/customers/${acme.id}`, { ref: "BETA" }), 409, "conflict");
    problem(await o.call("PATCH", "/api/customers/999999", { name: "x" }), 404, "not_found");
    // A negative credit limit is bad input (400 naming the field), not a database error.
    expect(fieldsOf(problem(await o.call("PATCH", `/api/customers/${acme.id}`, { creditLimit: "-5.00" }), 400, "invalid_input"))).toContain(
      "creditLimit",
    );
    expect(fieldsOf(problem(await o.call("PATCH", `/api/customers/${acme.id}`, { language: "de" }), 400, "invalid_input"))).toContain(
      "language",
    );
  });

  it("enters invoices and credit notes: due date from the customer's terms, credit notes stored negative", async () => {
    const o = await newOrg("docs");
    const c = await o.ok("POST", "/api/customers", { ref: "T45", name: "Terme 45", paymentTermsDays: 45 });
    const inv = await o.ok("POST", "/api/documents", { number: "F-100", customerId: c.id, issueDate: "2026-09-01", total: "1 234,56" });
    expect(inv).toMatchObject({
      kind: "invoice",
      number: "F-100",
      customer: { id: c.id, ref: "T45" },
      issueDate: "2026-09-01",
      dueDate: "2026-10-16",
      total: "1234.56",
      outstanding: "1234.56",
      currency: "EUR",
      source: "manual",
    });
    const cn = await o.ok("POST", "/api/documents", {
      kind: "credit_note",
      number: "AV-1",
      customerId: c.id,
      issueDate: "2026-11-05",
      total: "100.00",
      tax: "16.67",
    });
    expect(cn).toMatchObject({ kind: "credit_note", total: "-100.00", tax: "-16.67", outstanding: "-100.00", dueDate: "2026-12-20" });
    const stored = await t.store.db
      .selectFrom("documents")
      .select(["total", "tax"])
      .where("id", "=", cn.id as number)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ total: -10_000, tax: -1667 });

    expect(
      fieldsOf(
        problem(
          await o.call("POST", "/api/documents", { number: "F-N", customerId: c.id, issueDate: "2026-09-01", total: "-5.00" }),
          400,
          "invalid_input",
        ),
      ),
    ).toContain("total");
    expect(
      fieldsOf(
        problem(
          await o.call("POST", "/api/documents", {
            number: "F-D",
            customerId: c.id,
            issueDate: "2026-09-01",
            dueDate: "2026-08-01",
            total: "5.00",
          }),
          400,
          "invalid_input",
        ),
      ),
    ).toContain("dueDate");
    expect(
      fieldsOf(
        problem(
          await o.call("POST", "/api/documents", { number: "F-E", customerId: c.id, issueDate: "2026-02-30", total: "5.00" }),
          400,
          "invalid_input",
        ),
      ),
    ).toContain("issueDate");
    problem(
      await o.call("POST", "/api/documents", { number: "F-100", customerId: c.id, issueDate: "2026-09-01", total: "5.00" }),
      409,
      "conflict",
    );
    problem(
      await o.call("POST", "/api/documents", { number: "F-404", customerId: 999999, issueDate: "2026-09-01", total: "5.00" }),
      404,
      "not_found",
    );

    // PATCH: a later due date; never before the issue date; numbers stay unique.
    const moved = await o.ok("PATCH", `/api/documents/${inv.id}`, { dueDate: "2026-10-31" });
    expect(moved).toMatchObject({ number: "F-100", dueDate: "2026-10-31", total: "1234.56" });
    expect(fieldsOf(problem(await o.call("PATCH", `/api/documents/${inv.id}`, { dueDate: "2026-08-01" }), 400, "invalid_input"))).toContain(
      "dueDate",
    );
    problem(await o.call("PATCH", `/api/documents/${inv.id}`, { number: "AV-1" }), 409, "conflict");
    problem(await o.call("PATCH", "/api/documents/999999", { dueDate: "2026-12-01" }), 404, "not_found");
    const retotal = await o.ok("PATCH", `/api/documents/${cn.id}`, { total: "40.00" });
    expect(retotal).toMatchObject({ total: "-40.00" });
  });

  it("filters documents by status, customer and due-date range", async () => {
    const o = await newOrg("filters");
    const d1 = await o.ok("POST", "/api/customers", { ref: "D1", name: "Un" });
    const d2 = await o.ok("POST", "/api/customers", { ref: "D2", name: "Deux" });
    const doc = (number: string, customerId: unknown, issueDate: string, dueDate: string, total: string, kind = "invoice") =>
      o.ok("POST", "/api/documents", { number, customerId, issueDate, dueDate, total, kind });
    await doc("F-OPEN", d1.id, "2026-11-01", "2026-12-01", "100.00");
    await doc("F-LATE", d1.id, "2026-09-01", "2026-10-01", "300.00");
    const paid = await doc("F-PAID", d1.id, "2026-08-01", "2026-08-31", "200.00");
    const disp = await doc("F-DISP", d1.id, "2026-10-01", "2026-10-31", "400.00");
    await doc("AV-1", d1.id, "2026-11-05", "2026-12-05", "100.00", "credit_note");
    await doc("F-D2", d2.id, "2026-11-15", "2026-12-15", "500.00");
    const p = await o.ok("POST", "/api/payments", { date: "2026-09-20", amount: "200.00", customerId: d1.id });
    await o.ok("POST", `/api/payments/${p.id}/allocations`, { allocations: [{ documentId: paid.id, amount: "200.00" }] });
    await t.store.db
      .updateTable("documents")
      .set({ disputed: true })
      .where("id", "=", disp.id as number)
      .execute();

    const numbers = async (query: string) =>
      ((await o.ok("GET", `/api/documents?asOf=2026-11-20&sort=number&${query}`)).items as { number: string }[]).map((i) => i.number);
    expect(await numbers("")).toEqual(["AV-1", "F-D2", "F-DISP", "F-LATE", "F-OPEN", "F-PAID"]);
    expect(await numbers("status=open")).toEqual(["AV-1", "F-D2", "F-DISP", "F-LATE", "F-OPEN"]);
    expect(await numbers("status=overdue")).toEqual(["F-DISP", "F-LATE"]);
    expect(await numbers("status=paid")).toEqual(["F-PAID"]);
    expect(await numbers("status=disputed")).toEqual(["F-DISP"]);
    expect(await numbers(`customerId=${d2.id}`)).toEqual(["F-D2"]);
    expect(await numbers("dueFrom=2026-10-01&dueTo=2026-10-31")).toEqual(["F-DISP", "F-LATE"]);
    expect(await numbers(`dueFrom=2026-12-01&customerId=${d1.id}`)).toEqual(["AV-1", "F-OPEN"]);
    expect(await numbers("q=late")).toEqual(["F-LATE"]);

    const pageThrough = async (query: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const page = await o.ok("GET", `/api/documents?asOf=2026-11-20&limit=4&${query}${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...(page.items as { number: string }[]).map((i) => i.number));
        cursor = page.nextCursor as string | null;
        if (!cursor) break;
      }
      return seen;
    };
    expect(await pageThrough("")).toEqual(["F-PAID", "F-LATE", "F-DISP", "F-OPEN", "AV-1", "F-D2"]); // by due date
    expect(await pageThrough("sort=outstanding&dir=desc")).toEqual(["F-D2", "F-DISP", "F-LATE", "F-OPEN", "F-PAID", "AV-1"]);

    const late = ((await o.ok("GET", "/api/documents?asOf=2026-11-20&status=overdue&sort=number")).items as Json[])[1];
    expect(late).toMatchObject({ number: "F-LATE", outstanding: "300.00", daysPastDue: 50, status: "overdue" });
    expect(fieldsOf(problem(await o.call("GET", "/api/documents?status=late"), 400, "invalid_input"))).toContain("status");
    expect(fieldsOf(problem(await o.call("GET", "/api/documents?dueFrom=01/10/2026"), 400, "invalid_input"))).toContain("dueFrom");
  });

  it("records payments and allocates them within what the payment has and the invoice owes", async () => {
    const o = await newOrg("pay");
    const x = await o.ok("POST", "/api/customers", { ref: "X", name: "Client X" });
    const y = await o.ok("POST", "/api/customers", { ref: "Y", name: "Client Y" });
    const inv1 = await o.ok("POST", "/api/documents", { number: "F-1", customerId: x.id, issueDate: "2026-09-01", total: "1200.00" });
    const inv2 = await o.ok("POST", "/api/documents", { number: "F-2", customerId: x.id, issueDate: "2026-09-10", total: "200.00" });
    const cn = await o.ok("POST", "/api/documents", {
      kind: "credit_note",
      number: "AV-1",
      customerId: x.id,
      issueDate: "2026-09-15",
      total: "50.00",
    });
    const invY = await o.ok("POST", "/api/documents", { number: "F-Y", customerId: y.id, issueDate: "2026-09-01", total: "80.00" });

    const pay = await o.ok("POST", "/api/payments", { date: "2026-10-15", amount: "800.00", customerId: x.id, reference: "VIR X" });
    expect(pay).toMatchObject({ amount: "800.00", unallocated: "800.00", date: "2026-10-15", customer: { id: x.id }, reference: "VIR X" });
    expect(fieldsOf(problem(await o.call("POST", "/api/payments", { date: "2026-10-15", amount: "0" }), 400, "invalid_input"))).toContain(
      "amount",
    );
    expect(
      fieldsOf(problem(await o.call("POST", "/api/payments", { date: "15/10/2026", amount: "5.00" }), 400, "invalid_input")),
    ).toContain("date");

    const url = `/api/payments/${pay.id}/allocations`;
    const first = await o.ok("POST", url, { allocations: [{ documentId: inv1.id, amount: "500.00" }] });
    expect(first).toMatchObject({
      unallocated: "300.00",
      allocations: [{ documentId: inv1.id, number: "F-1", amount: "500.00", date: "2026-10-15" }],
    });

    const refused = async (allocations: Json[], message: RegExp) => {
      const body = problem(await o.call("POST", url, { allocations }), 400, "invalid_input");
      expect((body.problems as { message: string }[]).map((p) => p.message).join(" | ")).toMatch(message);
    };
    await refused([{ documentId: inv1.id, amount: "400.00" }], /only has 30000 cents left/); // more than the payment has left
    await refused(
      [
        { documentId: inv1.id, amount: "200.00" },
        { documentId: inv2.id, amount: "150.00" },
      ],
      /only has 10000 cents left/,
    ); // the two lines together exceed it
    await refused([{ documentId: inv2.id, amount: "250.00" }], /F-2 only owes 20000 cents/); // more than the invoice owes
    await refused([{ documentId: invY.id, amount: "10.00" }], /F-Y belongs to another customer/);
    await refused([{ documentId: cn.id, amount: "10.00" }], /AV-1 is a credit note/);
    problem(await o.call("POST", url, { allocations: [{ documentId: 999999, amount: "1.00" }] }), 404, "not_found");
    // Dollars do not settle an invoice in euros.
    const usd = await o.ok("POST", "/api/payments", { date: "2026-10-16", amount: "100.00", currency: "USD", customerId: x.id });
    const usdRefused = problem(
      await o.call("POST", `/api/payments/${usd.id}/allocations`, { allocations: [{ documentId: inv2.id, amount: "100.00" }] }),
      400,
      "invalid_input",
    );
    expect((usdRefused.problems as { message: string }[])[0]?.message).toMatch(/EUR/);
    problem(
      await o.call("POST", "/api/payments/999999/allocations", { allocations: [{ documentId: inv1.id, amount: "1.00" }] }),
      404,
      "not_found",
    );
    expect(fieldsOf(problem(await o.call("POST", url, { allocations: [] }), 400, "invalid_input"))).toContain("allocations");

    // Nothing of the refused attempts was written.
    expect(await o.ok("GET", `/api/payments/${pay.id}`)).toMatchObject({ unallocated: "300.00" });
    expect(await t.store.db.selectFrom("allocations").select("id").where("org_id", "=", o.org.id).execute()).toHaveLength(1);

    const second = await o.ok("POST", url, {
      allocations: [
        { documentId: inv1.id, amount: "100.00" },
        { documentId: inv2.id, amount: "200.00" },
      ],
    });
    expect(second).toMatchObject({ unallocated: "0.00" });
    expect(second.allocations).toHaveLength(3);
    expect(await o.ok("GET", `/api/documents/${inv1.id}`)).toMatchObject({
      outstanding: "600.00",
      status: "overdue",
      allocations: [
        { paymentId: pay.id, amount: "500.00", date: "2026-10-15", reference: "VIR X" },
        { paymentId: pay.id, amount: "100.00" },
      ],
    });
    expect(await o.ok("GET", `/api/documents/${inv2.id}`)).toMatchObject({ outstanding: "0.00", status: "paid" });

    // A payment without a customer takes the customer of the invoice it is allocated to.
    const anon = await o.ok("POST", "/api/payments", { date: "2026-10-20", amount: "80.00", payerName: "M. Y" });
    expect(anon.customer).toBeNull();
    const allocated = await o.ok("POST", `/api/payments/${anon.id}/allocations`, {
      allocations: [{ documentId: invY.id, amount: "80.00" }],
    });
    expect(allocated).toMatchObject({ customer: { id: y.id }, unallocated: "0.00" });

    const list = await o.ok("GET", "/api/payments");
    expect((list.items as { id: number }[]).map((p) => p.id)).toEqual([anon.id, usd.id, pay.id]); // newest first
    const page1 = await o.ok("GET", "/api/payments?limit=2");
    const page2 = await o.ok("GET", `/api/payments?limit=2&cursor=${page1.nextCursor}`);
    expect([...(page1.items as Json[]), ...(page2.items as Json[])].map((p) => p.id)).toEqual([anon.id, usd.id, pay.id]);
    expect(page2.nextCursor).toBeNull();
    expect(((await o.ok("GET", "/api/payments?unallocated=true")).items as { id: number }[]).map((p) => p.id)).toEqual([usd.id]);
    expect(((await o.ok("GET", `/api/payments?customerId=${x.id}&to=2026-10-15`)).items as { id: number }[]).map((p) => p.id)).toEqual([
      pay.id,
    ]);
  });

  it.runIf(backend === "postgres")("never lets two concurrent allocations spend more than an invoice owes", async () => {
    const o = await newOrg("race");
    const c = await o.ok("POST", "/api/customers", { ref: "R", name: "Course" });
    const inv = await o.ok("POST", "/api/documents", { number: "F-R", customerId: c.id, issueDate: "2026-09-01", total: "1000.00" });
    const p1 = await o.ok("POST", "/api/payments", { date: "2026-10-01", amount: "800.00", customerId: c.id });
    const p2 = await o.ok("POST", "/api/payments", { date: "2026-10-02", amount: "800.00", customerId: c.id });
    // Hold the invoice's row lock so that both allocations start, then wait for it together.
    const blocker = new pg.Client({ connectionString: t.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query("begin");
      await blocker.query("select id from documents where id = $1 for update", [inv.id]);
      const pending = [p1, p2].map((p) =>
        o.call("POST", `/api/payments/${p.id}/allocations`, { allocations: [{ documentId: inv.id, amount: "800.00" }] }),
      );
      for (let i = 0; i < 500; i++) {
        const { rows } = await blocker.query(
          "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
        );
        if (rows[0].n >= 2) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await blocker.query("commit");
      const statuses = (await Promise.all(pending)).map((r) => r.statusCode).sort();
      expect(statuses).toEqual([201, 400]);
    } finally {
      await blocker.end();
    }
    expect(await o.ok("GET", `/api/documents/${inv.id}`)).toMatchObject({ outstanding: "200.00" });
  });

  it("publishes an OpenAPI document describing the routes", async () => {
    const res = await app.inject({ method: "GET", url: "/api/docs/json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths["/api/customers"] ?? {})).toEqual(expect.arrayContaining(["get", "post"]));
    expect(Object.keys(doc.paths["/api/customers/{id}"] ?? {})).toEqual(expect.arrayContaining(["get", "patch"]));
    expect(doc.paths["/api/payments/{id}/allocations"]).toHaveProperty("post");
    expect(doc.paths["/api/auth/login"]?.post).toMatchObject({ security: [] });
  });

  it("writes one audit_log row per write, naming who did it", async () => {
    const o = await newOrg("audit");
    const rows = () =>
      t.store.db
        .selectFrom("audit_log")
        .select(["actor_label", "actor_user_id", "actor_api_key_id", "action", "entity", "entity_id"])
        .where("org_id", "=", o.org.id)
        .orderBy("id")
        .execute();
    const start = (await rows()).length;
    const user = await t.store.db.selectFrom("users").select("id").where("email", "=", o.ownerEmail).executeTakeFirstOrThrow();
    const expectLast = async (action: string, entity: string, entityId: unknown, label = o.ownerEmail) => {
      const all = await rows();
      expect(all.length).toBe(start + ++writes);
      expect(all.at(-1)).toMatchObject({ action, entity, entity_id: String(entityId), actor_label: label });
      return all.at(-1);
    };
    let writes = 0;

    const c = await o.ok("POST", "/api/customers", { ref: "A1", name: "Audit" });
    expect(await expectLast("create", "customer", c.id)).toMatchObject({ actor_user_id: user.id, actor_api_key_id: null });
    await o.ok("PATCH", `/api/customers/${c.id}`, { name: "Audité" });
    await expectLast("update", "customer", c.id);
    const d = await o.ok("POST", "/api/documents", { number: "F-A", customerId: c.id, issueDate: "2026-09-01", total: "10.00" });
    await expectLast("create", "document", d.id);
    await o.ok("PATCH", `/api/documents/${d.id}`, { dueDate: "2026-12-01" });
    await expectLast("update", "document", d.id);
    const p = await o.ok("POST", "/api/payments", { date: "2026-10-01", amount: "10.00", customerId: c.id });
    await expectLast("create", "payment", p.id);
    await o.ok("POST", `/api/payments/${p.id}/allocations`, { allocations: [{ documentId: d.id, amount: "10.00" }] });
    await expectLast("allocate", "payment", p.id);
    const k = await o.ok("POST", "/api/api-keys", { name: "robot", role: "collector" });
    await expectLast("create", "api_key", k.id);

    const viaKey = await app.inject({
      method: "POST",
      url: "/api/customers",
      headers: { authorization: `Bearer ${k.key}` },
      payload: { ref: "A2", name: "Par robot" },
    });
    expect(viaKey.statusCode).toBe(201);
    expect(await expectLast("create", "customer", (viaKey.json() as Json).id, "apikey:robot")).toMatchObject({
      actor_user_id: null,
      actor_api_key_id: k.id,
    });
    // Reads and refused writes leave no trace.
    await o.ok("GET", "/api/customers");
    problem(await o.call("POST", "/api/customers", { ref: "A1", name: "Doublon" }), 409, "conflict");
    expect((await rows()).length).toBe(start + writes);
  });
});
