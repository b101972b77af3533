import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { PDFDocument } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../src/errors.js";
import { type Actor, cliActor } from "../src/services/actor.js";
import { getDocument } from "../src/services/documents.js";
import { ImportRejected, importFile } from "../src/services/import-file.js";
import { listUnmatchedPayments } from "../src/services/match-payments.js";
import type { Store } from "../src/store/connect.js";
import { outstandingAt } from "../src/store/ledger-sql.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { tableCounts } from "./helpers/import.js";

const CORPUS = new URL("../../shared/corpus/", import.meta.url);
const corpusFiles = (dir: string) =>
  readdirSync(new URL(`${dir}/`, CORPUS), { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => ({ dir, name: e.name, bytes: new Uint8Array(readFileSync(new URL(`${dir}/${e.name}`, CORPUS))) }));

/** A bare organisation (no users): each corpus file gets its own, as many share invoice numbers. */
let orgSeq = 0;
async function bareOrg(store: Store): Promise<Actor> {
  const row = await store.db
    .insertInto("orgs")
    .values({ slug: `o${++orgSeq}-${Date.now() % 100000}`, name: "Test" })
    .returning("id")
    .executeTakeFirstOrThrow();
  return cliActor(row.id);
}

/** CFONB 120 records as the published layout places them (see src/ingest/bank/cfonb.ts). */
function cfonbRecord(
  code: "01" | "04" | "05" | "07",
  f: { date: string; cents?: number; label?: string; entry?: string; qualifier?: string; text?: string },
): string {
  const line = Array.from({ length: 120 }, () => " ");
  const put = (from: number, to: number, v: string) => {
    const w = to - from + 1;
    const s = v.slice(0, w).padEnd(w, " ");
    for (let i = 0; i < w; i++) line[from - 1 + i] = s[i] as string;
  };
  put(1, 2, code);
  put(3, 7, "30004");
  put(8, 11, code === "04" || code === "05" ? "0568" : "    ");
  put(12, 16, "00823");
  put(17, 19, "EUR");
  put(20, 20, "2");
  put(22, 32, "00010203040");
  put(33, 34, code === "04" || code === "05" ? "05" : "  ");
  put(35, 40, f.date);
  if (code === "04") {
    put(43, 48, f.date);
    put(49, 79, f.label ?? "");
    put(82, 88, f.entry ?? "");
  }
  if (code === "05") {
    put(46, 48, f.qualifier ?? "LIB");
    put(49, 118, f.text ?? "");
  } else {
    const cents = f.cents ?? 0;
    const digits = String(Math.abs(cents)).padStart(14, "0");
    put(91, 104, digits.slice(0, 13) + (cents < 0 ? "}JKLMNOPQR" : "{ABCDEFGHI")[Number(digits[13])]);
  }
  return line.join("");
}

const XXE = (file: string) => `<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file://${file}">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>&xxe;</cbc:ID>
</Invoice>`;

describe.each(BACKENDS)("import of e-invoices, FEC and bank statements on %s", (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("imports every FEC of the corpus (customers, invoices, payments), and a second time changes nothing", async () => {
    for (const f of corpusFiles("fec")) {
      const actor = await bareOrg(t.store);
      const s = await importFile(t.store, actor, { kind: "invoices", bytes: f.bytes, filename: f.name });
      expect(s.format, f.name).toBe("fec");
      expect(s.details.customers.inserted, f.name).toBeGreaterThan(0);
      expect(s.inserted, f.name).toBeGreaterThan(0);
      if (f.name !== "123456789FEC20500930.txt") expect(s.details.payments.inserted, f.name).toBeGreaterThan(0);
      const before = await tableCounts(t.store, actor.orgId);
      expect(before.documents).toBe(s.inserted);
      const again = await importFile(t.store, actor, { kind: "invoices", bytes: f.bytes, filename: f.name });
      expect(again, f.name).toMatchObject({ inserted: 0, updated: 0, skipped: s.inserted });
      expect(again.details.payments.inserted + again.details.allocations.inserted, f.name).toBe(0);
      expect(again.details.creditNotes, f.name).toEqual({ ...s.details.creditNotes, inserted: 0, skipped: s.details.creditNotes.inserted });
      expect(await tableCounts(t.store, actor.orgId), f.name).toEqual(before);
    }
  });

  it("gives a FEC customer the balance read by hand: E.LECLERC CARPENTR owes nothing once its lettering is applied", async () => {
    const actor = await bareOrg(t.store);
    const f = corpusFiles("fec").find((x) => x.name === "111111111FEC20221231.TXT") as { bytes: Uint8Array; name: string };
    await importFile(t.store, actor, { kind: "payments", bytes: f.bytes, filename: f.name });
    const docs = await t.store.db
      .selectFrom("documents as d")
      .innerJoin("customers as c", (j) => j.onRef("c.org_id", "=", "d.org_id").onRef("c.id", "=", "d.customer_id"))
      .select(["d.number", "d.total", "d.due_date", "d.issue_date", outstandingAt("9999-12-31").as("outstanding")])
      .where("d.org_id", "=", actor.orgId)
      .where("c.ref", "=", "41101590")
      .execute();
    // 74,70 + 148,13 + 112,06 + 280,24 + 155,09 + 55,07 (opening) = 825,29, all lettered with receipts.
    expect(docs.reduce((s, d) => s + d.total, 0)).toBe(82529);
    expect(docs.every((d) => d.outstanding === 0)).toBe(true);
    // No due date in a FEC: issue date + 30 days (default terms).
    const ve0123 = docs.find((d) => d.number === "VE 0123-00000001");
    expect(ve0123).toMatchObject({ issue_date: "2023-01-09", due_date: "2023-02-08" });
    const customersOnly = await importFile(t.store, await bareOrg(t.store), { kind: "customers", bytes: f.bytes, filename: f.name });
    expect(customersOnly).toMatchObject({ inserted: 34, details: { documents: { inserted: 0 }, payments: { inserted: 0 } } });
  });

  it("applies a credit note lettered with an invoice (read by hand: U EXPRESS MONTEUX, VE 0323, lettering AD)", async () => {
    const actor = await bareOrg(t.store);
    const f = corpusFiles("fec").find((x) => x.name === "111111111FEC20221231.TXT") as { bytes: Uint8Array; name: string };
    const s = await importFile(t.store, actor, { kind: "invoices", bytes: f.bytes, filename: f.name });
    // Entry 9 (6/3/2023) debits 74,06 on 41104752, entry 12 (13/3/2023) credits 74,06 back
    // with 70* debits: an invoice and its credit note, both lettered AD on 13/3/2023.
    expect(s.details.creditNotes.inserted).toBe(3);
    const docs = await t.store.db
      .selectFrom("documents as d")
      .innerJoin("customers as c", (j) => j.onRef("c.org_id", "=", "d.org_id").onRef("c.id", "=", "d.customer_id"))
      .select(["d.id", "d.number", "d.kind", "d.total", outstandingAt("2023-03-12").as("before"), outstandingAt("2023-03-13").as("after")])
      .where("d.org_id", "=", actor.orgId)
      .where("c.ref", "=", "41104752")
      .where("d.number", "in", ["VE 0323-00000009", "VE 0323-00000012"])
      .orderBy("d.number")
      .execute();
    expect(docs.map((d) => [d.number, d.kind, d.total, d.before, d.after])).toEqual([
      ["VE 0323-00000009", "invoice", 7406, 7406, 0],
      ["VE 0323-00000012", "credit_note", -7406, -7406, 0],
    ]);
    const pair = await t.store.db
      .selectFrom("write_offs")
      .select(["document_id", "applied_document_id", "amount", "date"])
      .where("org_id", "=", actor.orgId)
      .where(
        "document_id",
        "in",
        docs.map((d) => d.id),
      )
      .orderBy("amount", "desc")
      .execute();
    const [invoice, creditNote] = docs;
    expect(pair).toEqual([
      { document_id: invoice?.id, applied_document_id: creditNote?.id, amount: 7406, date: "2023-03-13" },
      { document_id: creditNote?.id, applied_document_id: invoice?.id, amount: -7406, date: "2023-03-13" },
    ]);
    // The invoice's page names the credit note applied to it.
    const shown = await getDocument(t.store.db, actor, invoice?.id as number);
    expect(shown.writeOffs.map((w) => [w.amount, w.applied_number, w.applied_kind])).toEqual([[7406, "VE 0323-00000012", "credit_note"]]);
    // No money moved: no payment, no allocation on either document.
    const allocated = await t.store.db
      .selectFrom("allocations")
      .select("id")
      .where("org_id", "=", actor.orgId)
      .where(
        "document_id",
        "in",
        docs.map((d) => d.id),
      )
      .execute();
    expect(allocated).toEqual([]);
  });

  it("moves a credit note's application when an updated FEC letters it with another invoice", async () => {
    const actor = await bareOrg(t.store);
    const header =
      "JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|Idevise";
    const line = (num: string, date: string, account: string, aux: string, piece: string, debit: string, credit: string, let_ = "") =>
      `VT|Ventes|${num}|${date}|${account}|Compte|${aux}|${aux ? "Client Un" : ""}|${piece}|${date}|Libellé|${debit}|${credit}|${let_}|||||`;
    const file = (letFa1: string, letFa2: string, letAv: string) =>
      [
        header,
        line("1", "20240105", "411000", "C1", "FA-1", "120,00", "0,00", letFa1),
        line("1", "20240105", "706000", "", "FA-1", "0,00", "120,00"),
        line("2", "20240110", "411000", "C1", "FA-2", "240,00", "0,00", letFa2),
        line("2", "20240110", "706000", "", "FA-2", "0,00", "240,00"),
        line("3", "20240120", "411000", "C1", "AV-1", "0,00", "60,00", letAv),
        line("3", "20240120", "706000", "", "AV-1", "60,00", "0,00"),
      ].join("\n");
    const owed = async () =>
      Object.fromEntries(
        (
          await t.store.db
            .selectFrom("documents as d")
            .select(["d.number", outstandingAt("2024-12-31").as("outstanding")])
            .where("d.org_id", "=", actor.orgId)
            .execute()
        ).map((d) => [d.number, d.outstanding]),
      );
    const first = await importFile(t.store, actor, {
      kind: "invoices",
      bytes: new TextEncoder().encode(file("", "BB", "BB")),
      filename: "v1.txt",
    });
    expect(first.details.creditNotes).toMatchObject({ inserted: 1, updated: 0 });
    expect(await owed()).toEqual({ "FA-1": 12_000, "FA-2": 18_000, "AV-1": 0 });
    // The accountant re-lettered the credit note with FA-1: the application moves, nothing else changes.
    const second = await importFile(t.store, actor, {
      kind: "invoices",
      bytes: new TextEncoder().encode(file("CC", "", "CC")),
      filename: "v2.txt",
    });
    expect(second).toMatchObject({ inserted: 0, details: { creditNotes: { inserted: 0, updated: 1 } } });
    expect(await owed()).toEqual({ "FA-1": 6_000, "FA-2": 24_000, "AV-1": 0 });
    const rows = await t.store.db.selectFrom("write_offs").select("amount").where("org_id", "=", actor.orgId).execute();
    expect(rows.map((r) => r.amount).sort((a, b) => a - b)).toEqual([-6_000, 6_000]);
  });

  it("imports every valid Factur-X, CII and UBL file of the corpus with its original attached", async () => {
    const files = [...corpusFiles("facturx"), ...corpusFiles("facturx/xml"), ...corpusFiles("cii"), ...corpusFiles("ubl")].filter(
      (f) => !f.name.startsWith("invalid_"),
    );
    expect(files.length).toBeGreaterThan(70);
    for (const f of files) {
      const actor = await bareOrg(t.store);
      const s = await importFile(t.store, actor, { kind: "invoices", bytes: f.bytes, filename: f.name });
      expect(["facturx", "cii", "ubl"], f.name).toContain(s.format);
      expect(s, f.name).toMatchObject({ inserted: 1, errors: [] });
      expect(s.details.attachments, f.name).toBe(1);
      const file = await t.store.db
        .selectFrom("document_files")
        .select(["filename", "size", "media_type"])
        .where("org_id", "=", actor.orgId)
        .executeTakeFirstOrThrow();
      expect(file, f.name).toEqual({
        filename: f.name,
        size: f.bytes.length,
        media_type: f.name.endsWith(".pdf") ? "application/pdf" : "application/xml",
      });
      const again = await importFile(t.store, actor, { kind: "invoices", bytes: f.bytes, filename: f.name });
      expect(again, f.name).toMatchObject({ inserted: 0, updated: 0, skipped: 1 });
      expect(again.details.attachments, f.name).toBe(0);
    }
  });

  it("stores the totals of e-invoices as read by hand, prepaid amounts as allocations", async () => {
    const pick = (dir: string, name: string) => corpusFiles(dir).find((f) => f.name === name) as { bytes: Uint8Array; name: string };
    const cases: [string, string, string, number, number][] = [
      // file, number, kind, total (BT-112), outstanding (BT-115)
      ["cii", "ZF22_EN16931_Einfach.cii.xml", "471102", 52987, 52987], // GrandTotalAmount 529.87, DuePayableAmount 529.87
      ["facturx", "valid_fx10_BASICWL_Facture_FR.pdf", "FA-2017-0010", 67115, 47015], // 671.15 TTC, 201.00 prepaid
      ["ubl", "CEN_UBL_creditnote1.xml", "018304 / 28865", -10011, -10011], // CreditNote PayableAmount 100.11
    ];
    for (const [dir, name, number, total, outstanding] of cases) {
      const actor = await bareOrg(t.store);
      await importFile(t.store, actor, { kind: "invoices", bytes: pick(dir, name).bytes, filename: name });
      const d = await t.store.db
        .selectFrom("documents as d")
        .select(["d.number", "d.total", outstandingAt("9999-12-31").as("outstanding")])
        .where("d.org_id", "=", actor.orgId)
        .executeTakeFirstOrThrow();
      expect(d, name).toEqual({ number, total, outstanding });
    }
  });

  it("rejects the files that cannot be read with a clear error, exit code 3, and writes nothing", async () => {
    const actor = await bareOrg(t.store);
    const before = await tableCounts(t.store, actor.orgId);
    const pdf = await PDFDocument.create();
    pdf.addPage();
    const plainPdf = new Uint8Array(await pdf.save());
    const cases: { name: string; bytes: Uint8Array; kind: "invoices" | "payments"; message: RegExp }[] = [
      {
        name: "invalid_zf10_fail1.pdf",
        bytes: corpusFiles("facturx").find((f) => f.name === "invalid_zf10_fail1.pdf")?.bytes as Uint8Array,
        kind: "invoices",
        message: /invalid e-invoice/,
      },
      { name: "scan.pdf", bytes: plainPdf, kind: "invoices", message: /no Factur-X\/ZUGFeRD invoice/ },
      { name: "xxe.xml", bytes: new TextEncoder().encode(XXE("/etc/passwd")), kind: "invoices", message: /DTD|DOCTYPE|entit/i },
      {
        name: "camt053.v2.wrong.xml",
        bytes: corpusFiles("bank/camt").find((f) => f.name === "camt053.v2.wrong.xml")?.bytes as Uint8Array,
        kind: "payments",
        message: /without any <Stmt>/,
      },
      {
        name: "invalid_statement.sta",
        bytes: corpusFiles("bank/mt940").find((f) => f.name === "invalid_statement.sta")?.bytes as Uint8Array,
        kind: "payments",
        message: /MT940/,
      },
      {
        name: "facture.pdf",
        bytes: corpusFiles("facturx").find((f) => f.name === "valid_zf22_EN16931_Einfach.pdf")?.bytes as Uint8Array,
        kind: "payments",
        message: /holds customers or invoices, not payments/,
      },
      {
        name: "camt053.v2.minimal.xml",
        bytes: corpusFiles("bank/camt").find((f) => f.name === "camt053.v2.minimal.xml")?.bytes as Uint8Array,
        kind: "invoices",
        message: /holds payments, not invoices/,
      },
    ];
    for (const c of cases) {
      const error = await importFile(t.store, actor, { kind: c.kind, bytes: c.bytes, filename: c.name }).catch((e) => e);
      expect(error, c.name).toBeInstanceOf(ImportRejected);
      expect(error.exitCode, c.name).toBe(3);
      expect(error.status, c.name).toBe(400);
      expect(`${error.message} ${error.problems.map((p: { message: string }) => p.message).join(" ")}`, c.name).toMatch(c.message);
      expect(error.problems.length, c.name).toBeGreaterThan(0);
    }
    // The XXE file named /etc/passwd: its content is nowhere.
    expect(await tableCounts(t.store, actor.orgId)).toEqual(before);
  });

  it("never crashes on garbage and never writes a row from it", async () => {
    const actor = await bareOrg(t.store);
    const before = await tableCounts(t.store, actor.orgId);
    const prefixes = [
      "",
      "%PDF-1.7\n",
      '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
      ":20:STMT\n:25:X\n",
      "JournalCode\tEcritureNum\tCompteNum\n",
      "PK\u0003\u0004",
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...prefixes),
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom("customers", "invoices", "payments") as fc.Arbitrary<"customers" | "invoices" | "payments">,
        async (prefix, garbage, kind) => {
          const bytes = new Uint8Array([...new TextEncoder().encode(prefix), ...garbage]);
          try {
            const s = await importFile(t.store, actor, { kind, bytes, filename: "garbage.bin" });
            // Accepted only when nothing in it was a record.
            expect(s.inserted + s.updated).toBe(0);
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
            expect(["invalid_input", "usage"]).toContain((error as AppError).code);
          }
        },
      ),
      { numRuns: 60 },
    );
    const after = await tableCounts(t.store, actor.orgId);
    expect({ ...after, import_batches: 0, audit_log: 0 }).toEqual({ ...before, import_batches: 0, audit_log: 0 });
    expect(after.documents + after.payments + after.customers).toBe(0);
  });

  it("imports every bank statement of the corpus; a statement imported again is skipped", async () => {
    for (const f of [...corpusFiles("bank/camt"), ...corpusFiles("bank/mt940")].filter(
      (x) => !x.name.includes("wrong") && !x.name.startsWith("invalid"),
    )) {
      const actor = await bareOrg(t.store);
      const s = await importFile(t.store, actor, { kind: "payments", bytes: f.bytes, filename: f.name });
      expect(["camt", "mt940"], f.name).toContain(s.format);
      expect(s.errors, f.name).toEqual([]);
      const before = await tableCounts(t.store, actor.orgId);
      expect(before.payments, f.name).toBe(s.inserted);
      const again = await importFile(t.store, actor, { kind: "payments", bytes: f.bytes, filename: f.name });
      expect(again, f.name).toMatchObject({ inserted: 0, updated: 0, skipped: s.inserted });
      expect(await tableCounts(t.store, actor.orgId), f.name).toEqual(before);
    }
    // Hand-read: camt053.v2.minimal.xml has one credit entry of 8.85 EUR.
    const actor = await bareOrg(t.store);
    const minimal = corpusFiles("bank/camt").find((f) => f.name === "camt053.v2.minimal.xml") as { bytes: Uint8Array };
    await importFile(t.store, actor, { kind: "payments", bytes: minimal.bytes, filename: "x.xml" });
    const p = await t.store.db.selectFrom("payments").select(["amount", "currency", "source"]).where("org_id", "=", actor.orgId).execute();
    expect(p).toEqual([{ amount: 885, currency: "EUR", source: "camt" }]);
  });

  it("matches a CFONB 120 statement: invoice number → allocated; unknown payer → to reconcile with suggestions", async () => {
    const actor = await bareOrg(t.store);
    await importFile(t.store, actor, {
      kind: "invoices",
      bytes: new TextEncoder().encode(
        "numero_facture;code_client;client;date_facture;montant_ttc\nFA-2024-0042;DUP;Dupont SARL;01/02/2024;1 234,56\nFA-2024-0043;MAR;Martin;02/02/2024;300,00\n",
      ),
      filename: "f.csv",
    });
    const statement = [
      cfonbRecord("01", { date: "290224", cents: 0 }),
      cfonbRecord("04", { date: "010324", label: "VIR SEPA DUPONT SARL", entry: "0000123", cents: 123456 }),
      cfonbRecord("05", { date: "010324", qualifier: "LCC", text: "FACTURE FA-2024-0042" }),
      cfonbRecord("04", { date: "050324", label: "VIR INCONNU", entry: "0000125", cents: 30000 }),
      cfonbRecord("04", { date: "060324", label: "PRLV URSSAF", entry: "0000126", cents: -5000 }),
      cfonbRecord("07", { date: "060324", cents: 123456 + 30000 - 5000 }),
    ].join("\r\n");
    const bytes = new TextEncoder().encode(`${statement}\r\n`);
    const s = await importFile(t.store, actor, { kind: "payments", bytes, filename: "releve.cfonb" });
    expect(s).toMatchObject({ format: "cfonb", inserted: 2, matching: { matched: 1, unmatched: 1 } });
    const unmatched = await listUnmatchedPayments(t.store.db, actor, {});
    expect(unmatched.items).toHaveLength(1);
    expect(unmatched.items[0]).toMatchObject({ amount: "300.00", unallocated: "300.00", reference: "VIR INCONNU", customer: null });
    expect(unmatched.items[0]?.suggestions[0]?.documents.map((d) => d.number)).toEqual(["FA-2024-0043"]);
    const again = await importFile(t.store, actor, { kind: "payments", bytes, filename: "releve.cfonb" });
    expect(again).toMatchObject({ inserted: 0, skipped: 2 });
  });
});
