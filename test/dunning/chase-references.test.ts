/**
 * References from events (dunning_events) to documents and from messages (outbox) to
 * customers are checked once per statement by triggers under a per-organisation lock
 * (migration 0014), not by foreign keys: they must still refuse a parent that does not exist
 * or belongs to another organisation, write nothing then, and cascade as the foreign keys did
 * when parents are deleted. Both references use the same trigger functions; the race is
 * tested on documents.
 */
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { planRun } from "../../src/dunning/engine.js";
import { chaseDb } from "../../src/dunning/schema.js";
import { listPolicies } from "../../src/services/dunning-policies.js";
import { openStore } from "../../src/store/connect.js";
import { BACKENDS, openTestDb, type TestDb } from "../helpers/db.js";
import { makeInvoice } from "../helpers/factories.js";
import { chaseOrg, customer, eventRows, outboxRows, waitsForCommit } from "./helpers.js";

/** Two organisations with a customer and an invoice 10 days late each. */
async function setup(t: TestDb) {
  const a = await chaseOrg(t.store, "acme");
  const b = await chaseOrg(t.store, "beta");
  const ca = await customer(t.store, a.org.id, "C1");
  const cb = await customer(t.store, b.org.id, "C2");
  const fa = await makeInvoice(t.store, a.org.id, ca.id, "F-A", 50_000, "2026-01-21", "2026-02-20");
  const fb = await makeInvoice(t.store, b.org.id, cb.id, "F-B", 10_000, "2026-01-21", "2026-02-20");
  const stepA = (await listPolicies(t.store.db, a.owner))[0]?.steps[0]?.id as number;
  expect(stepA).toBeGreaterThan(0);
  const event = (documentId: number, stepId = stepA) => ({
    org_id: a.org.id,
    document_id: documentId,
    step_id: stepId,
    customer_id: ca.id,
    status: "planned" as const,
    scheduled_date: "2026-03-03",
    as_of: "2026-03-03",
  });
  return { a, b, ca, cb, fa, fb, event };
}

