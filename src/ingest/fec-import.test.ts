import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FEC_COLUMNS, FecError } from "../domain/fec.js";
import { readFecImport } from "./fec-import.js";

const CORPUS = new URL("../../../shared/corpus/fec/", import.meta.url);

/** A FEC line from the fields that matter here (the others empty). */
function fec(lines: Partial<Record<(typeof FEC_COLUMNS)[number], string>>[]): string {
  const header = FEC_COLUMNS.join("\t");
  return [header, ...lines.map((l) => FEC_COLUMNS.map((c) => l[c] ?? "").join("\t"))].join("\n");
}

const sale = (num: string, date: string, aux: string, piece: string, ttc: string, ht: string, tva: string, let_ = "") => [
  {
    JournalCode: "VT",
    EcritureNum: num,
    EcritureDate: date,
    CompteNum: "411000",
    CompAuxNum: aux,
    CompAuxLib: `Client ${aux}`,
    PieceRef: piece,
    Debit: ttc,
    Credit: "0",
    EcritureLet: let_,
  },
  { JournalCode: "VT", EcritureNum: num, EcritureDate: date, CompteNum: "706000", PieceRef: piece, Debit: "0", Credit: ht },
  { JournalCode: "VT", EcritureNum: num, EcritureDate: date, CompteNum: "445710", PieceRef: piece, Debit: "0", Credit: tva },
];
const receipt = (num: string, date: string, aux: string, amount: string, let_ = "", lib = "VIR") => [
  {
    JournalCode: "BQ",
    EcritureNum: num,
    EcritureDate: date,
    CompteNum: "512000",
    PieceRef: `R${num}`,
    EcritureLib: lib,
    Debit: amount,
    Credit: "0",
  },
  {
    JournalCode: "BQ",
    EcritureNum: num,
    EcritureDate: date,
    CompteNum: "411000",
    CompAuxNum: aux,
    CompAuxLib: `Client ${aux}`,
    PieceRef: `R${num}`,
    EcritureLib: lib,
    Debit: "0",
    Credit: amount,
    EcritureLet: let_,
  },
];

