import ExcelJS from "exceljs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMoney } from "../domain/money.js";
import { csvRows, decodeText, detectSeparator, readTableBytes } from "./csv.js";

/** Windows-1252 bytes of a string made of Latin-1 characters and the euro sign. */
function cp1252(s: string): Uint8Array {
  return Uint8Array.from([...s].map((c) => (c === "€" ? 0x80 : c === "’" ? 0x92 : c.charCodeAt(0))));
}

async function* chunksOf(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe("CSV reader", () => {
  it("reads a French Excel export: Windows-1252, semicolons, DD/MM/YYYY, 1 234,56, accented headers", async () => {
    const text =
      "N° Facture;Code client;Raison sociale;Date facture;Échéance;Montant TTC;Montant réglé;Type\r\n" +
      "FA-001;C001;Société Générale;15/01/2024;14/02/2024;1 234,56;234,56;Facture\r\n" +
      "AV-001;C001;Société Générale;20/01/2024;20/01/2024;100,00;;Avoir\r\n";
    const out = await readTableBytes("invoices", cp1252(text));
    expect(out.encoding).toBe("windows-1252");
    expect(out.separator).toBe(";");
    expect(out.problems).toEqual([]);
    expect(out.records).toHaveLength(2);
    expect(out.records[0]).toMatchObject({
      line: 2,
      number: "FA-001",
      kind: "invoice",
      issueDate: "2024-01-15",
      dueDate: "2024-02-14",
      total: 123456,
      paid: 23456,
      currency: "EUR",
      customer: { ref: "C001", name: "Société Générale" },
    });
    // A credit note written positive is stored negative (DESIGN §3).
    expect(out.records[1]).toMatchObject({ number: "AV-001", kind: "credit_note", total: -10000, paid: 0 });
  });

  it("reads an English UTF-8 export with a BOM, commas and quoted amounts", async () => {
    const text =
      '\uFEFFInvoice_Number,Customer_Ref,Customer_Name,Issue_Date,Due_Date,Amount_Total,Currency\nINV-1,ACME,"Acme, Inc.",2024-03-01,2024-03-31,"1,234.50",usd\n';
    const out = await readTableBytes("invoices", new TextEncoder().encode(text));
    expect(out.encoding).toBe("utf-8-bom");
    expect(out.separator).toBe(",");
    expect(out.problems).toEqual([]);
    expect(out.records[0]).toMatchObject({
      number: "INV-1",
      total: 123450,
      currency: "USD",
      customer: { ref: "ACME", name: "Acme, Inc." },
    });
  });

  it("lists every invalid row with its line and column, not only the first", async () => {
    const text = [
      "invoice_number;customer_ref;issue_date;amount_total",
      "F1;C1;2024-01-01;10,00",
      "F2;C1;2024-01-02;20,00",
      "F3;C1;32/01/2024;30,00",
      "F4;C1;2024-01-04;40,00",
      "F5;C1;2024-01-05;50,00",
      "F6;C1;2024-01-06;",
      "F7;;2024-01-07;abc",
    ].join("\n");
    const out = await readTableBytes("invoices", new TextEncoder().encode(text));
    expect(out.problems).toEqual([
      { line: 4, field: "issue_date", message: 'invalid date "32/01/2024": no such day' },
      { line: 7, field: "amount_total", message: "missing value" },
      { line: 8, field: "customer_ref", message: "missing value" },
      { line: 8, field: "amount_total", message: 'invalid amount "abc": no digits' },
    ]);
    expect(out.records.map((r) => r.number)).toEqual(["F1", "F2", "F4", "F5"]);
  });

  it("warns about unknown columns and names the missing required ones", async () => {
    const ok = await readTableBytes(
      "payments",
      new TextEncoder().encode("Date règlement\tMontant\tNotes internes\n05/02/2024\t99,90\tx\n"),
    );
    expect(ok.separator).toBe("\t");
    expect(ok.warnings).toEqual(["unknown columns ignored: Notes internes"]);
    expect(ok.records[0]).toMatchObject({ date: "2024-02-05", amount: 9990 });
    const bad = await readTableBytes("payments", new TextEncoder().encode("montant;libelle\n10;x\n"));
    expect(bad.problems[0]).toMatchObject({ line: 1, field: "payment_date" });
    expect(bad.records).toEqual([]);
  });

  it("hints at the right kind when the columns are those of another file", async () => {
    const out = await readTableBytes(
      "payments",
      new TextEncoder().encode("numero_facture;code_client;date_facture;montant_ttc\nF1;C1;01/01/2024;10\n"),
    );
    expect(out.problems.some((p) => p.message.includes("relance import invoices"))).toBe(true);
  });

  it("skips a title line above the header and blank lines, keeping physical line numbers", async () => {
    const out = await readTableBytes(
      "customers",
      new TextEncoder().encode(
        "Export clients du 01/02/2024\n\ncode_client;nom;email;delai_paiement\nC1;Dupont;a@b.fr;45 jours\n\nC2;Durand;;\n",
      ),
    );
    expect(out.problems).toEqual([]);
    expect(out.records.map((r) => [r.line, r.ref, r.name, r.email, r.paymentTermsDays])).toEqual([
      [4, "C1", "Dupont", "a@b.fr", 45],
      [6, "C2", "Durand", null, null],
    ]);
  });

  it("keeps a quoted field spanning lines and reports the next row at its own line", async () => {
    const out = await readTableBytes(
      "customers",
      new TextEncoder().encode('ref,name,address\r\nC1,Dupont,"1 rue A\r\n75001 Paris"\r\nC2,,x\r\n'),
    );
    expect(out.records[0]).toMatchObject({ ref: "C1", address: "1 rue A\n75001 Paris" });
    expect(out.problems).toEqual([{ line: 4, field: "name", message: "missing value" }]);
  });

  it("refuses an unclosed quote with a clear message instead of swallowing the rest of the file", async () => {
    const out = await readTableBytes("customers", new TextEncoder().encode('ref;name\nC1;"Dupont\nC2;Durand\n'));
    expect(out.problems[0]?.message).toMatch(/never closed/);
    expect(out.records).toEqual([]);
  });

  it("checks emails, SIREN, IBAN, currency and payment terms", async () => {
    const text = "ref;name;email;siren;iban;delai_paiement;langue\nC1;A;pas-un-email;12345;FR76 3000 6000 0112 3456 7890 188;400;klingon\n";
    const out = await readTableBytes("customers", new TextEncoder().encode(text));
    expect(out.problems.map((p) => p.field).sort()).toEqual(["email", "iban", "language", "payment_terms_days", "siren"]);
    expect(out.problems).toHaveLength(5);
    const good = await readTableBytes(
      "customers",
      new TextEncoder().encode("ref;name;siret;iban\nC1;A;732 829 320 00074;FR7630006000011234567890189\n"),
    );
    expect(good.problems).toEqual([]);
    expect(good.records[0]).toMatchObject({ siren: "732829320", iban: "FR7630006000011234567890189" });
  });

  it("treats a negative total without a type as a credit note, and refuses an invoice paid more than its total", async () => {
    const out = await readTableBytes(
      "invoices",
      new TextEncoder().encode("numero;client;date;montant_ttc;montant_regle\nA1;X;2024-01-01;-50,00;\nF1;X;2024-01-01;50,00;60,00\n"),
    );
    expect(out.records[0]).toMatchObject({ kind: "credit_note", total: -5000 });
    expect(out.problems).toEqual([{ line: 3, field: "amount_paid", message: "amount_paid (60) is more than amount_total (50)" }]);
  });

  it("falls back to Windows-1252 when invalid UTF-8 appears after the first chunk", async () => {
    const head = `ref;name\n${"C0;x\n".repeat(20000)}`;
    const bytes = new Uint8Array([...new TextEncoder().encode(head), ...cp1252("C9;Hélène\n")]);
    const out = await readTableBytes("customers", bytes);
    expect(out.encoding).toBe("windows-1252");
    expect(out.records.at(-1)).toMatchObject({ ref: "C9", name: "Hélène" });
  });

  it("decodes UTF-16 (Excel 'Unicode text') and normalises CR CR LF line ends", async () => {
    const text = "ref\tname\r\r\nC1\tÉlodie\r\r\n";
    const utf16 = new Uint8Array([0xff, 0xfe, ...new Uint8Array(Buffer.from(text, "utf16le"))]);
    const out = await readTableBytes("customers", utf16);
    expect(out.encoding).toBe("utf-16le");
    expect(out.records).toMatchObject([{ line: 2, ref: "C1", name: "Élodie" }]);
  });

  it("decodes a multi-byte character split across chunks", async () => {
    const bytes = new TextEncoder().encode("é€\r\nx");
    for (const size of [1, 2, 3]) {
      let text = "";
      for await (const t of decodeText(chunksOf(bytes, size), {})) text += t;
      expect(text).toBe("é€\nx");
    }
  });

  it("chooses the separator that yields known column names", () => {
    expect(detectSeparator("montant;libelle,x;date")).toBe(";");
    expect(detectSeparator("amount,reference;x,date")).toBe(",");
    expect(detectSeparator("amount\treference\tdate")).toBe("\t");
  });
});

describe("XLSX reader", () => {
  it("reads typed cells: dates, numbers, formulas and text, from the first sheet", async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Factures");
    ws.addRow(["Numéro facture", "Code client", "Client", "Date facture", "Échéance", "Montant TTC", "Montant réglé"]);
    ws.addRow(["F-1", "C1", "Dupont", new Date(Date.UTC(2024, 0, 15)), new Date(Date.UTC(2024, 1, 14)), 1234.56, 0.1 + 0.2]);
    ws.addRow(["F-2", 42, "Durand", "16/01/2024", 45337, { formula: "100*1.2", result: 120 }, null]);
    ws.addRow(["F-3", "C3", "X", "pas une date", "", 12.345, null]);
    const bytes = new Uint8Array(await wb.xlsx.writeBuffer());
    const out = await readTableBytes("invoices", bytes);
    expect(out.format).toBe("xlsx");
    expect(out.records).toHaveLength(2);
    expect(out.records[0]).toMatchObject({
      line: 2,
      number: "F-1",
      issueDate: "2024-01-15",
      dueDate: "2024-02-14",
      total: 123456,
      paid: 30,
    });
    expect(out.records[1]).toMatchObject({
      line: 3,
      customer: { ref: "42" },
      issueDate: "2024-01-16",
      dueDate: "2024-02-15",
      total: 12000,
    });
    expect(out.problems).toEqual([
      { line: 4, field: "issue_date", message: 'invalid date "pas une date": expected YYYY-MM-DD or DD/MM/YYYY' },
      { line: 4, field: "amount_total", message: "invalid amount 12.345: more than two decimals" },
    ]);
  });

  it("reports a file that is not a workbook as a problem, not a crash", async () => {
    const out = await readTableBytes("invoices", new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5]), "xlsx");
    expect(out.problems[0]?.message).toMatch(/not a readable Excel/);
  });
});

