import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planAllocation } from "../web/src/lib/allocation.js";
import { toCsv } from "../web/src/lib/csv.js";
import { addMoney, compareMoney, fromCents, isDecimal, minMoney, subMoney, toCents } from "../web/src/lib/decimal.js";
import { messages } from "../web/src/lib/messages.js";

describe("web app money (decimal strings, integer cents, never floats)", () => {
  it("reads the API's decimal strings and French input exactly", () => {
    expect(toCents("40000.00")).toBe(4_000_000n);
    expect(toCents("-88.8")).toBe(-8880n);
    expect(toCents("1 234,56")).toBe(123_456n);
    expect(toCents("0.07")).toBe(7n);
    expect(() => toCents("12.345")).toThrow(/not a decimal/);
    expect(isDecimal("abc")).toBe(false);
  });

  it("adds amounts that floats get wrong", () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(addMoney("0.10", "0.20")).toBe("0.30");
    expect(addMoney("1093.54", "-1093.54", "0.01")).toBe("0.01");
    expect(subMoney("100.00", "100.01")).toBe("-0.01");
    expect(minMoney("341.27", "2791.90")).toBe("341.27");
    expect(compareMoney("10.00", "9.99")).toBe(1);
  });

  it("round-trips any amount of cents through its decimal string", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (cents) => {
        expect(toCents(fromCents(cents))).toBe(cents);
      }),
    );
  });
});

describe("one-click allocation of a payment to suggested invoices", () => {
  const docs = [
    { id: 2, number: "F-2", dueDate: "2026-03-01", outstanding: "300.00" },
    { id: 1, number: "F-1", dueDate: "2026-01-31", outstanding: "200.50" },
    { id: 3, number: "F-3", dueDate: "2026-04-01", outstanding: "0.00" },
  ];

  it("pays the oldest due first and never more than the payment has left", () => {
    expect(planAllocation("350.00", docs)).toEqual([
      { documentId: 1, amount: "200.50" },
      { documentId: 2, amount: "149.50" },
    ]);
  });

  it("allocates everything owed when the payment covers it, and nothing to a settled invoice", () => {
    expect(planAllocation("1000.00", docs)).toEqual([
      { documentId: 1, amount: "200.50" },
      { documentId: 2, amount: "300.00" },
    ]);
    expect(planAllocation("0.00", docs)).toEqual([]);
  });
});

describe("CSV export for a spreadsheet", () => {
  it("writes French Excel's format: BOM, semicolons, decimal commas, quoted cells", () => {
    const csv = toCsv("fr", ["Numéro", "Client", "Reste dû"], [["F-1", 'Dupont; "Fils"', "1234.56"]], [2]);
    expect(csv).toBe('\ufeffNuméro;Client;Reste dû\r\nF-1;"Dupont; ""Fils""";1234,56\r\n');
  });

  it("writes commas and decimal points in English", () => {
    expect(toCsv("en", ["n", "amount"], [["F-1", "-40.00"]], [1])).toBe("\ufeffn,amount\r\nF-1,-40.00\r\n");
  });
});

describe("web app dictionary", () => {
  it("has every text in French and English, with the same placeholders", () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    expect(Object.keys(messages.en).sort()).toEqual(Object.keys(messages.fr).sort());
    for (const key of Object.keys(messages.fr) as (keyof typeof messages.fr)[]) {
      expect(messages.en[key].trim(), key).not.toBe("");
      expect(placeholders(messages.en[key]), key).toEqual(placeholders(messages.fr[key]));
    }
  });
});
