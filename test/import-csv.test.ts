import ExcelJS from "exceljs";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { type Actor, cliActor } from "../src/services/actor.js";
import { ImportRejected, importFile } from "../src/services/import-file.js";
import type { Store } from "../src/store/connect.js";
import { outstandingAt } from "../src/store/ledger-sql.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { makeOrg } from "./helpers/factories.js";
import { tableCounts } from "./helpers/import.js";

/** Windows-1252 bytes (French Excel's "CSV (séparateur: point-virgule)"). */
function cp1252(s: string): Uint8Array {
  return Uint8Array.from([...s].map((c) => (c === "€" ? 0x80 : c.charCodeAt(0))));
}
const utf8 = (s: string) => new TextEncoder().encode(s);

async function documentState(store: Store, orgId: number, number: string) {
  return store.db
    .selectFrom("documents as d")
    .innerJoin("customers as c", (j) => j.onRef("c.org_id", "=", "d.org_id").onRef("c.id", "=", "d.customer_id"))
    .select([
      "d.number",
      "d.kind",
      "d.issue_date",
      "d.due_date",
      "d.total",
      "d.currency",
      "d.source",
      "c.ref",
      outstandingAt("9999-12-31").as("outstanding"),
    ])
    .where("d.org_id", "=", orgId)
    .where("d.number", "=", number)
    .executeTakeFirstOrThrow();
}

const FR_INVOICES =
  "N° facture;Code client;Raison sociale;Date facture;Échéance;Montant TTC;Montant réglé;Email\r\n" +
  "FA-2024-001;C001;Société Générale d'Équipement;15/01/2024;14/02/2024;1 234,56;234,56;compta@sge.fr\r\n" +
  "FA-2024-002;C001;Société Générale d'Équipement;20/01/2024;;500,00;;\r\n" +
  "FA-2024-003;C002;Hôtel Bellevue;01/02/2024;02/03/2024;10 000,00;10 000,00;\r\n";

