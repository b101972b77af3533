import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../src/api/app.js";
import { outstandingAt } from "../src/store/ledger-sql.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { loginCookie, makeApp, makeCustomer, makeInvoice, makeOrg } from "./helpers/factories.js";

type Json = Record<string, unknown>;

describe.each(BACKENDS)("applying a credit note to an invoice on %s", (backend) => {
  let t: TestDb;
  let app: App;
  let cookie: string;
  let orgId: number;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await openTestDb(backend);
    app = await makeApp(t.store);
    const o = await makeOrg(t.store, "avoirs");
    orgId = o.org.id;
    cookie = await loginCookie(app, o.ownerEmail);
    const k1 = await makeCustomer(t.store, orgId, "K1");
    const k2 = await makeCustomer(t.store, orgId, "K2");
    ids.F1 = (await makeInvoice(t.store, orgId, k1.id, "F-1", 100_000, "2026-01-10", "2026-02-09")).id;
    ids.AV1 = (await makeInvoice(t.store, orgId, k1.id, "AV-1", -30_000, "2026-01-20", "2026-01-20", "credit_note")).id;
    ids.F2 = (await makeInvoice(t.store, orgId, k2.id, "F-2", 50_000, "2026-01-10", "2026-02-09")).id;
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  const send = (method: "POST" | "DELETE", url: string, payload?: Json) =>
    app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
  const owed = async (date: string) => {
    const rows = await t.store.db
      .selectFrom("documents as d")
      .select(["d.number", outstandingAt(date).as("outstanding")])
      .where("d.org_id", "=", orgId)
      .orderBy("d.number")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.number, r.outstanding]));
  };

  it("applies all the credit it can by default, dated, without moving the customer's balance", async () => {
    const res = await send("POST", `/api/documents/${ids.AV1}/credit-applications`, { invoiceId: ids.F1, date: "2026-01-25" });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { outstanding: string; writeOffs: Json[] };
    expect(body.outstanding).toBe("0.00");
    expect(body.writeOffs).toEqual([
      {
        id: expect.any(Number),
        date: "2026-01-25",
        amount: "-300.00",
        reason: "applied to F-1",
        appliedDocument: { id: ids.F1, number: "F-1", kind: "invoice" },
      },
    ]);
    // 1 000 − 300 from the 25th; K1 owes 700 before and after (1 000 − 300 either way).
    expect(await owed("2026-01-24")).toEqual({ "AV-1": -30_000, "F-1": 100_000, "F-2": 50_000 });
    expect(await owed("2026-01-25")).toEqual({ "AV-1": 0, "F-1": 70_000, "F-2": 50_000 });
    const trail = await t.store.db
      .selectFrom("audit_log")
      .select(["action", "entity_id"])
      .where("org_id", "=", orgId)
      .where("action", "=", "apply_credit_note")
      .execute();
    expect(trail).toEqual([{ action: "apply_credit_note", entity_id: String(ids.AV1) }]);
  });

  it("refuses what does not fit, naming the field, and writes nothing", async () => {
    const refused = async (doc: number, payload: Json, field: string, message: RegExp) => {
      const res = await send("POST", `/api/documents/${doc}/credit-applications`, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const problems = (res.json() as { problems: { field: string; message: string }[] }).problems;
      expect(problems.map((p) => p.field)).toContain(field);
      expect(problems.map((p) => p.message).join(" ")).toMatch(message);
    };
    // AV-1 is all used by the test above.
    await refused(ids.AV1 as number, { invoiceId: ids.F1 }, "amount", /no credit left/);
    await refused(ids.F1 as number, { invoiceId: ids.F2 }, "id", /F-1 is not a credit note/);
    expect((await send("DELETE", `/api/documents/${ids.AV1}/credit-applications?invoiceId=${ids.F1}`)).statusCode).toBe(200);
    await refused(ids.AV1 as number, { invoiceId: ids.F2 }, "invoiceId", /F-2 belongs to another customer/);
    await refused(ids.AV1 as number, { invoiceId: ids.F1, amount: "300.01" }, "amount", /only has 30000 cents of credit left/);
    await refused(ids.AV1 as number, { invoiceId: ids.F1, date: "2026-01-15" }, "date", /not before 2026-01-20/);
    expect(await owed("2026-12-31")).toEqual({ "AV-1": -30_000, "F-1": 100_000, "F-2": 50_000 });
  });

  it("applies a part, then undoes it whole; undoing twice is a 404", async () => {
    const res = await send("POST", `/api/documents/${ids.AV1}/credit-applications`, { invoiceId: ids.F1, amount: "120,00" });
    expect(res.statusCode, res.body).toBe(201);
    expect(await owed("2099-12-31")).toEqual({ "AV-1": -18_000, "F-1": 88_000, "F-2": 50_000 });
    const undo = await send("DELETE", `/api/documents/${ids.AV1}/credit-applications?invoiceId=${ids.F1}`);
    expect(undo.statusCode, undo.body).toBe(200);
    expect((undo.json() as { writeOffs: unknown[] }).writeOffs).toEqual([]);
    expect(await owed("2099-12-31")).toEqual({ "AV-1": -30_000, "F-1": 100_000, "F-2": 50_000 });
    expect((await send("DELETE", `/api/documents/${ids.AV1}/credit-applications?invoiceId=${ids.F1}`)).statusCode).toBe(404);
  });
});
