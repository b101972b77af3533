/**
 * References from messages (outbox) and events (dunning_events) to dunning steps are
 * checked once per statement by triggers (migration 0013), not by foreign keys: they must
 * still refuse a step that does not exist or belongs to another organisation, write nothing
 * then, and cascade as the foreign keys did when steps are deleted.
 */
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { planRun } from "../../src/dunning/engine.js";
import { chaseDb } from "../../src/dunning/schema.js";
import { assignPolicy, createPolicy, deletePolicy, listPolicies } from "../../src/services/dunning-policies.js";
import { openStore } from "../../src/store/connect.js";
import { BACKENDS, openTestDb, type TestDb } from "../helpers/db.js";
import { makeInvoice } from "../helpers/factories.js";
import { chaseOrg, customer, eventRows, outboxRows, waitsForCommit } from "./helpers.js";

const step = (name: string, offsetDays: number) => ({
  name,
  offsetDays,
  channel: "email" as const,
  templates: { fr: { subject: `${name} {{ customer.name }}`, body: "Bonjour" } },
});

/** Two organisations; in the first, a customer on a policy of its own with one invoice 10 days late. */
async function setup(t: TestDb) {
  const a = await chaseOrg(t.store, "acme");
  const b = await chaseOrg(t.store, "beta");
  const policy = await createPolicy(t.store.db, a.owner, { name: "Courte", steps: [step("J+1", 1), step("J+8", 8)] });
  const c = await customer(t.store, a.org.id, "C1");
  await assignPolicy(t.store.db, a.owner, c.id, policy.id);
  const f = await makeInvoice(t.store, a.org.id, c.id, "F-1", 50_000, "2026-01-21", "2026-02-20");
  const otherSteps = (await listPolicies(t.store.db, b.owner)).flatMap((p) => p.steps.map((s) => s.id));
  return { a, b, policy, c, f, otherSteps };
}

describe.each(BACKENDS)("references to dunning steps on %s", (backend) => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it("refuses a message or an event naming another organisation's step or no step, and writes nothing", async () => {
    t = await openTestDb(backend);
    const { a, policy, c, f, otherSteps } = await setup(t);
    const db = chaseDb(t.store.db);
    const mine = policy.steps[0]?.id as number;
    const foreign = otherSteps[0] as number;
    expect(foreign).toBeGreaterThan(0);
    const message = (stepId: number) => ({
      org_id: a.org.id,
      customer_id: c.id,
      step_id: stepId,
      channel: "email" as const,
      as_of: "2026-03-03",
    });
    // One good row and one bad in the same statement: the statement fails whole.
    await expect(
      db
        .insertInto("outbox")
        .values([message(mine), message(foreign)])
        .execute(),
    ).rejects.toThrow(/violates the reference to dunning_steps/);
    await expect(db.insertInto("outbox").values(message(999_999)).execute()).rejects.toMatchObject({ code: "23503" });
    expect(await outboxRows(t.store, a.org.id)).toHaveLength(0);

    const event = (stepId: number) => ({
      org_id: a.org.id,
      document_id: f.id,
      step_id: stepId,
      customer_id: c.id,
      status: "planned" as const,
      scheduled_date: "2026-03-03",
      as_of: "2026-03-03",
    });
    await expect(db.insertInto("dunning_events").values(event(foreign)).execute()).rejects.toMatchObject({ code: "23503" });
    expect(await eventRows(t.store, a.org.id)).toHaveLength(0);

    // A row may not be moved to a missing step either; a message may lose its step (null).
    await db.insertInto("dunning_events").values(event(mine)).execute();
    await expect(db.updateTable("dunning_events").set({ step_id: foreign }).where("org_id", "=", a.org.id).execute()).rejects.toThrow(
      /violates the reference to dunning_steps/,
    );
    await db.insertInto("outbox").values(message(mine)).execute();
    await expect(db.updateTable("outbox").set({ step_id: foreign }).where("org_id", "=", a.org.id).execute()).rejects.toMatchObject({
      code: "23503",
    });
    await db.updateTable("outbox").set({ step_id: null }).where("org_id", "=", a.org.id).execute();
    expect((await outboxRows(t.store, a.org.id)).map((m) => m.step_id)).toEqual([null]);
    expect((await eventRows(t.store, a.org.id)).map((e) => e.step_id)).toEqual([mine]);
  });

  it("deletes a deleted policy's events and keeps its messages without their step", async () => {
    t = await openTestDb(backend);
    const { a, b, policy, f } = await setup(t);
    const run = await planRun(t.store.db, a.org.id, { asOf: "2026-03-03" });
    const j8 = policy.steps[1]?.id as number;
    expect(run.messages.map((m) => [m.stepId, m.documents])).toEqual([[j8, ["F-1"]]]);
    // The other organisation's chase is left alone.
    const c2 = await customer(t.store, b.org.id, "C2");
    await makeInvoice(t.store, b.org.id, c2.id, "F-B", 10_000, "2026-01-21", "2026-02-20");
    await planRun(t.store.db, b.org.id, { asOf: "2026-03-03" });
    const bEvents = await eventRows(t.store, b.org.id);
    expect(bEvents).toHaveLength(1);

    expect((await eventRows(t.store, a.org.id)).map((e) => [e.document_id, e.step_id])).toEqual([[f.id, j8]]);
    await deletePolicy(t.store.db, a.owner, policy.id);
    expect(await eventRows(t.store, a.org.id)).toHaveLength(0);
    const kept = await outboxRows(t.store, a.org.id);
    expect(kept.map((m) => [m.step_id, (m.payload as { documentIds: number[] }).documentIds])).toEqual([[null, [f.id]]]);
    expect(await eventRows(t.store, b.org.id)).toEqual(bEvents);
    expect((await outboxRows(t.store, b.org.id)).every((m) => m.step_id !== null)).toBe(true);
  });
});