describe.each(BACKENDS)("import of CSV/XLSX files on %s", (backend) => {
  let t: TestDb;
  let owner: Actor;
  let orgId: number;
  afterEach(async () => {
    await t?.dispose();
  });
  const setup = async () => {
    t = await openTestDb(backend);
    const o = await makeOrg(t.store, "acme");
    owner = o.owner;
    orgId = o.org.id;
  };

  it("imports a French export (Windows-1252, ';', DD/MM/YYYY, '1 234,56'): customers created, paid amounts allocated", async () => {
    await setup();
    const s = await importFile(t.store, owner, {
      kind: "invoices",
      bytes: cp1252(FR_INVOICES),
      filename: "factures.csv",
      today: "2024-03-10",
    });
    expect(s).toMatchObject({ file: "factures.csv", format: "csv", inserted: 3, updated: 0, skipped: 0, errors: [] });
    expect(s.details.customers).toEqual({ inserted: 2, updated: 0, skipped: 0 });
    expect(s.details.allocations.inserted).toBe(2);
    expect(await documentState(t.store, orgId, "FA-2024-001")).toMatchObject({
      issue_date: "2024-01-15",
      due_date: "2024-02-14",
      total: 123456,
      outstanding: 100000,
      ref: "C001",
      source: "csv",
    });
    // No due date in the file: the customer's terms (30 days by default).
    expect(await documentState(t.store, orgId, "FA-2024-002")).toMatchObject({ due_date: "2024-02-19", outstanding: 50000 });
    expect(await documentState(t.store, orgId, "FA-2024-003")).toMatchObject({ outstanding: 0 });
    const c = await t.store.db
      .selectFrom("customers")
      .selectAll()
      .where("org_id", "=", orgId)
      .where("ref", "=", "C001")
      .executeTakeFirstOrThrow();
    expect(c).toMatchObject({ name: "Société Générale d'Équipement", email: "compta@sge.fr" });
    const batches = await t.store.db.selectFrom("import_batches").selectAll().where("org_id", "=", orgId).execute();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ kind: "invoices", format: "csv", file_name: "factures.csv", inserted: 3 });
  });

  it("writes the movement totals of the documents and payments it creates equal to their movements; the database refuses totals that are not", async () => {
    await setup();
    const csv =
      "invoice_number;customer_ref;issue_date;amount_total;amount_paid;payment_date\n" +
      "P-1;C1;2024-01-10;100,00;40,00;2024-01-20\n" + // paid after issue: dated as the file says
      "P-2;C1;2024-01-10;100,00;100,00;2024-01-05\n" + // "paid" before its issue date: dated the issue date
      "P-3;C2;2024-01-12;50,00;50,00;\n" + // no date: the import date
      "P-4;C2;2024-01-12;70,00;;\n";
    const s = await importFile(t.store, owner, { kind: "invoices", bytes: utf8(csv), filename: "paid.csv", today: "2024-03-01" });
    expect(s).toMatchObject({ inserted: 4, errors: [] });
    expect(s.details.allocations.inserted).toBe(3);
    const docs = await sql<{ number: string; paid: number; paid_last: string | null; settled_first: string | null; open_balance: number }>`
      select number, paid, paid_last, settled_first, open_balance from documents where org_id = ${orgId} order by number`.execute(
      t.store.db,
    );
    expect(docs.rows).toEqual([
      { number: "P-1", paid: 4000, paid_last: "2024-01-20", settled_first: "2024-01-20", open_balance: 6000 },
      { number: "P-2", paid: 10000, paid_last: "2024-01-10", settled_first: "2024-01-10", open_balance: 0 },
      { number: "P-3", paid: 5000, paid_last: "2024-03-01", settled_first: "2024-03-01", open_balance: 0 },
      { number: "P-4", paid: 0, paid_last: null, settled_first: null, open_balance: 7000 },
    ]);
    // The totals equal a recomputation from the movements (what the allocation trigger keeps).
    const bad = await sql<{ n: number }>`
      select (select count(*) from documents d
        left join lateral (select coalesce(sum(amount), 0) s, min(date) mn, max(date) mx from allocations a where a.org_id = d.org_id and a.document_id = d.id) a on true
        where d.org_id = ${orgId} and (d.paid <> a.s or d.paid_last is distinct from a.mx or d.settled_first is distinct from a.mn or d.settled_last is distinct from a.mx))
      + (select count(*) from payments p
        left join lateral (select coalesce(sum(amount), 0) s, min(date) mn, max(date) mx from allocations a where a.org_id = p.org_id and a.payment_id = p.id) a on true
        where p.org_id = ${orgId} and (p.allocated <> a.s or p.allocated_first is distinct from a.mn or p.allocated_last is distinct from a.mx))
      as n`.execute(t.store.db);
    expect(Number(bad.rows[0]?.n)).toBe(0);
    // Allocations inserted under relance.ledger_prefilled onto a document and a payment that
    // do not carry their totals: the trigger's check fails the statement.
    const attempt = t.store.db.transaction().execute(async (trx) => {
      await sql`select set_config('relance.ledger_prefilled', 'on', true)`.execute(trx);
      const doc = await sql<{
        id: number;
        customer_id: number;
      }>`select id, customer_id from documents where org_id = ${orgId} and number = 'P-4'`.execute(trx);
      const d = doc.rows[0] as { id: number; customer_id: number };
      const pay = await sql<{
        id: number;
      }>`insert into payments (org_id, customer_id, date, amount) values (${orgId}, ${d.customer_id}, '2024-02-01', 1000) returning id`.execute(
        trx,
      );
      await sql`insert into allocations (org_id, payment_id, document_id, amount, date) values (${orgId}, ${pay.rows[0]?.id}, ${d.id}, 1000, '2024-02-01')`.execute(
        trx,
      );
    });
    await expect(attempt).rejects.toThrow(/ledger_prefilled/);
    expect(await documentState(t.store, orgId, "P-4")).toMatchObject({ outstanding: 7000 });
  });

  it("imports an English UTF-8 export with credit notes and currencies", async () => {
    await setup();
    const csv =
      "invoice_number,customer_ref,customer_name,issue_date,due_date,amount_total,currency,type\nINV-1,ACME,Acme Ltd,2024-03-01,2024-03-31,1234.50,GBP,invoice\nCN-1,ACME,Acme Ltd,2024-03-05,2024-03-05,100.00,GBP,credit_note\n";
    const s = await importFile(t.store, owner, { kind: "invoices", bytes: utf8(csv), filename: "invoices.csv" });
    expect(s).toMatchObject({ inserted: 2, errors: [] });
    expect(await documentState(t.store, orgId, "CN-1")).toMatchObject({ kind: "credit_note", total: -10000, currency: "GBP" });
  });

  it("rejects a file with a bad date on line 4 and a missing amount on line 7, listing both, writing nothing", async () => {
    await setup();
    await importFile(t.store, owner, { kind: "invoices", bytes: cp1252(FR_INVOICES), filename: "first.csv" });
    const before = await tableCounts(t.store, orgId);
    const bad = [
      "numero_facture;code_client;date_facture;montant_ttc",
      "B-1;C9;01/03/2024;10,00",
      "B-2;C9;02/03/2024;20,00",
      "B-3;C9;31/04/2024;30,00",
      "B-4;C9;04/03/2024;40,00",
      "B-5;C9;05/03/2024;50,00",
      "B-6;C9;06/03/2024;",
      "B-7;C9;07/03/2024;70,00",
    ].join("\r\n");
    const error = await importFile(t.store, owner, { kind: "invoices", bytes: utf8(bad), filename: "bad.csv" }).catch((e) => e);
    expect(error).toBeInstanceOf(ImportRejected);
    expect(error.exitCode).toBe(3);
    expect(error.problems).toEqual([
      { line: 4, field: "issue_date", message: 'invalid date "31/04/2024": no such day' },
      { line: 7, field: "amount_total", message: "missing value" },
    ]);
    expect(error.summary).toMatchObject({ file: "bad.csv", inserted: 0, errors: error.problems });
    expect(await tableCounts(t.store, orgId)).toEqual(before);
  });

  it("refuses an invoice number twice in one file, naming both lines", async () => {
    await setup();
    const csv = "numero_facture;client;date_facture;montant_ttc\nX-1;A;01/01/2024;1\nX-2;A;01/01/2024;1\nX-1;A;02/01/2024;1\n";
    const error = await importFile(t.store, owner, { kind: "invoices", bytes: utf8(csv), filename: "dup.csv" }).catch((e) => e);
    expect(error.problems).toEqual([
      { line: 4, field: "invoice_number", message: '"X-1" is already on line 2 / en double avec la ligne 2' },
    ]);
    expect((await tableCounts(t.store, orgId)).documents).toBe(0);
  });

  it("changes nothing when the same file is imported twice", async () => {
    await setup();
    await importFile(t.store, owner, { kind: "invoices", bytes: cp1252(FR_INVOICES), filename: "factures.csv", today: "2024-03-10" });
    const before = await tableCounts(t.store, orgId);
    const again = await importFile(t.store, owner, {
      kind: "invoices",
      bytes: cp1252(FR_INVOICES),
      filename: "factures.csv",
      today: "2024-04-10",
    });
    expect(again).toMatchObject({ inserted: 0, updated: 0, skipped: 3, batchId: null });
    expect(again.details.allocations).toEqual({ inserted: 0, updated: 0, skipped: 0 });
    expect(await tableCounts(t.store, orgId)).toEqual(before);
  });

  it("updates in place from a later export with the same numbers and new paid amounts", async () => {
    await setup();
    await importFile(t.store, owner, { kind: "invoices", bytes: cp1252(FR_INVOICES), filename: "janvier.csv", today: "2024-03-10" });
    const later = FR_INVOICES.replace("1 234,56;234,56", "1 234,56;1 234,56")
      .replace("20/01/2024;;500,00;;", "20/01/2024;15/03/2024;500,00;200,00;")
      .replace("10 000,00;10 000,00", "10 000,00;0");
    const s = await importFile(t.store, owner, { kind: "invoices", bytes: cp1252(later), filename: "mars.csv", today: "2024-03-20" });
    expect(s).toMatchObject({ inserted: 0, updated: 3, skipped: 0 });
    expect(await documentState(t.store, orgId, "FA-2024-001")).toMatchObject({ outstanding: 0 });
    expect(await documentState(t.store, orgId, "FA-2024-002")).toMatchObject({ due_date: "2024-03-15", outstanding: 30000 });
    expect(await documentState(t.store, orgId, "FA-2024-003")).toMatchObject({ outstanding: 1000000 });
    // One synthetic "paid before import" payment per paid invoice, adjusted, never duplicated.
    const synthetic = await t.store.db
      .selectFrom("payments")
      .select(["bank_tx_id", "amount", "date"])
      .where("org_id", "=", orgId)
      .where("source", "=", "import")
      .orderBy("bank_tx_id")
      .execute();
    expect(synthetic).toEqual([
      { bank_tx_id: "relance:paid:FA-2024-001", amount: 123456, date: "2024-03-20" },
      { bank_tx_id: "relance:paid:FA-2024-002", amount: 20000, date: "2024-03-20" },
    ]);
    const third = await importFile(t.store, owner, { kind: "invoices", bytes: cp1252(later), filename: "mars.csv", today: "2024-03-21" });
    expect(third).toMatchObject({ inserted: 0, updated: 0, skipped: 3 });
  });

  it("keeps payments recorded in Relance when an export says less was paid, and refuses a total below them", async () => {
    await setup();
    await importFile(t.store, owner, { kind: "invoices", bytes: cp1252(FR_INVOICES), filename: "f.csv" });
    const doc = await t.store.db
      .selectFrom("documents")
      .select(["id", "customer_id"])
      .where("number", "=", "FA-2024-002")
      .executeTakeFirstOrThrow();
    const p = await t.store.db
      .insertInto("payments")
      .values({ org_id: orgId, customer_id: doc.customer_id, date: "2024-02-01", amount: 30000, source: "manual" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.store.db
      .insertInto("allocations")
      .values({ org_id: orgId, payment_id: p.id, document_id: doc.id, amount: 30000, date: "2024-02-01" })
      .execute();
    const before = await tableCounts(t.store, orgId);
    const lower = FR_INVOICES.replace("20/01/2024;;500,00;;", "20/01/2024;;250,00;;");
    const error = await importFile(t.store, owner, { kind: "invoices", bytes: cp1252(lower), filename: "g.csv" }).catch((e) => e);
    expect(error).toBeInstanceOf(ImportRejected);
    expect(error.problems).toEqual([
      {
        line: 3,
        field: "amount_total",
        message: "FA-2024-002: the total 250.00 is below what is already paid or written off in Relance (300.00)",
      },
    ]);
    expect(await tableCounts(t.store, orgId)).toEqual(before);
  });

  it("reports a dry run's counts without writing anything", async () => {
    await setup();
    const before = await tableCounts(t.store, orgId);
    const s = await importFile(t.store, owner, { kind: "invoices", bytes: cp1252(FR_INVOICES), filename: "f.csv", dryRun: true });
    expect(s).toMatchObject({ dryRun: true, inserted: 3, batchId: null });
    expect(await tableCounts(t.store, orgId)).toEqual(before);
  });

  it("imports an Excel workbook", async () => {
    await setup();
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Export");
    ws.addRow(["Numéro facture", "Code client", "Client", "Date facture", "Date échéance", "Montant TTC", "Montant réglé"]);
    ws.addRow(["X-1", "K1", "Kappa SARL", new Date(Date.UTC(2024, 4, 2)), new Date(Date.UTC(2024, 5, 1)), 2400, 400]);
    ws.addRow(["X-2", "K1", "Kappa SARL", new Date(Date.UTC(2024, 4, 3)), new Date(Date.UTC(2024, 5, 2)), 99.99, null]);
    const bytes = new Uint8Array(await wb.xlsx.writeBuffer());
    const s = await importFile(t.store, owner, { kind: "invoices", bytes, filename: "export.xlsx" });
    expect(s).toMatchObject({ format: "xlsx", inserted: 2, errors: [] });
    expect(await documentState(t.store, orgId, "X-1")).toMatchObject({
      issue_date: "2024-05-02",
      due_date: "2024-06-01",
      total: 240000,
      outstanding: 200000,
    });
    const again = await importFile(t.store, owner, { kind: "invoices", bytes, filename: "export.xlsx" });
    expect(again).toMatchObject({ inserted: 0, updated: 0, skipped: 2 });
  });

  it("imports customers: new ones inserted, changed values updated, empty cells never erase, IBANs kept", async () => {
    await setup();
    const first =
      "code_client;raison_sociale;email;siren;delai_paiement;iban\nC1;Dupont SA;a@dupont.fr;732829320;45;FR7630006000011234567890189\nC2;Durand;;;;\n";
    expect(await importFile(t.store, owner, { kind: "customers", bytes: utf8(first), filename: "c.csv" })).toMatchObject({
      inserted: 2,
      updated: 0,
      skipped: 0,
    });
    const second =
      "code_client;raison_sociale;email;siren;delai_paiement\nC1;Dupont SA;;732829320;60\nC2;Durand;;;\nC3;Martin;m@martin.fr;;\n";
    expect(await importFile(t.store, owner, { kind: "customers", bytes: utf8(second), filename: "c2.csv" })).toMatchObject({
      inserted: 1,
      updated: 1,
      skipped: 1,
    });
    const c1 = await t.store.db
      .selectFrom("customers")
      .selectAll()
      .where("org_id", "=", orgId)
      .where("ref", "=", "C1")
      .executeTakeFirstOrThrow();
    expect(c1).toMatchObject({ email: "a@dupont.fr", payment_terms_days: 60, siren: "732829320" });
    const ibans = await t.store.db
      .selectFrom("customer_bank_accounts")
      .select(["customer_id", "iban"])
      .where("org_id", "=", orgId)
      .execute();
    expect(ibans).toEqual([{ customer_id: c1.id, iban: "FR7630006000011234567890189" }]);
    // Invoices of a customer with 60-day terms fall due 60 days after issue.
    await importFile(t.store, owner, {
      kind: "invoices",
      bytes: utf8("numero_facture;code_client;date_facture;montant_ttc\nD-1;C1;01/03/2024;100\n"),
      filename: "d.csv",
    });
    expect(await documentState(t.store, orgId, "D-1")).toMatchObject({ due_date: "2024-04-30" });
  });

  it("imports payments once, keeps identical rows apart, allocates what the file names and matches the rest when certain", async () => {
    await setup();
    await importFile(t.store, owner, { kind: "invoices", bytes: cp1252(FR_INVOICES), filename: "f.csv" });
    const pay =
      "date_paiement;montant;libelle;code_client;numero_facture\n" +
      "05/03/2024;1 000,00;VIR SOCIETE GENERALE EQUIPEMENT;;FA-2024-001\n" +
      "06/03/2024;500,00;VIR SGE FACTURE FA-2024-002;;\n" +
      "07/03/2024;12,34;CHEQUE;;\n" +
      "07/03/2024;12,34;CHEQUE;;\n";
    const s = await importFile(t.store, owner, { kind: "payments", bytes: utf8(pay), filename: "releve.csv" });
    expect(s).toMatchObject({ inserted: 4, updated: 0, skipped: 0 });
    expect(s.matching).toEqual({ matched: 1, unmatched: 2 });
    expect(await documentState(t.store, orgId, "FA-2024-001")).toMatchObject({ outstanding: 0 });
    expect(await documentState(t.store, orgId, "FA-2024-002")).toMatchObject({ outstanding: 0 });
    const unallocated = await t.store.db
      .selectFrom("payments as p")
      .select(["p.amount"])
      .where("p.org_id", "=", orgId)
      .where("p.reference", "=", "CHEQUE")
      .execute();
    expect(unallocated.map((p) => p.amount)).toEqual([1234, 1234]);
    const before = await tableCounts(t.store, orgId);
    const again = await importFile(t.store, owner, { kind: "payments", bytes: utf8(pay), filename: "releve.csv" });
    expect(again).toMatchObject({ inserted: 0, updated: 0, skipped: 4, matching: null });
    expect(await tableCounts(t.store, orgId)).toEqual(before);
  });

  it("refuses a viewer, and keeps each organisation's imports apart", async () => {
    await setup();
    const viewer: Actor = { ...cliActor(orgId), role: "viewer", label: "viewer" };
    await expect(importFile(t.store, viewer, { kind: "invoices", bytes: utf8(FR_INVOICES), filename: "f.csv" })).rejects.toMatchObject({
      code: "forbidden",
    });
    const other = await makeOrg(t.store, "other");
    await importFile(t.store, other.owner, { kind: "invoices", bytes: cp1252(FR_INVOICES), filename: "f.csv" });
    // The same numbers in another organisation are new here.
    const s = await importFile(t.store, owner, { kind: "invoices", bytes: cp1252(FR_INVOICES), filename: "f.csv" });
    expect(s).toMatchObject({ inserted: 3 });
  });
});