describe("FEC import reader", () => {
  it("turns sales on 411 into invoices and credit notes, bank credits into payments, and letters oldest first", () => {
    const text = fec([
      ...sale("1", "20240105", "C1", "FA-1", "120,00", "100,00", "20,00", "AA"),
      ...sale("2", "20240110", "C1", "FA-2", "240,00", "200,00", "40,00", "AA"),
      ...sale("3", "20240112", "C2", "FA-3", "60,00", "50,00", "10,00"),
      // Credit note: 411 credit against 70 debit.
      {
        JournalCode: "VT",
        EcritureNum: "4",
        EcritureDate: "20240115",
        CompteNum: "411000",
        CompAuxNum: "C2",
        CompAuxLib: "Client C2",
        PieceRef: "AV-1",
        Debit: "0",
        Credit: "12,00",
      },
      { JournalCode: "VT", EcritureNum: "4", EcritureDate: "20240115", CompteNum: "706000", PieceRef: "AV-1", Debit: "10,00", Credit: "0" },
      { JournalCode: "VT", EcritureNum: "4", EcritureDate: "20240115", CompteNum: "445710", PieceRef: "AV-1", Debit: "2,00", Credit: "0" },
      // One transfer of 300 lettered with FA-1 and FA-2: FA-1 (oldest) fully, 180 on FA-2.
      ...receipt("5", "20240201", "C1", "300,00", "AA"),
      // A bounced payment (debit on 411 in a bank entry): not a payment.
      { JournalCode: "BQ", EcritureNum: "6", EcritureDate: "20240203", CompteNum: "512000", Debit: "0", Credit: "50,00" },
      { JournalCode: "BQ", EcritureNum: "6", EcritureDate: "20240203", CompteNum: "411000", CompAuxNum: "C2", Debit: "50,00", Credit: "0" },
      // A reclassification to doubtful debts: neither sale nor receipt.
      { JournalCode: "OD", EcritureNum: "7", EcritureDate: "20240210", CompteNum: "416000", Debit: "60,00", Credit: "0" },
      { JournalCode: "OD", EcritureNum: "7", EcritureDate: "20240210", CompteNum: "411000", CompAuxNum: "C2", Debit: "0", Credit: "60,00" },
    ]);
    const r = readFecImport(text);
    expect(r.customers.map((c) => [c.ref, c.name])).toEqual([
      ["C1", "Client C1"],
      ["C2", "Client C2"],
    ]);
    expect(r.invoices.map((i) => [i.number, i.kind, i.issueDate, i.dueDate, i.total, i.tax, i.customer.ref])).toEqual([
      ["FA-1", "invoice", "2024-01-05", null, 12000, 2000, "C1"],
      ["FA-2", "invoice", "2024-01-10", null, 24000, 4000, "C1"],
      ["FA-3", "invoice", "2024-01-12", null, 6000, 1000, "C2"],
      ["AV-1", "credit_note", "2024-01-15", null, -1200, -200, "C2"],
    ]);
    expect(r.payments.map((p) => [p.bankTxId, p.date, p.amount, p.customerRef, p.reference])).toEqual([
      ["fec:BQ:5:2024-02-01:C1", "2024-02-01", 30000, "C1", "VIR"],
    ]);
    expect(r.allocations).toEqual([
      { paymentKey: "fec:BQ:5:2024-02-01:C1", invoiceNumber: "FA-1", amount: 12000 },
      { paymentKey: "fec:BQ:5:2024-02-01:C1", invoiceNumber: "FA-2", amount: 18000 },
    ]);
    expect(r.stats).toMatchObject({ sales: 4, receipts: 2, ignored: 1 });
    expect(r.warnings.join("\n")).toMatch(/1 bank debit .*50\.00 €/);
    expect(r.warnings.join("\n")).toMatch(/1 entry on customer accounts .* not imported/);
  });

  it("applies a credit note lettered with invoices to what they still owe after the payments, oldest first", () => {
    const creditNote = (num: string, date: string, aux: string, ref: string, amount: string, net: string, let_: string) => [
      {
        JournalCode: "VT",
        EcritureNum: num,
        EcritureDate: date,
        CompteNum: "411000",
        CompAuxNum: aux,
        PieceRef: ref,
        Debit: "0",
        Credit: amount,
        EcritureLet: let_,
      },
      { JournalCode: "VT", EcritureNum: num, EcritureDate: date, CompteNum: "706000", PieceRef: ref, Debit: net, Credit: "0" },
    ];
    const text = fec([
      ...sale("1", "20240105", "C1", "FA-1", "120,00", "100,00", "20,00", "BB"),
      ...sale("2", "20240110", "C1", "FA-2", "240,00", "200,00", "40,00", "BB"),
      // 300 paid: FA-1 in full, 180 of FA-2; the credit note of 60 settles FA-2's last 60.
      ...receipt("3", "20240201", "C1", "300,00", "BB"),
      ...creditNote("4", "20240120", "C1", "AV-1", "60,00", "60,00", "BB"),
      // Not lettered: stays a credit on the customer's account.
      ...creditNote("5", "20240125", "C1", "AV-2", "10,00", "10,00", ""),
    ]);
    const r = readFecImport(text);
    expect(r.allocations).toEqual([
      { paymentKey: "fec:BQ:3:2024-02-01:C1", invoiceNumber: "FA-1", amount: 12000 },
      { paymentKey: "fec:BQ:3:2024-02-01:C1", invoiceNumber: "FA-2", amount: 18000 },
    ]);
    expect(r.creditApplications).toEqual([{ creditNoteNumber: "AV-1", invoiceNumber: "FA-2", amount: 6000, date: "2024-01-20" }]);
  });

  it("reads opening entries (à-nouveaux) as open invoices and makes shared piece numbers unique", () => {
    const text = fec([
      {
        JournalCode: "AN",
        JournalLib: "A nouveaux",
        EcritureNum: "1",
        EcritureDate: "20240101",
        CompteNum: "411000",
        CompAuxNum: "C1",
        CompAuxLib: "Un",
        PieceRef: "RAN",
        Debit: "100,00",
        Credit: "0",
      },
      {
        JournalCode: "AN",
        JournalLib: "A nouveaux",
        EcritureNum: "1",
        EcritureDate: "20240101",
        CompteNum: "411000",
        CompAuxNum: "C2",
        CompAuxLib: "Deux",
        PieceRef: "RAN",
        Debit: "50,00",
        Credit: "0",
      },
      {
        JournalCode: "AN",
        JournalLib: "A nouveaux",
        EcritureNum: "1",
        EcritureDate: "20240101",
        CompteNum: "512000",
        PieceRef: "RAN",
        Debit: "1000,00",
        Credit: "0",
      },
      {
        JournalCode: "AN",
        JournalLib: "A nouveaux",
        EcritureNum: "1",
        EcritureDate: "20240101",
        CompteNum: "101000",
        PieceRef: "RAN",
        Debit: "0",
        Credit: "1150,00",
      },
    ]);
    const r = readFecImport(text);
    expect(r.stats.openings).toBe(1);
    expect(r.invoices.map((i) => [i.number, i.total, i.customer.ref])).toEqual([
      ["RAN-1-C1", 10000, "C1"],
      ["RAN-1-C2", 5000, "C2"],
    ]);
    expect(r.payments).toEqual([]);
  });

  it("names the line and column of an unreadable FEC", () => {
    const text = fec([{ JournalCode: "VT", EcritureNum: "1", EcritureDate: "20241301", CompteNum: "411000", Debit: "1", Credit: "0" }]);
    expect(() => readFecImport(text)).toThrowError(FecError);
    try {
      readFecImport(text);
    } catch (e) {
      expect(e).toMatchObject({ line: 2, field: "EcritureDate" });
    }
  });

  it("reads every FEC of the corpus with customers, invoices and payments", () => {
    const files = readdirSync(CORPUS);
    expect(files.length).toBe(4);
    for (const f of files) {
      const r = readFecImport(readFileSync(new URL(f, CORPUS)));
      expect(r.customers.length, f).toBeGreaterThan(0);
      expect(r.invoices.length, f).toBeGreaterThan(0);
      expect(new Set(r.invoices.map((i) => i.number)).size, `${f}: unique numbers`).toBe(r.invoices.length);
      expect(new Set(r.payments.map((p) => p.bankTxId)).size, `${f}: unique payment keys`).toBe(r.payments.length);
      if (f !== "123456789FEC20500930.txt") expect(r.payments.length, f).toBeGreaterThan(0); // that one has no receipt on 411
    }
  });

  it("matches values read by hand in 111111111FEC20221231.TXT (customer 41101590, E.LECLERC CARPENTR)", () => {
    const r = readFecImport(readFileSync(new URL("111111111FEC20221231.TXT", CORPUS)));
    const invoices = r.invoices.filter((i) => i.customer.ref === "41101590");
    // VE 0123 74,70 (TVA 3,83 + 0,06) · VE 0223 148,13 · VE 0323 112,06 · VE 0423 280,24 · VE 0523 155,09 · AN "sans" 55,07
    expect(invoices.map((i) => i.total).sort((a, b) => a - b)).toEqual([5507, 7470, 11206, 14813, 15509, 28024]);
    expect(invoices.find((i) => i.total === 7470)).toMatchObject({ number: "VE 0123-00000001", issueDate: "2023-01-09", tax: 389 });
    const payments = r.payments.filter((p) => p.customerRef === "41101590");
    expect(payments.map((p) => p.amount).sort((a, b) => a - b)).toEqual([5507, 7470, 11206, 14813, 15509, 28024]);
    // Every one lettered (AA…AF) with its invoice: all of the 825,29 € is allocated.
    const keys = new Set(payments.map((p) => p.bankTxId));
    expect(r.allocations.filter((a) => keys.has(a.paymentKey)).reduce((s, a) => s + a.amount, 0)).toBe(82529);
  });
});
