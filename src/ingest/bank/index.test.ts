import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../../errors.js";
import { type BankFormat, detectBankStatement, readBankStatement } from "./index.js";

const CORPUS = new URL("../../../../shared/corpus/bank/", import.meta.url).pathname;
const DIRS: { dir: string; format: BankFormat }[] = [
  { dir: "camt", format: "camt" },
  { dir: "mt940", format: "mt940" },
];

/** Files the corpus marks invalid (MANIFEST "INVALID"): they must fail with an invalid_input AppError. */
const INVALID = new Set(["camt053.v2.wrong.xml", "invalid_statement.sta"]);

/**
 * Counts per corpus file, checked by hand against the files (camt: CdtDbtInd of each Ntry;
 * MT940: C vs D/RC marks of each :61:, counted independently with grep), and the total of the
 * credits read (Σ of the :61: C amounts).
 */
const EXPECTED: Record<string, { entries: number; credits: number; debits: number; total?: number }> = {
  "camt052.v8.xml": { entries: 1, credits: 0, debits: 1 },
  "camt053.v2.all-balance-types.xml": { entries: 1, credits: 1, debits: 0, total: 885 },
  "camt053.v2.five.decimals.xml": { entries: 1, credits: 1, debits: 0, total: 885 },
  "camt053.v2.minimal.xml": { entries: 1, credits: 1, debits: 0, total: 885 },
  "camt053.v2.multi.statement.xml": { entries: 2, credits: 1, debits: 1, total: 885 },
  "camt053.v2.with-party-ids.xml": { entries: 1, credits: 1, debits: 0, total: 885 },
  "camt053.v3.xml": { entries: 1, credits: 1, debits: 0, total: 885 },
  "camt053.v4.xml": { entries: 1, credits: 1, debits: 0, total: 885 },
  "camt053.v8.xml": { entries: 1, credits: 1, debits: 0, total: 885 },
  "camt054.v2.xml": { entries: 1, credits: 0, debits: 1 },
  "camt054.v4.xml": { entries: 1, credits: 0, debits: 1 },
  "camt054.v8-with-UETR.xml": { entries: 1, credits: 0, debits: 1 },
  "camt054.v8.xml": { entries: 1, credits: 0, debits: 1 },
  "camt53.only-Dt-with-DtTm.xml": { entries: 0, credits: 0, debits: 0 },
  "betterplace_sepa_mt9401.sta": { entries: 97, credits: 41, debits: 56, total: 518_847_494 },
  "betterplace_sepa_snippet.sta": { entries: 11, credits: 8, debits: 3, total: 143_074_572 },
  "cmxl_mt940.sta": { entries: 16, credits: 7, debits: 9, total: 7_243_674 },
  "jejik_abnamro.sta": { entries: 10, credits: 0, debits: 10 },
  "jejik_ing.sta": { entries: 7, credits: 2, debits: 5, total: 468 },
  "jejik_rabobank-iban.sta": { entries: 4, credits: 0, debits: 4 },
  "quirk_february_30.sta": { entries: 1, credits: 0, debits: 1 },
  "selfprovided_mt942.sta": { entries: 1, credits: 0, debits: 1 },
  "selfprovided_sparkassen.sta": { entries: 1, credits: 1, debits: 0, total: 3_000 },
};

const files = DIRS.flatMap(({ dir, format }) =>
  readdirSync(join(CORPUS, dir)).map((name) => ({ name, path: join(CORPUS, dir, name), format })),
);
const read = (name: string) => {
  const f = files.find((x) => x.name === name);
  if (!f) throw new Error(`corpus file ${name} missing`);
  return readBankStatement(readFileSync(f.path), name);
};

