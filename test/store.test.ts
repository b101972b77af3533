import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../src/store/connect.js";
import { listMigrations, migrate } from "../src/store/migrate.js";
import { BACKENDS, freshPostgresUrl, openTestDb, type TestDb } from "./helpers/db.js";
import { makeCustomer, makeInvoice, makeOrg } from "./helpers/factories.js";

describe.each(BACKENDS)("store on %s", (backend) => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it("applies every migration from empty and records it, once", async () => {
    t = await openTestDb(backend);
    const versions = (await listMigrations()).map((m) => m.version);
    const rows = await t.store.withRaw((raw) => raw.query("select version from schema_migrations order by version"));
    expect(rows.map((r) => r.version)).toEqual(versions);
    expect(await t.store.withRaw((raw) => migrate(raw))).toEqual([]);
  });

  it("keeps invoice numbers and customer refs unique per organisation, not globally", async () => {
    t = await openTestDb(backend);
    const a = await makeOrg(t.store, "alpha");
    const b = await makeOrg(t.store, "beta");
    const ca = await makeCustomer(t.store, a.org.id, "C1");
    const cb = await makeCustomer(t.store, b.org.id, "C1");
    await makeInvoice(t.store, a.org.id, ca.id, "F-1", 1000);
    await makeInvoice(t.store, b.org.id, cb.id, "F-1", 1000);
    await expect(makeInvoice(t.store, a.org.id, ca.id, "F-1", 2000)).rejects.toThrow(/unique|duplicate/i);
    await expect(makeCustomer(t.store, a.org.id, "C1")).rejects.toThrow(/unique|duplicate/i);
  });

  it("refuses a document of one organisation pointing at another organisation's customer", async () => {
    t = await openTestDb(backend);
    const a = await makeOrg(t.store, "alpha");
    const b = await makeOrg(t.store, "beta");
    const ca = await makeCustomer(t.store, a.org.id, "C1");
    await expect(makeInvoice(t.store, b.org.id, ca.id, "F-9", 1000)).rejects.toThrow(/foreign key/i);
  });

  it("stores money as exact integer cents and dates as calendar strings", async () => {
    t = await openTestDb(backend);
    const a = await makeOrg(t.store, "alpha");
    const c = await makeCustomer(t.store, a.org.id, "C1");
    const big = 9_007_199_254_740_99; // 90 071 992 547 409,91 € minus a cent: near the exact-integer limit
    await makeInvoice(t.store, a.org.id, c.id, "F-BIG", big, "2024-02-29", "2024-03-31");
    const row = await t.store.db
      .selectFrom("documents")
      .select(["total", "issue_date", "due_date"])
      .where("number", "=", "F-BIG")
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ total: big, issue_date: "2024-02-29", due_date: "2024-03-31" });
  });

  it("refuses a credit note with a positive total and an invoice due before it is issued", async () => {
    t = await openTestDb(backend);
    const a = await makeOrg(t.store, "alpha");
    const c = await makeCustomer(t.store, a.org.id, "C1");
    await expect(makeInvoice(t.store, a.org.id, c.id, "AV-1", 500, "2026-01-01", "2026-01-01", "credit_note")).rejects.toThrow(/check/i);
    await expect(makeInvoice(t.store, a.org.id, c.id, "F-2", 500, "2026-02-01", "2026-01-01")).rejects.toThrow(/check/i);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)("migrations on PostgreSQL", () => {
  it("are applied exactly once when several processes start at the same time", async () => {
    const { url, drop } = await freshPostgresUrl();
    try {
      const stores = await Promise.all([1, 2, 3, 4].map(() => openStore({ databaseUrl: url })));
      const rows = await stores[0]?.withRaw((raw) => raw.query("select version from schema_migrations"));
      expect(rows?.length).toBe((await listMigrations()).length);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await drop();
    }
  });
});
