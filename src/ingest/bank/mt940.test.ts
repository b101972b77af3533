import { describe, expect, it } from "vitest";
import { AppError } from "../../errors.js";
import { readBankStatement } from "./index.js";
import { readInfo, readMt940 } from "./mt940.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("MT940 reader", () => {
  it("reads a SWIFT-enveloped statement with Dutch /TAG/ information", () => {
    const text = [
      "{1:F01INGBNL2AAXXX0000000000}{2:O9401200240301INGBNL2AAXXX00000000002403011200N}{3:{108:MT940}}{4:",
      ":20:P240301000000001",
      ":25:NL69INGB0123456789EUR",
      ":28C:00061/00001",
      ":60F:C240229EUR1000,00",
      ":61:2403010301C1234,56NTRFEREF//24061123456789",
      "/TRCD/00100/",
      ":86:/EREF/NOTPROVIDED/ORDP//NAME/DUPONT SARL/ADDR/1 RUE DE LA PAIX 75002 PARIS/REMI/USTD//FACTUUR FA-2024-0042 ET FA-2024-0043/",
      "/IBAN/FR7630006000011234567890189/BIC/AGRIFRPP/",
      ":61:2403010301D50,00NTRFNONREF//24061123456790",
      ":86:/CNTP/NL91ABNA0417164300/ABNANL2A/URSSAF/PARIS/REMI/USTD//COTISATIONS/",
      ":61:2403010301C10,00NTRFNONREF//24061123456791",
      ":86:/CNTP/NL91ABNA0417164300/ABNANL2A/JANSEN BV/AMSTERDAM/REMI/STRD/CUR/RF18539007547034/",
      ":62F:C240301EUR2194,56",
      "-}{5:{CHK:123456789ABC}}",
    ].join("\r\n");
    const r = readMt940(enc(text));
    expect(r.stats).toEqual({ entries: 3, credits: 2, debits: 1, skipped: 0 });
    expect(r.warnings).toEqual([]);
    expect(r.payments[0]).toEqual({
      line: 6,
      date: "2024-03-01",
      amount: 123_456,
      currency: "EUR",
      reference: "FACTUUR FA-2024-0042 ET FA-2024-0043",
      structuredReference: null,
      bankTxId: "mt940:NL69INGB0123456789EUR:P240301000000001:00061/00001:2024-02-29:1:24061123456789",
      payerName: "DUPONT SARL",
      payerIban: "FR7630006000011234567890189",
    });
    expect(r.payments[1]).toMatchObject({
      amount: 1_000,
      payerName: "JANSEN BV",
      payerIban: "NL91ABNA0417164300",
      structuredReference: "RF18539007547034",
    });
  });

  it("reads German ?-subfields: purpose, payer name ?32/?33 and IBAN ?31", () => {
    const info = readInfo([
      "166?00GUTSCHRIFT?109075?20EREF+RE-2024-117?21SVWZ+Rechnung RE-2024-117 vo",
      "m 01.03.2024?30COBADEFFXXX?31DE89370400440532013000?32Schneider Werkzeugmaschinen?33bau GmbH",
    ]);
    expect(info).toEqual({
      reference: "EREF+RE-2024-117 SVWZ+Rechnung RE-2024-117 vom 01.03.2024",
      structuredReference: null,
      payerName: "Schneider Werkzeugmaschinenbau GmbH",
      payerIban: "DE89370400440532013000",
    });
  });

  it("joins free-text lines: no space after a full 65-character line, a space after a shorter one", () => {
    const full = "X".repeat(61);
    expect(readInfo([full, "YZ", "NEXT PHRASE"]).reference).toBe(`${full}YZ NEXT PHRASE`);
  });

  it("infers the entry date's year across new year and prefers it to the value date", () => {
    const r = readMt940(
      enc(
        [
          ":20:S1",
          ":25:123",
          ":28C:1/1",
          ":60F:C231229EUR0,00",
          ":61:2401021229C5,00NTRFNONREF",
          ":86:PAYMENT",
          ":62F:C240102EUR5,00",
        ].join("\n"),
      ),
    );
    expect(r.payments[0]?.date).toBe("2023-12-29");
  });

  it("clamps 30 February to the month's last day with a warning (corpus quirk)", () => {
    const r = readMt940(
      enc(
        [":20:STARTUMSE", ":25:12345678/1020304050", ":28C:00000/001", ":60F:C160229EUR0,00", ":61:160230C6,00N024NONREF", ":86:X"].join(
          "\n",
        ),
      ),
    );
    expect(r.payments[0]?.date).toBe("2016-02-29");
    expect(r.warnings[0]).toContain("160230 does not exist; read as 2016-02-29");
  });

  it("skips a reversal of a debit, counts a reversal of a credit as a debit", () => {
    const r = readMt940(
      enc(
        [":20:S", ":25:A", ":60F:C240101EUR10,00", ":61:240102RD5,00NRTINONREF", ":61:240102RC2,00NRTINONREF", ":62F:C240102EUR13,00"].join(
          "\n",
        ),
      ),
    );
    expect(r.stats).toEqual({ entries: 2, credits: 0, debits: 1, skipped: 1 });
    expect(r.warnings).toEqual(["line 4: reversal of a debit RD, skipped"]);
  });

  it("warns when opening balance + movements differ from the closing balance", () => {
    const r = readMt940(enc([":20:S", ":25:A", ":60F:C240101EUR10,00", ":61:240102C5,00NTRFNONREF", ":62F:C240102EUR16,00"].join("\n")));
    expect(r.warnings).toEqual(["line 5: closing balance 16.00 ≠ opening 10.00 + movements 5.00"]);
  });

  it("rejects a malformed statement line with its line number", () => {
    const e = catchError(() =>
      readMt940(enc([":20:S", ":25:A", ":60F:C240101EUR10,00", ":61:24010XC5,00NTRF", ":62F:C240102EUR15,00"].join("\n"))),
    );
    expect(e.code).toBe("invalid_input");
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatchObject({ line: 4, field: ":61:" });
  });

  it("rejects an amount with more than two significant decimals", () => {
    const e = catchError(() => readMt940(enc([":20:S", ":25:A", ":61:240102C5,005NTRFNONREF"].join("\n"))));
    expect(e.problems[0]?.message).toContain("more than two decimals");
  });

  it("reads a text with :20: but no MT940 line as an empty statement, and garbage named .sta as invalid", () => {
    expect(readMt940(enc(":20:ONLY\n:25:X\n")).payments).toEqual([]);
    const e = catchError(() => readBankStatement(enc("hello\nworld\n"), "statement.sta"));
    expect(e.message).toContain("no MT940 statement");
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