describe("bank statement corpus", () => {
  it("lists the corpus directories (every file found is covered below)", () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  for (const f of files) {
    if (INVALID.has(f.name) || /^invalid_|wrong/i.test(f.name)) {
      it(`${f.name}: fails cleanly with invalid_input`, () => {
        let error: unknown;
        try {
          readBankStatement(readFileSync(f.path), f.name);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe("invalid_input");
        expect((error as AppError).problems.length).toBeGreaterThan(0);
      });
      continue;
    }
    it(`${f.name}: is detected as ${f.format} and read, with stable bank ids`, () => {
      const bytes = readFileSync(f.path);
      expect(detectBankStatement(bytes, f.name)).toBe(f.format);
      const r = readBankStatement(bytes, f.name);
      expect(r.format).toBe(f.format);
      for (const p of r.payments) {
        expect(Number.isSafeInteger(p.amount) && p.amount > 0).toBe(true);
        expect(p.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(p.currency).toMatch(/^[A-Z]{3}$/);
        expect(p.bankTxId).toBeTruthy();
      }
      const ids = r.payments.map((p) => p.bankTxId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(readBankStatement(readFileSync(f.path), f.name).payments.map((p) => p.bankTxId)).toEqual(ids);
      const expected = EXPECTED[f.name];
      if (expected) {
        expect(r.stats).toEqual({ entries: expected.entries, credits: expected.credits, debits: expected.debits, skipped: 0 });
        if (expected.total !== undefined) expect(r.payments.reduce((s, p) => s + p.amount, 0)).toBe(expected.total);
      }
    });
  }

  it("camt053.v2.minimal.xml: entry read by hand (8.85 EUR on 31/12/2014 from NAME NAME, SCOR reference)", () => {
    expect(read("camt053.v2.minimal.xml").payments).toEqual([
      {
        line: 1,
        date: "2014-12-31",
        amount: 885,
        currency: "EUR",
        reference: null,
        structuredReference: "4654654654654654",
        bankTxId: "camt:NL26VAYB8060476890:253EURNL26VAYB8060476890:#1:100",
        payerName: "NAME NAME",
        payerIban: "NL56AGDH9619008421",
      },
    ]);
  });

  it("camt053.v8.xml: v8 party and status forms, booking DtTm, AcctSvcrRef key", () => {
    expect(read("camt053.v8.xml").payments[0]).toMatchObject({
      date: "2014-12-31",
      amount: 885,
      payerName: "NAME NAME",
      payerIban: "NL56AGDH9619008421",
      bankTxId: "camt:NL26VAYB8060476890:AAAASESS-FP-CN_98765/01",
    });
  });

  it("camt053.v2.five.decimals.xml: 8.850 is 8.85 exactly", () => {
    expect(read("camt053.v2.five.decimals.xml").payments[0]).toMatchObject({ amount: 885, reference: "Transaction Description" });
  });

  it("camt053.v2.multi.statement.xml: the credit of the first statement, the debit of the second skipped", () => {
    const r = read("camt053.v2.multi.statement.xml");
    expect(r.payments.map((p) => [p.reference, p.bankTxId])).toEqual([
      ["Transaction Description 1", "camt:NL26VAYB8060476890:253EURNL26VAYB8060476890:#1:000000001"],
    ]);
  });

  it("camt053.v3.xml: one transaction → the entry amount (8.85), not the transaction's 105.750", () => {
    expect(read("camt053.v3.xml").payments[0]).toMatchObject({
      amount: 885,
      bankTxId: "camt:NL26VAYB8060476890:XXXXXXXXXXXXXXXXXXXXXXEUR",
    });
  });

  it("camt053.v2.wrong.xml: no <Stmt> is named in the error", () => {
    expect(() => read("camt053.v2.wrong.xml")).toThrow(/without any <Stmt>/);
  });

  it("betterplace_sepa_snippet.sta: first credit read by hand", () => {
    expect(read("betterplace_sepa_snippet.sta").payments[0]).toEqual({
      line: 5,
      date: "2007-09-04",
      amount: 5_099_005,
      currency: "EUR",
      reference: "EREF+EndToEndId TFNR 22 004 00001 SVWZ+Verw CTSc-01 BC-PPP TFNr 22 004",
      structuredReference: null,
      bankTxId: "mt940:50880050/0194787400888:T089414086000001:00004/00001:2007-09-03:1:0724710333343453",
      payerName: "KARL KAUFMANN",
      payerIban: "DE14508800500194785000",
    });
  });

  it("jejik_ing.sta: ING free-text credits", () => {
    expect(read("jejik_ing.sta").payments.map((p) => [p.date, p.amount, p.reference])).toEqual([
      ["2010-07-22", 368, "0123456789 EJ46GREENP100610T1456 CLIEOP TMG GPHONGKONG AMSTERDAM"],
      ["2010-07-23", 100, "0111111111 Hr S Marechal ROSMALEN Hr S Marechal ROSMALEN Betaling transactiedatum: 22-07-2010"],
    ]);
  });

  it("cmxl_mt940.sta: second statement's credit with German subfields", () => {
    const p = read("cmxl_mt940.sta").payments.find((x) => x.date === "2002-11-02");
    expect(p).toMatchObject({
      amount: 300_000,
      currency: "EUR",
      payerName: "MUELLER",
      bankTxId: "mt940:10020030/1234567:1234567:5/1:2002-11-01:2:55555",
    });
  });

  it("selfprovided_sparkassen.sta: a fragment whose amount and tag are cut across lines", () => {
    const r = read("selfprovided_sparkassen.sta");
    expect(r.payments).toEqual([
      {
        line: 1,
        date: "2018-11-26",
        amount: 3_000,
        currency: "EUR",
        reference: "SVWZ+Test",
        structuredReference: null,
        bankTxId: "mt940:?:-:2018-11-26:3000:1",
        payerName: null,
        payerIban: null,
      },
    ]);
    expect(r.warnings).toContain("line 1: statement gives no currency (no :60F:, :62F: or :34F:); EUR assumed");
  });

  it("quirk_february_30.sta: 30 February clamped with a warning", () => {
    expect(read("quirk_february_30.sta").warnings).toContain("line 6: value date 160230 does not exist; read as 2016-02-29");
  });

  it("never crashes on garbage or on corpus files with corrupted bytes: a result or an invalid_input AppError", () => {
    const samples = files.map((f) => readFileSync(f.path));
    const attempt = (bytes: Uint8Array, name: string) => {
      try {
        const r = readBankStatement(bytes, name);
        for (const p of r.payments) expect(p.amount).toBeGreaterThan(0);
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        expect((e as AppError).code).toBe("invalid_input");
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom("x.xml", "x.sta", "x.txt"), (bytes, name) => attempt(bytes, name)),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.nat(samples.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (k, flips) => {
          const bytes = new Uint8Array(samples[k] as Uint8Array);
          for (const [pos, value] of flips) bytes[pos % bytes.length] = value;
          attempt(bytes, files[k]?.name ?? "x");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses a file that is no bank statement", () => {
    expect(detectBankStatement(new TextEncoder().encode("a;b;c\n1;2;3\n"), "x.csv")).toBeNull();
    expect(() => readBankStatement(new TextEncoder().encode("<Invoice/>"), "x.xml")).toThrow(/not an ISO 20022 camt/);
  });
});
