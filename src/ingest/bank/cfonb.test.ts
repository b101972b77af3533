import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../errors.js";
import { decodeCfonbAmount, readCfonb } from "./cfonb.js";
import { detectBankStatement, readBankStatement } from "./index.js";

/**
 * Test builder for CFONB 120 records, from the published layout (positions 1-based):
 * code 1-2, bank 3-7, internal op 8-11, branch 12-16, currency 17-19, decimals 20, account 22-32,
 * op code 33-34, date 35-40, reject 41-42, value date 43-48, label 49-79, entry number 82-88,
 * exoneration 89, unavailability 90, amount 91-104, reference 105-120; in a 05 record the
 * qualifier is 46-48 and the complementary label 49-118.
 */
interface RecordFields {
  bank?: string;
  internal?: string;
  branch?: string;
  currency?: string;
  decimals?: number;
  account?: string;
  opCode?: string;
  date?: string;
  valueDate?: string;
  label?: string;
  entryNumber?: string;
  /** Signed amount in cents (encoded with `decimals`). */
  cents?: number;
  reference?: string;
  qualifier?: string;
  complement?: string;
}

function put(line: string[], from: number, to: number, value: string): void {
  const width = to - from + 1;
  const v = value.slice(0, width).padEnd(width, " ");
  for (let i = 0; i < width; i++) line[from - 1 + i] = v[i] as string;
}

const SIGN_POS = "{ABCDEFGHI";
const SIGN_NEG = "}JKLMNOPQR";

function encodeAmount(cents: number, decimals: number): string {
  const abs = Math.abs(cents);
  const units = decimals >= 2 ? abs * 10 ** (decimals - 2) : abs / 10 ** (2 - decimals);
  if (!Number.isInteger(units)) throw new Error("amount not representable with these decimals");
  const digits = String(units).padStart(14, "0");
  const last = Number(digits[13]);
  return digits.slice(0, 13) + (cents < 0 ? SIGN_NEG : SIGN_POS)[last];
}

function record(code: "01" | "04" | "05" | "07", f: RecordFields = {}): string {
  const line = Array.from({ length: 120 }, () => " ");
  const decimals = f.decimals ?? 2;
  put(line, 1, 2, code);
  put(line, 3, 7, f.bank ?? "30004");
  put(line, 8, 11, f.internal ?? (code === "01" || code === "07" ? "    " : "0568"));
  put(line, 12, 16, f.branch ?? "00823");
  put(line, 17, 19, f.currency ?? "EUR");
  put(line, 20, 20, String(decimals));
  put(line, 22, 32, f.account ?? "00010203040");
  put(line, 33, 34, f.opCode ?? (code === "04" || code === "05" ? "05" : "  "));
  put(line, 35, 40, f.date ?? "010324");
  if (code === "04") {
    put(line, 43, 48, f.valueDate ?? f.date ?? "010324");
    put(line, 49, 79, f.label ?? "");
    put(line, 82, 88, f.entryNumber ?? "");
    put(line, 105, 120, f.reference ?? "");
  }
  if (code === "05") {
    put(line, 46, 48, f.qualifier ?? "LIB");
    put(line, 49, 118, f.complement ?? "");
  } else {
    put(line, 91, 104, encodeAmount(f.cents ?? 0, decimals));
  }
  return line.join("");
}

const bytes = (lines: string[], eol = "\n") => new TextEncoder().encode(lines.join(eol) + eol);

const sample = [
  record("01", { date: "290224", cents: 100_000 }),
  record("04", { date: "010324", valueDate: "020324", label: "VIR SEPA DUPONT SARL", entryNumber: "0000123", cents: 123_456 }),
  record("05", { date: "010324", qualifier: "NPY", complement: "DUPONT SARL" }),
  record("05", { date: "010324", qualifier: "LCC", complement: "FACTURE FA-2024-0042" }),
  record("05", { date: "010324", qualifier: "RCN", complement: "E2E-778899" }),
  record("04", { date: "040324", label: "PRLV URSSAF", entryNumber: "0000124", cents: -5_000 }),
  record("04", { date: "050324", decimals: 0, label: "VIR MARTIN", entryNumber: "0000125", cents: 30_000 }),
  record("07", { date: "050324", cents: 100_000 + 123_456 - 5_000 + 30_000 }),
];