describe.runIf(BACKENDS.includes("postgres"))("references to dunning steps under concurrency on PostgreSQL", () => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it("makes a step's deletion wait for a run that recorded events at it, then deletes them; a run after the deletion fails", async () => {
    t = await openTestDb("postgres");
    const { a, policy, c, f } = await setup(t);
    const j1 = policy.steps[0]?.id as number;
    const other = await openStore({ databaseUrl: t.databaseUrl as string });
    try {
      const event = {
        org_id: a.org.id,
        document_id: f.id,
        step_id: j1,
        customer_id: c.id,
        status: "planned" as const,
        scheduled_date: "2026-03-03",
        as_of: "2026-03-03",
      };
      // Another connection deletes the step while an event at it is not committed: it waits,
      // then, committed after the insert, takes the event with it.
      const deletion = await waitsForCommit(
        t.store.db,
        (trx) => chaseDb(trx).insertInto("dunning_events").values(event).execute(),
        () => chaseDb(other.db).deleteFrom("dunning_steps").where("org_id", "=", a.org.id).where("id", "=", j1).execute(),
      );
      expect(deletion).toBe("ok");
      expect(await eventRows(t.store, a.org.id)).toHaveLength(0);

      // The other way round: a step deleted and committed is refused to a later insert.
      const j8 = policy.steps[1]?.id as number;
      await chaseDb(other.db).deleteFrom("dunning_steps").where("org_id", "=", a.org.id).where("id", "=", j8).execute();
      await expect(
        chaseDb(t.store.db)
          .insertInto("dunning_events")
          .values({ ...event, step_id: j8 })
          .execute(),
      ).rejects.toMatchObject({
        code: "23503",
      });
      expect(Number((await sql<{ n: number }>`select count(*)::int as n from dunning_events`.execute(t.store.db)).rows[0]?.n)).toBe(0);
    } finally {
      await other.close();
    }
  });
});