describe.each(BACKENDS)("references from dunning events to documents on %s", (backend) => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it("refuses an event naming another organisation's document or no document, and writes nothing", async () => {
    t = await openTestDb(backend);
    const { a, fa, fb, event } = await setup(t);
    const db = chaseDb(t.store.db);
    // One good row and one bad in the same statement: the statement fails whole.
    await expect(
      db
        .insertInto("dunning_events")
        .values([event(fa.id), event(fb.id)])
        .execute(),
    ).rejects.toThrow(/violates the reference to documents/);
    await expect(db.insertInto("dunning_events").values(event(999_999)).execute()).rejects.toMatchObject({ code: "23503" });
    expect(await eventRows(t.store, a.org.id)).toHaveLength(0);

    // An event may not be moved to a missing document either.
    await db.insertInto("dunning_events").values(event(fa.id)).execute();
    await expect(
      db.updateTable("dunning_events").set({ document_id: fb.id }).where("org_id", "=", a.org.id).execute(),
    ).rejects.toMatchObject({ code: "23503" });
    expect((await eventRows(t.store, a.org.id)).map((e) => e.document_id)).toEqual([fa.id]);
  });

  it("refuses a message naming another organisation's customer or no customer, and deletes a deleted customer's messages", async () => {
    t = await openTestDb(backend);
    const { a, b, ca, cb } = await setup(t);
    const db = chaseDb(t.store.db);
    const message = (customerId: number) => ({ org_id: a.org.id, customer_id: customerId, channel: "email" as const, as_of: "2026-03-03" });
    await expect(
      db
        .insertInto("outbox")
        .values([message(ca.id), message(cb.id)])
        .execute(),
    ).rejects.toThrow(/violates the reference to customers/);
    await expect(db.insertInto("outbox").values(message(999_999)).execute()).rejects.toMatchObject({ code: "23503" });
    expect(await outboxRows(t.store, a.org.id)).toHaveLength(0);
    await db.insertInto("outbox").values(message(ca.id)).execute();
    await expect(db.updateTable("outbox").set({ customer_id: cb.id }).where("org_id", "=", a.org.id).execute()).rejects.toMatchObject({
      code: "23503",
    });

    // A customer without documents (they would keep it) is deleted with its messages; the others stay.
    const lone = await customer(t.store, a.org.id, "C3");
    await db.insertInto("outbox").values(message(lone.id)).execute();
    await db
      .insertInto("outbox")
      .values({ ...message(cb.id), org_id: b.org.id })
      .execute();
    expect((await outboxRows(t.store, a.org.id)).map((m) => m.customer_id)).toEqual([ca.id, lone.id]);
    await t.store.db.deleteFrom("customers").where("org_id", "=", a.org.id).where("id", "=", lone.id).execute();
    expect((await outboxRows(t.store, a.org.id)).map((m) => m.customer_id)).toEqual([ca.id]);
    expect((await outboxRows(t.store, b.org.id)).map((m) => m.customer_id)).toEqual([cb.id]);
  });

  it("deletes a deleted document's events, and only those", async () => {
    t = await openTestDb(backend);
    const { a, b, ca, fa } = await setup(t);
    const fa2 = await makeInvoice(t.store, a.org.id, ca.id, "F-A2", 20_000, "2026-01-21", "2026-02-20");
    await planRun(t.store.db, a.org.id, { asOf: "2026-03-03" });
    await planRun(t.store.db, b.org.id, { asOf: "2026-03-03" });
    const bEvents = await eventRows(t.store, b.org.id);
    expect(bEvents).toHaveLength(1);
    expect((await eventRows(t.store, a.org.id)).map((e) => e.document_id).sort()).toEqual([fa.id, fa2.id].sort());

    await t.store.db.deleteFrom("documents").where("org_id", "=", a.org.id).where("id", "=", fa.id).execute();
    expect((await eventRows(t.store, a.org.id)).map((e) => e.document_id)).toEqual([fa2.id]);
    // Every document of the organisation, in one statement: the other organisation's events stay.
    await t.store.db.deleteFrom("documents").where("org_id", "=", a.org.id).execute();
    expect(await eventRows(t.store, a.org.id)).toHaveLength(0);
    expect(await eventRows(t.store, b.org.id)).toEqual(bEvents);
  });
});

describe.runIf(BACKENDS.includes("postgres"))("references from dunning events to documents under concurrency on PostgreSQL", () => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it("makes a document's deletion wait for a run that recorded an event for it, then deletes it; a run after the deletion fails", async () => {
    t = await openTestDb("postgres");
    const { a, ca, fa, event } = await setup(t);
    const other = await openStore({ databaseUrl: t.databaseUrl as string });
    try {
      // Another connection deletes the document while an insert naming it is not committed: it
      // waits, then, committed after the insert, takes the event with it.
      const deletion = await waitsForCommit(
        t.store.db,
        (trx) => chaseDb(trx).insertInto("dunning_events").values(event(fa.id)).execute(),
        () => other.db.deleteFrom("documents").where("org_id", "=", a.org.id).where("id", "=", fa.id).execute(),
      );
      expect(deletion).toBe("ok");
      expect(await eventRows(t.store, a.org.id)).toHaveLength(0);

      // The other way round: an insert that comes while a deletion is uncommitted waits for it,
      // then fails; nothing is left behind.
      const fa2 = await makeInvoice(t.store, a.org.id, ca.id, "F-A2", 20_000, "2026-01-21", "2026-02-20");
      const insert = await waitsForCommit(
        other.db,
        (trx) => trx.deleteFrom("documents").where("org_id", "=", a.org.id).where("id", "=", fa2.id).execute(),
        () => chaseDb(t.store.db).insertInto("dunning_events").values(event(fa2.id)).execute(),
      );
      expect(insert).toBe("23503");
      expect(Number((await sql<{ n: number }>`select count(*)::int as n from dunning_events`.execute(t.store.db)).rows[0]?.n)).toBe(0);
    } finally {
      await other.close();
    }
  });
});