describe("CFONB 120 reader", () => {
  it("reads credits with their 05 complements and counts the debit", () => {
    const r = readCfonb(bytes(sample));
    expect(r.stats).toEqual({ entries: 3, credits: 2, debits: 1, skipped: 0 });
    expect(r.warnings).toEqual([]);
    expect(r.payments[0]).toEqual({
      line: 2,
      date: "2024-03-01",
      amount: 123_456,
      currency: "EUR",
      reference: "VIR SEPA DUPONT SARL FACTURE FA-2024-0042 E2E-778899",
      structuredReference: null,
      bankTxId: "cfonb:300040082300010203040:2024-03-01:0000123",
      payerName: "DUPONT SARL",
      payerIban: null,
    });
    // Decimals 0: "300" euros.
    expect(r.payments[1]).toMatchObject({ line: 7, date: "2024-03-05", amount: 30_000, reference: "VIR MARTIN", payerName: null });
  });

  it("decodes every sign character, positive and negative", () => {
    for (let d = 0; d <= 9; d++) {
      expect(decodeCfonbAmount(`0000000000012${SIGN_POS[d]}`, 2)).toBe(120 + d);
      expect(decodeCfonbAmount(`0000000000012${SIGN_NEG[d]}`, 2)).toBe(-(120 + d));
    }
    expect(decodeCfonbAmount("0000000000012{", 0)).toBe(12_000);
    expect(decodeCfonbAmount("0000000000012A", 3)).toBeNull(); // 0.121 € cannot be cents
    expect(decodeCfonbAmount("0000000001230}", 3)).toBe(-1230);
    expect(decodeCfonbAmount("00000000000125", 2)).toBeNull(); // a digit where the sign goes
  });

  it("accepts CRLF, lines trimmed of trailing spaces and records without line breaks", () => {
    const reference = readCfonb(bytes(sample)).payments;
    expect(readCfonb(bytes(sample, "\r\n")).payments).toEqual(reference);
    expect(readCfonb(bytes(sample.map((l) => l.trimEnd()))).payments).toEqual(reference);
    const oneLine = readCfonb(new TextEncoder().encode(sample.join(""))).payments;
    expect(oneLine.map((p) => [p.amount, p.bankTxId, p.payerName])).toEqual(reference.map((p) => [p.amount, p.bankTxId, p.payerName]));
  });

  it("keys movements without entry number by statement date and position, identically on every read", () => {
    const lines = [
      record("01", { date: "290224", cents: 0 }),
      record("04", { date: "010324", label: "VIR A", cents: 1_000 }),
      record("04", { date: "010324", label: "VIR B", cents: 1_000 }),
      record("07", { date: "010324", cents: 2_000 }),
    ];
    const first = readCfonb(bytes(lines)).payments.map((p) => p.bankTxId);
    expect(first).toEqual(["cfonb:300040082300010203040:2024-02-29:#1:2024-03-01", "cfonb:300040082300010203040:2024-02-29:#2:2024-03-01"]);
    expect(readCfonb(bytes(lines)).payments.map((p) => p.bankTxId)).toEqual(first);
  });

  it("warns when old balance + movements differ from the new balance", () => {
    const lines = [record("01", { cents: 1_000 }), record("04", { label: "VIR", cents: 500 }), record("07", { cents: 2_000 })];
    const r = readCfonb(bytes(lines));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain("new balance 20.00");
  });

  it("takes the payer IBAN from IPY and the structured reference from LCS", () => {
    const lines = [
      record("04", { label: "VIR SEPA", entryNumber: "0000001", cents: 10_000 }),
      record("05", { qualifier: "IPY", complement: "FR76 3000 6000 0112 3456 7890 189" }),
      record("05", { qualifier: "LCS", complement: "RF18539007547034" }),
    ];
    const [p] = readCfonb(bytes(lines)).payments;
    expect(p).toMatchObject({ payerIban: "FR7630006000011234567890189", structuredReference: "RF18539007547034", reference: "VIR SEPA" });
  });

  it("rejects an unknown record code, naming the line", () => {
    const lines = [...sample.slice(0, 2), `03${sample[1]?.slice(2)}`, ...sample.slice(2)];
    const e = catchError(() => readCfonb(bytes(lines)));
    expect(e.code).toBe("invalid_input");
    expect(e.problems).toEqual([{ line: 3, field: "record code", message: 'line 3: record code "03" is not 01, 04, 05 or 07' }]);
  });

  it("rejects a line longer than 120 characters and a malformed amount, listing both", () => {
    const long = `${sample[1]}XYZ`;
    const badAmount = `${(sample[5] as string).slice(0, 90)}00000000000$$$${(sample[5] as string).slice(104)}`;
    const e = catchError(() => readCfonb(bytes([sample[0] as string, long, badAmount])));
    expect(e.problems.map((p) => [p.line, p.field])).toEqual([
      [2, "record"],
      [3, "amount"],
    ]);
    expect(e.message).toContain("line 2");
  });

  it("rejects a truncated movement and an invalid date", () => {
    const short = (sample[1] as string).slice(0, 80);
    const badDate = record("04", { date: "320124", valueDate: "010124", label: "VIR", cents: 100 });
    const e = catchError(() => readCfonb(bytes([short, badDate])));
    expect(e.problems.map((p) => [p.line, p.field])).toEqual([
      [1, "record"],
      [2, "booking date"],
    ]);
  });

  it("never crashes on a corrupted file: a result or an invalid_input AppError", () => {
    const original = bytes(sample);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (flips) => {
        const b = new Uint8Array(original);
        for (const [pos, value] of flips) b[pos % b.length] = value;
        try {
          for (const p of readBankStatement(b, "releve.cfonb").payments) expect(p.amount).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(AppError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("is detected from its content and read through readBankStatement", () => {
    const b = bytes(sample);
    expect(detectBankStatement(b, "releve.txt")).toBe("cfonb");
    const r = readBankStatement(b, "releve.txt");
    expect(r.format).toBe("cfonb");
    expect(r.payments).toHaveLength(2);
  });
});

function catchError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}
