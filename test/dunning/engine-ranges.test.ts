/**
 * A large organisation is loaded and planned a range of customers at a time, each range's
 * messages written while the next loads (engine.ts). Cut into ranges of two customers, a run
 * must plan, record and count exactly what it does in one piece.
 */
import { afterEach, describe, expect, it } from "vitest";
import { planRun } from "../../src/dunning/engine.js";
import { chaseDb } from "../../src/dunning/schema.js";
import { BACKENDS, openTestDb, type TestDb } from "../helpers/db.js";
import { makeInvoice } from "../helpers/factories.js";
import { chaseOrg, customer, eventRows, outboxRows } from "./helpers.js";

/** Eight customers: late, very late (catch-up), not yet due, on a promise, disputed, on hold, not to chase, paid on account. */
async function ledger(t: TestDb, slug: string) {
  const o = await chaseOrg(t.store, slug);
  const org = o.org.id;
  const refs = ["A", "B", "C", "D", "E", "F", "G", "H"];
  const c: Record<string, number> = {};
  for (const ref of refs) c[ref] = (await customer(t.store, org, `${slug}-${ref}`)).id;
  await makeInvoice(t.store, org, c.A as number, `${slug}-A1`, 50_000, "2026-01-21", "2026-02-20");
  await makeInvoice(t.store, org, c.A as number, `${slug}-A2`, 20_000, "2026-01-25", "2026-02-24");
  await makeInvoice(t.store, org, c.B as number, `${slug}-B1`, 90_000, "2025-11-01", "2025-12-01");
  await makeInvoice(t.store, org, c.B as number, `${slug}-B2`, 10_000, "2026-02-01", "2026-03-02");
  // B has paid 20 000 it has not said for what (still chased for the rest); H's payment covers
  // its invoice (not chased).
  await t.store.db
    .insertInto("payments")
    .values({ org_id: org, customer_id: c.B as number, date: "2026-02-20", amount: 20_000 })
    .execute();
  await makeInvoice(t.store, org, c.H as number, `${slug}-H1`, 30_000, "2026-01-10", "2026-02-09");
  await t.store.db
    .insertInto("payments")
    .values({ org_id: org, customer_id: c.H as number, date: "2026-02-25", amount: 30_000 })
    .execute();
  await makeInvoice(t.store, org, c.C as number, `${slug}-C1`, 30_000, "2026-02-05", "2026-03-07");
  await makeInvoice(t.store, org, c.D as number, `${slug}-D1`, 40_000, "2026-01-10", "2026-02-09");
  await t.store.db
    .insertInto("promises")
    .values({ org_id: org, customer_id: c.D as number, amount: 40_000, promised_date: "2026-03-20", status: "pending" })
    .execute();
  const e1 = await makeInvoice(t.store, org, c.E as number, `${slug}-E1`, 15_000, "2026-01-10", "2026-02-09");
  await makeInvoice(t.store, org, c.E as number, `${slug}-E2`, 25_000, "2026-01-10", "2026-02-09");
  await t.store.db.updateTable("documents").set({ disputed: true }).where("id", "=", e1.id).execute();
  await t.store.db
    .insertInto("disputes")
    .values({ org_id: org, document_id: e1.id, reason: "quantités", opened_at: "2026-02-15" })
    .execute();
  await makeInvoice(t.store, org, c.F as number, `${slug}-F1`, 60_000, "2026-01-10", "2026-02-09");
  await chaseDb(t.store.db)
    .updateTable("customers")
    .set({ on_hold_until: "2026-04-01" })
    .where("id", "=", c.F as number)
    .execute();
  await makeInvoice(t.store, org, c.G as number, `${slug}-G1`, 70_000, "2026-01-10", "2026-02-09");
  await t.store.db
    .updateTable("customers")
    .set({ status: "do_not_chase" })
    .where("id", "=", c.G as number)
    .execute();
  return org;
}

/** What a run recorded, without ids: each message with its customer, step and documents. */
async function recorded(t: TestDb, org: number) {
  const messages = (await outboxRows(t.store, org)).map((m) => ({
    customer: m.customer_id,
    step: m.step_id,
    status: m.status,
    documents: (m.payload as { documentIds: number[] }).documentIds,
  }));
  const events = (await eventRows(t.store, org)).map((e) => [e.document_id, e.step_id, e.status, e.skipped_steps]);
  return { messages: messages.sort((a, b) => a.customer - b.customer || (a.step ?? 0) - (b.step ?? 0)), events: events.sort() };
}

describe.each(BACKENDS)("a run in ranges of customers on %s", (backend) => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it("plans, records and counts what a run in one piece does", async () => {
    t = await openTestDb(backend);
    const whole = await ledger(t, "w");
    const cut = await ledger(t, "r");
    const asOf = "2026-03-03";

    const dryWhole = await planRun(t.store.db, whole, { asOf, dryRun: true });
    const dryCut = await planRun(t.store.db, cut, { asOf, dryRun: true, chunkCustomers: 2 });
    const shape = (r: typeof dryWhole) => ({
      planned: r.planned,
      skippedSteps: r.skippedSteps,
      suppressed: r.suppressed,
      messages: r.messages.map((m) => [m.customerRef.slice(2), m.stepName, m.documents.map((d) => d.slice(2))]),
    });
    expect(shape(dryCut)).toEqual(shape(dryWhole));
    // Something to compare: messages for A, B and C, held back for D, E (one document), F, G and H.
    expect(new Set(dryWhole.messages.map((m) => m.customerRef.slice(2)))).toEqual(new Set(["A", "B", "C", "E"]));
    expect(dryWhole.suppressed).toMatchObject({ promise: 1, dispute: 1, hold: 1, do_not_chase: 1 });
    expect(dryWhole.skippedSteps).toBeGreaterThan(0);

    const progress: { done: number; total: number }[] = [];
    const runWhole = await planRun(t.store.db, whole, { asOf });
    const runCut = await planRun(t.store.db, cut, { asOf, chunkCustomers: 2, batchSize: 1, onProgress: (p) => progress.push(p) });
    expect(shape(runCut)).toEqual(shape(runWhole));
    expect(shape(runWhole)).toEqual(shape(dryWhole));

    // The same rows, customer for customer and step for step (ids differ: map them by position).
    const a = await recorded(t, whole);
    const b = await recorded(t, cut);
    expect(b.messages).toHaveLength(a.messages.length);
    expect(b.events).toHaveLength(a.events.length);
    expect(a.events.length).toBe(runWhole.messages.reduce((n, m) => n + m.documentIds.length, 0));
    expect(b.messages.map((m) => [m.status, m.documents.length])).toEqual(a.messages.map((m) => [m.status, m.documents.length]));

    // Progress: never more recorded than the total, projected while ranges remain to be planned
    // and exact at the end, when every message is recorded.
    expect(progress.length).toBeGreaterThan(2);
    for (const p of progress) expect(p.done).toBeLessThanOrEqual(p.total);
    expect(progress[progress.length - 1]).toEqual({ done: runCut.planned, total: runCut.planned });

    // A second run over either, in ranges or not, records nothing new.
    expect((await planRun(t.store.db, whole, { asOf, chunkCustomers: 2 })).planned).toBe(0);
    expect((await planRun(t.store.db, cut, { asOf })).planned).toBe(0);
  });
});
