import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays, type IsoDate } from "../src/domain/dates.js";
import {
  arAt,
  type Ledger,
  notDueArAt,
  openDocumentsAt as openDocumentsInMemory,
  unallocatedPaymentsAt,
} from "../src/domain/receivables.js";
import type { Store } from "../src/store/connect.js";
import {
  arSeries,
  cachedOutstandingAt,
  notDueSeries,
  openDocumentsAt,
  outstandingAt,
  unallocatedPaymentsAt as unallocatedPaymentsSql,
} from "../src/store/ledger-sql.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { makeCustomer, makeOrg } from "./helpers/factories.js";

/** mulberry32: the same seed gives the same ledger on every backend. */
function rng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}

const START = "2023-12-01";

/**
 * Writes a random ledger with every awkward case the AR definition has to survive:
 * partial and over-allocations, credit notes, unallocated and customer-less payments,
 * allocations dated before the document's issue or before the payment, negative
 * write-offs; then updates and deletes movements so that the triggers of migration 0003
 * recompute their totals.
 */
async function randomLedger(store: Store, orgId: number, seed: number) {
  const r = rng(seed);
  const db = store.db;
  const customers = [await makeCustomer(store, orgId, `R${seed}A`), await makeCustomer(store, orgId, `R${seed}B`)];
  const docs: { id: number; issue: IsoDate }[] = [];
  for (let i = 0; i < 40; i++) {
    const credit = r.next() < 0.15;
    const issue = addDays(START, r.int(0, 450)); // crosses 29 February 2024
    const due = addDays(issue, credit ? 0 : r.int(0, 60));
    const total = r.int(1, 5000) * 100;
    const row = await db
      .insertInto("documents")
      .values({
        org_id: orgId,
        kind: credit ? "credit_note" : "invoice",
        number: `S${seed}-${i}`,
        customer_id: (customers[r.int(0, 1)] as { id: number }).id,
        issue_date: issue,
        due_date: due,
        total: credit ? -total : total,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    docs.push({ id: row.id, issue });
  }
  const payments: { id: number; date: IsoDate }[] = [];
  for (let i = 0; i < 30; i++) {
    const date = addDays(START, r.int(0, 500));
    const row = await db
      .insertInto("payments")
      .values({
        org_id: orgId,
        customer_id: r.next() < 0.2 ? null : (customers[r.int(0, 1)] as { id: number }).id,
        date,
        amount: r.int(1, 4000) * 100,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    payments.push({ id: row.id, date });
  }
  const pick = <T>(xs: T[]) => xs[r.int(0, xs.length - 1)] as T;
  // Allocations: mostly on the payment's date, some before the document was issued or before the payment.
  const allocationRows = Array.from({ length: 45 }, () => {
    const p = pick(payments);
    const d = pick(docs);
    const u = r.next();
    const date = u < 0.7 ? p.date : u < 0.85 ? addDays(d.issue, -r.int(1, 20)) : addDays(p.date, -r.int(1, 20));
    return { org_id: orgId, payment_id: p.id, document_id: d.id, amount: r.int(1, 3000) * 100, date };
  });
  // In three statements: the statement-level triggers must add up across statements too.
  await db.insertInto("allocations").values(allocationRows.slice(0, 20)).execute();
  await db.insertInto("allocations").values(allocationRows.slice(20, 21)).execute();
  await db.insertInto("allocations").values(allocationRows.slice(21)).execute();
  await db
    .insertInto("write_offs")
    .values(
      Array.from({ length: 8 }, () => ({
        org_id: orgId,
        document_id: pick(docs).id,
        date: addDays(START, r.int(0, 500)),
        amount: (r.next() < 0.25 ? -1 : 1) * r.int(1, 500) * 100,
      })),
    )
    .execute();
  // Updates and deletes.
  const ids = (await db.selectFrom("allocations").select("id").where("org_id", "=", orgId).orderBy("id").execute()).map((x) => x.id);
  await db
    .updateTable("allocations")
    .set({ amount: sql`amount + 100`, date: sql`date + 3` })
    .where("org_id", "=", orgId)
    .where("id", "in", ids.slice(0, 5))
    .execute();
  await db
    .updateTable("allocations")
    .set({ document_id: pick(docs).id })
    .where("org_id", "=", orgId)
    .where("id", "in", ids.slice(5, 8))
    .execute();
  await db.deleteFrom("allocations").where("org_id", "=", orgId).where("id", "in", ids.slice(8, 11)).execute();
  await db.deleteFrom("payments").where("org_id", "=", orgId).where("id", "=", pick(payments).id).execute();
  const wo = await db.selectFrom("write_offs").select("id").where("org_id", "=", orgId).orderBy("id").execute();
  await db
    .updateTable("write_offs")
    .set({ date: sql`date - 30` })
    .where("org_id", "=", orgId)
    .where("id", "=", (wo[0] as { id: number }).id)
    .execute();
  await db
    .deleteFrom("write_offs")
    .where("org_id", "=", orgId)
    .where("id", "=", (wo[1] as { id: number }).id)
    .execute();
}

async function ledgerOf(store: Store, orgId: number): Promise<Ledger> {
  const db = store.db;
  const [documents, payments, allocations, writeOffs] = await Promise.all([
    db.selectFrom("documents").selectAll().where("org_id", "=", orgId).execute(),
    db.selectFrom("payments").selectAll().where("org_id", "=", orgId).execute(),
    db.selectFrom("allocations").selectAll().where("org_id", "=", orgId).execute(),
    db.selectFrom("write_offs").selectAll().where("org_id", "=", orgId).execute(),
  ]);
  return {
    documents: documents.map((d) => ({
      id: d.id,
      customerId: d.customer_id,
      kind: d.kind,
      issueDate: d.issue_date,
      dueDate: d.due_date,
      total: d.total,
    })),
    payments: payments.map((p) => ({ id: p.id, customerId: p.customer_id, date: p.date, amount: p.amount })),
    allocations: allocations.map((a) => ({ paymentId: a.payment_id, documentId: a.document_id, date: a.date, amount: a.amount })),
    writeOffs: writeOffs.map((w) => ({ documentId: w.document_id, date: w.date, amount: w.amount })),
  };
}

const DATES = [
  "2023-11-30",
  "2023-12-01",
  "2024-01-15",
  "2024-02-28",
  "2024-02-29",
  "2024-03-01",
  "2024-04-30",
  "2024-06-30",
  "2024-09-15",
  "2024-12-31",
  "2025-02-20",
  "2025-04-15",
  "2026-01-01",
];

describe.each(BACKENDS)("SQL forms of the ledger on %s", (backend) => {
  let t: TestDb;
  const orgs: number[] = [];
  beforeAll(async () => {
    t = await openTestDb(backend);
    for (const seed of [11, 12, 13]) {
      const { org } = await makeOrg(t.store, `seed-${seed}`);
      await randomLedger(t.store, org.id, seed);
      orgs.push(org.id);
    }
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("keeps each document's and payment's movement totals equal to its movements after inserts, updates and deletes", async () => {
    const docs = await sql<{ bad: number }>`
      select count(*)::int as bad from documents d
      left join lateral (select coalesce(sum(amount), 0) s, min(date) mn, max(date) mx from allocations a where a.org_id = d.org_id and a.document_id = d.id) a on true
      left join lateral (select coalesce(sum(amount), 0) s, min(date) mn, max(date) mx from write_offs w where w.org_id = d.org_id and w.document_id = d.id) w on true
      where d.paid <> a.s or d.written_off <> w.s or d.paid_last is distinct from a.mx
         or d.settled_first is distinct from least(a.mn, w.mn) or d.settled_last is distinct from greatest(a.mx, w.mx)`.execute(t.store.db);
    const pays = await sql<{ bad: number }>`
      select count(*)::int as bad from payments p
      left join lateral (select coalesce(sum(amount), 0) s, min(date) mn, max(date) mx from allocations a where a.org_id = p.org_id and a.payment_id = p.id) a on true
      where p.allocated <> a.s or p.allocated_first is distinct from a.mn or p.allocated_last is distinct from a.mx`.execute(t.store.db);
    expect(docs.rows[0]?.bad).toBe(0);
    expect(pays.rows[0]?.bad).toBe(0);
    const anyMovement = await sql<{ n: number }>`select count(*)::int as n from documents where paid <> 0`.execute(t.store.db);
    expect(anyMovement.rows[0]?.n).toBeGreaterThan(20);
  });

  it("gives each document the outstanding of DESIGN §3 at every date, from the cached totals", async () => {
    for (const orgId of orgs) {
      for (const date of DATES) {
        const rows = await sql<{ id: number; a: number; b: number }>`
          select d.id, ${outstandingAt(date)} as a, ${cachedOutstandingAt(date)} as b from documents d where d.org_id = ${orgId}`.execute(
          t.store.db,
        );
        expect(rows.rows.filter((r) => r.a !== r.b)).toEqual([]);
      }
    }
  });

  it("lists the open documents and unallocated payments the domain lists, at every date", async () => {
    for (const orgId of orgs) {
      const ledger = await ledgerOf(t.store, orgId);
      for (const date of DATES) {
        const open = await sql<{
          id: number;
          outstanding: number;
        }>`select o.id, o.outstanding from ${openDocumentsAt(orgId, date)} o order by o.id`.execute(t.store.db);
        const expected = openDocumentsInMemory(ledger, date)
          .map((o) => ({ id: o.document.id, outstanding: o.outstanding }))
          .sort((a, b) => Number(a.id) - Number(b.id));
        expect(open.rows, `open documents at ${date}`).toEqual(expected);
        const unallocated = await sql<{ id: number; unallocated: number }>`
          select u.id, u.unallocated from ${unallocatedPaymentsSql(orgId, date)} u order by u.id`.execute(t.store.db);
        const expectedPayments = unallocatedPaymentsAt(ledger, date)
          .map((u) => ({ id: u.payment.id, unallocated: u.unallocated }))
          .sort((a, b) => Number(a.id) - Number(b.id));
        expect(unallocated.rows, `unallocated payments at ${date}`).toEqual(expectedPayments);
      }
    }
  });

  it("computes AR and not-yet-due AR series equal to the domain's, movements before issue included", async () => {
    for (const orgId of orgs) {
      const ledger = await ledgerOf(t.store, orgId);
      const ar = await sql<{ date: string; ar: number }>`select * from ${arSeries(orgId, DATES)} s order by date`.execute(t.store.db);
      expect(ar.rows).toEqual(DATES.map((date) => ({ date, ar: arAt(ledger, date) })));
      const notDue = await sql<{ date: string; not_due: number }>`select * from ${notDueSeries(orgId, DATES)} s order by date`.execute(
        t.store.db,
      );
      expect(notDue.rows).toEqual(DATES.map((date) => ({ date, not_due: notDueArAt(ledger, date) })));
    }
  });

  it("really exercises movements dated before their document or payment", async () => {
    const early = await sql<{ d: number; p: number }>`
      select (select count(*)::int from documents where settled_first < issue_date) as d,
             (select count(*)::int from payments where allocated_first < date) as p`.execute(t.store.db);
    expect(early.rows[0]?.d).toBeGreaterThan(0);
    expect(early.rows[0]?.p).toBeGreaterThan(0);
  });
});