describe("CSV reader properties", () => {
  const amount = fc.integer({ min: 0, max: 10_000_000_000 });
  const formatAmount = (cents: number, style: number) => {
    const int = String(Math.trunc(cents / 100));
    const frac = String(cents % 100).padStart(2, "0");
    if (style === 0) return `${int}.${frac}`;
    if (style === 1) return `${int},${frac}`;
    return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, " ")},${frac}`; // 1 234,56
  };
  const date = fc
    .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const word = fc.stringMatching(/^[A-Za-zéèàçôÉ' ]{1,12}$/);

  it("round-trips random rows through any separator, encoding and number format", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ cents: amount, date, name: word }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(";", ",", "\t"),
        fc.constantFrom("utf-8", "utf-8-bom", "windows-1252"),
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        async (rows, sep, encoding, style, frenchDates) => {
          const q = (s: string) => (s.includes(sep) || s.includes('"') || s.includes(",") ? `"${s.replaceAll('"', '""')}"` : s);
          const lines = [["numero_facture", "client", "date_facture", "montant_ttc"].join(sep)];
          rows.forEach((r, i) => {
            const d = frenchDates ? `${r.date.slice(8, 10)}/${r.date.slice(5, 7)}/${r.date.slice(0, 4)}` : r.date;
            lines.push([`F${i}`, q(r.name.trim() || "X"), d, q(formatAmount(r.cents, style))].join(sep));
          });
          const text = `${lines.join("\r\n")}\r\n`;
          const bytes =
            encoding === "windows-1252"
              ? cp1252(text)
              : new Uint8Array([...(encoding === "utf-8-bom" ? [0xef, 0xbb, 0xbf] : []), ...new TextEncoder().encode(text)]);
          const out = await readTableBytes("invoices", bytes);
          expect(out.problems).toEqual([]);
          expect(out.separator).toBe(sep);
          expect(out.records.map((r) => [r.number, r.customer.name, r.issueDate, r.total])).toEqual(
            rows.map((r, i) => [`F${i}`, r.name.trim() || "X", r.date, r.cents]),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it("reads plain amounts (its fast path) exactly as parseMoney does", async () => {
    const plain = fc.stringMatching(/^-?\d{1,13}([.,]\d{1,2})?$/);
    const near = fc.stringMatching(/^[-+(]?\d{0,4}([.,]\d{0,4})?[-)]?$/);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(plain, near), { minLength: 1, maxLength: 20 }), async (amounts) => {
        const lines = ["numero_facture;client;date_facture;montant_ttc", ...amounts.map((a, i) => `F${i};C;2024-01-01;${a}`)];
        const out = await readTableBytes("invoices", new TextEncoder().encode(lines.join("\n")));
        amounts.forEach((a, i) => {
          let expected: number | string;
          try {
            expected = parseMoney(a);
          } catch {
            expected = "problem";
          }
          const record = out.records.find((r) => r.line === i + 2);
          const got = record ? record.total : "problem";
          // A negative amount makes a credit note (stored negative); otherwise the value read.
          expect(got === "problem" ? got : Object.is(got, -0) ? 0 : got).toBe(expected === "problem" ? "problem" : expected);
        });
      }),
      { numRuns: 200 },
    );
  });

  it("never throws on garbage bytes: every outcome is records or located problems", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom("customers", "invoices", "payments") as fc.Arbitrary<"customers" | "invoices" | "payments">,
        async (bytes, kind) => {
          const withHeader = new Uint8Array([
            ...new TextEncoder().encode("numero_facture;client;date;montant;date_paiement;ref;name\n"),
            ...bytes,
          ]);
          for (const input of [bytes, withHeader]) {
            const out = await readTableBytes(kind, input, "csv");
            for (const p of out.problems) expect(typeof p.line).toBe("number");
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("yields rows lazily: a large input is read in chunks", async () => {
    const header = new TextEncoder().encode("ref;name\n");
    async function* big() {
      yield header;
      for (let i = 0; i < 50; i++) yield new TextEncoder().encode(`C${i};N${i}\n`.repeat(100));
    }
    let n = 0;
    for await (const row of csvRows(big())) {
      n++;
      if (n === 2) expect(row.cells).toEqual(["C0", "N0"]);
    }
    expect(n).toBe(5001);
  });
});
