import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocateProportionally, assertCents, formatMoney, MoneyParseError, parseMoney, toDecimalString } from "./money.js";

const NBSP = "\u00a0"; // no-break space (before €, French style)
const NNBSP = "\u202f"; // narrow no-break space (French thousands group)

/** Safe integer amounts of cents in ±1e13 (± 100 billion euros). */
const cents = fc.integer({ min: -1e13, max: 1e13 });

function expectParseError(input: string): void {
  expect(() => parseMoney(input)).toThrow(MoneyParseError);
}

describe("parseMoney", () => {
  it("reads a plain dot-decimal amount", () => {
    expect(parseMoney("1234.56")).toBe(123456);
  });

  it("reads French thousands separators (space, no-break space, narrow no-break space)", () => {
    expect(parseMoney("1 234,56")).toBe(123456);
    expect(parseMoney(`1${NBSP}234,56`)).toBe(123456);
    expect(parseMoney(`1${NNBSP}234,56`)).toBe(123456);
    expect(parseMoney(`12${NNBSP}345${NNBSP}678,90`)).toBe(1234567890);
  });

  it("reads a comma as the decimal separator", () => {
    expect(parseMoney("1234,56")).toBe(123456);
    expect(parseMoney("12,3")).toBe(1230);
  });

  it("reads a leading minus and pads a single decimal", () => {
    expect(parseMoney("-12,5")).toBe(-1250);
  });

  it("reads English grouping with a dot decimal", () => {
    expect(parseMoney("1,234.56")).toBe(123456);
    expect(parseMoney("1,234,567.89")).toBe(123456789);
  });

  it("reads continental grouping with a comma decimal", () => {
    expect(parseMoney("1.234,56")).toBe(123456);
    expect(parseMoney("1.234.567,89")).toBe(123456789);
  });

  it("reads an accounting negative in parentheses", () => {
    expect(parseMoney("(12.50)")).toBe(-1250);
    expect(parseMoney("(1 234,56 €)")).toBe(-123456);
  });

  it("reads a trailing minus as a negative", () => {
    expect(parseMoney("12,50-")).toBe(-1250);
  });

  it("reads an integer amount as whole euros", () => {
    expect(parseMoney("1234")).toBe(123400);
    expect(parseMoney("0")).toBe(0);
  });

  it("reads an amount below one euro", () => {
    expect(parseMoney("0,5")).toBe(50);
    expect(parseMoney("0.01")).toBe(1);
    expect(parseMoney(",5")).toBe(50);
  });

  it("accepts extra decimals when they are zeros (camt 5 decimals)", () => {
    expect(parseMoney("12.34000")).toBe(1234);
    expect(parseMoney("-0.50000")).toBe(-50);
  });

  it("reads several thousands groups without a decimal part", () => {
    expect(parseMoney("1.234.567")).toBe(123456700);
    expect(parseMoney("1,234,567")).toBe(123456700);
  });

  it("ignores surrounding blanks, a leading plus and the euro sign or code", () => {
    expect(parseMoney("  12,50  ")).toBe(1250);
    expect(parseMoney("+12.00")).toBe(1200);
    expect(parseMoney("1 234,56 €")).toBe(123456);
    expect(parseMoney("€1,234.56")).toBe(123456);
    expect(parseMoney("EUR 1234.56")).toBe(123456);
    expect(parseMoney("1234,56 eur")).toBe(123456);
  });

  it("reads a Swiss apostrophe group separator", () => {
    expect(parseMoney("1'234.56")).toBe(123456);
  });

  it("never returns negative zero", () => {
    expect(Object.is(parseMoney("-0,00"), 0)).toBe(true);
    expect(Object.is(parseMoney("(0.00)"), 0)).toBe(true);
  });

  it("reads the largest safe amount and rejects one cent more", () => {
    expect(parseMoney("90071992547409.91")).toBe(Number.MAX_SAFE_INTEGER);
    expectParseError("90071992547409.92");
  });

  it("rejects text that is not a number", () => {
    expectParseError("abc");
    expectParseError("12a");
    expectParseError("1e5");
    expectParseError("--5");
  });

  it("rejects a non-zero third decimal instead of losing cents", () => {
    expectParseError("12.345");
    expectParseError("12,001");
    expectParseError("12.34001");
  });

  it("rejects misplaced repeated separators", () => {
    expectParseError("1,2,3");
    expectParseError("12.34.56");
  });

  it("rejects several decimal separators when both kinds are present", () => {
    expectParseError("1.234,56,7");
  });

  it("rejects an empty or blank amount", () => {
    expectParseError("");
    expectParseError("   ");
    expectParseError("€");
  });

  it("rejects a lone sign, separator or pair of parentheses instead of reading zero", () => {
    expectParseError("-");
    expectParseError("+");
    expectParseError(".");
    expectParseError(",");
    expectParseError("()");
    expectParseError("- €");
  });

  it("reports the offending input on the error", () => {
    try {
      parseMoney("abc");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MoneyParseError);
      expect(e).toBeInstanceOf(Error);
      const err = e as MoneyParseError;
      expect(err.name).toBe("MoneyParseError");
      expect(err.input).toBe("abc");
      expect(err.message).toContain('"abc"');
    }
  });
});

describe("toDecimalString", () => {
  it("writes two decimals with a dot and no grouping", () => {
    expect(toDecimalString(123456)).toBe("1234.56");
    expect(toDecimalString(4000000)).toBe("40000.00");
    expect(toDecimalString(123456789012)).toBe("1234567890.12");
  });

  it("writes small amounts with a leading zero", () => {
    expect(toDecimalString(0)).toBe("0.00");
    expect(toDecimalString(5)).toBe("0.05");
    expect(toDecimalString(50)).toBe("0.50");
  });

  it("keeps the sign of amounts below one euro", () => {
    expect(toDecimalString(-5)).toBe("-0.05");
    expect(toDecimalString(-50)).toBe("-0.50");
    expect(toDecimalString(-123456)).toBe("-1234.56");
  });

  it("writes the largest safe amount exactly", () => {
    expect(toDecimalString(Number.MAX_SAFE_INTEGER)).toBe("90071992547409.91");
    expect(toDecimalString(-Number.MAX_SAFE_INTEGER)).toBe("-90071992547409.91");
  });

  it("refuses amounts that are not integer cents", () => {
    expect(() => toDecimalString(1.5)).toThrow(RangeError);
    expect(() => toDecimalString(Number.NaN)).toThrow(RangeError);
    expect(() => toDecimalString(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => toDecimalString(2 ** 53)).toThrow(RangeError);
  });
});

describe("formatMoney", () => {
  it("formats French amounts with a narrow no-break space group and a no-break space before €", () => {
    expect(formatMoney(123456, "fr")).toBe(`1${NNBSP}234,56${NBSP}€`);
    expect(formatMoney(123456, "fr")).toBe("1\u202f234,56\u00a0€");
  });

  it("groups every three digits in French", () => {
    expect(formatMoney(99999, "fr")).toBe(`999,99${NBSP}€`);
    expect(formatMoney(100000, "fr")).toBe(`1${NNBSP}000,00${NBSP}€`);
    expect(formatMoney(123456789012, "fr")).toBe(`1${NNBSP}234${NNBSP}567${NNBSP}890,12${NBSP}€`);
  });

  it("formats French amounts below one euro and zero", () => {
    expect(formatMoney(0, "fr")).toBe(`0,00${NBSP}€`);
    expect(formatMoney(5, "fr")).toBe(`0,05${NBSP}€`);
  });

  it("formats French negatives with a leading minus", () => {
    expect(formatMoney(-123456, "fr")).toBe(`-1${NNBSP}234,56${NBSP}€`);
    expect(formatMoney(-5, "fr")).toBe(`-0,05${NBSP}€`);
  });

  it("formats English amounts with the symbol first and comma groups", () => {
    expect(formatMoney(123456, "en")).toBe("€1,234.56");
    expect(formatMoney(5, "en")).toBe("€0.05");
    expect(formatMoney(0, "en")).toBe("€0.00");
    expect(formatMoney(123456789012, "en")).toBe("€1,234,567,890.12");
  });

  it("formats English negatives with the minus before the symbol", () => {
    expect(formatMoney(-123456, "en")).toBe("-€1,234.56");
    expect(formatMoney(-5, "en")).toBe("-€0.05");
  });

  it("uses known currency symbols and falls back to the ISO code", () => {
    expect(formatMoney(123456, "en", "USD")).toBe("$1,234.56");
    expect(formatMoney(123456, "en", "GBP")).toBe("£1,234.56");
    expect(formatMoney(123456, "en", "CHF")).toBe("1,234.56 CHF");
    expect(formatMoney(123456, "fr", "USD")).toBe(`1${NNBSP}234,56${NBSP}$`);
    expect(formatMoney(123456, "fr", "CHF")).toBe(`1${NNBSP}234,56${NBSP}CHF`);
  });

  it("refuses amounts that are not integer cents", () => {
    expect(() => formatMoney(0.5, "fr")).toThrow(RangeError);
    expect(() => formatMoney(Number.NaN, "en")).toThrow(RangeError);
  });
});

describe("assertCents", () => {
  it("accepts safe integers", () => {
    expect(() => assertCents(0)).not.toThrow();
    expect(() => assertCents(-1)).not.toThrow();
    expect(() => assertCents(Number.MAX_SAFE_INTEGER)).not.toThrow();
    expect(() => assertCents(Number.MIN_SAFE_INTEGER)).not.toThrow();
  });

  it("rejects fractions, non-finite values and unsafe integers", () => {
    expect(() => assertCents(0.1)).toThrow(RangeError);
    expect(() => assertCents(Number.NaN)).toThrow(RangeError);
    expect(() => assertCents(Number.NEGATIVE_INFINITY)).toThrow(RangeError);
    expect(() => assertCents(Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
  });
});

describe("allocateProportionally", () => {
  it("splits exactly when the total divides evenly", () => {
    expect(allocateProportionally(1000, [1, 3])).toEqual([250, 750]);
    expect(allocateProportionally(900, [1, 1, 1])).toEqual([300, 300, 300]);
  });

  it("gives leftover cents to the largest remainders", () => {
    // 33.33 / 66.67 → floors 33 / 66, the extra cent goes to the .67
    expect(allocateProportionally(100, [1, 2])).toEqual([33, 67]);
    // 1.43 / 2.86 / 5.71 → floors 1 / 2 / 5, the two extra cents go to .86 and .71
    expect(allocateProportionally(10, [1, 2, 4])).toEqual([1, 3, 6]);
  });

  it("breaks equal remainders in favour of the earlier part", () => {
    expect(allocateProportionally(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocateProportionally(5, [2.5, 2.5])).toEqual([3, 2]);
  });

  it("splits a negative total (credit note) exactly", () => {
    // -33.33 each → floors -34, two cents back to the first two parts
    expect(allocateProportionally(-100, [1, 1, 1])).toEqual([-33, -33, -34]);
    expect(allocateProportionally(-100, [1, 2])).toEqual([-33, -67]);
  });

  it("gives nothing to a zero weight", () => {
    expect(allocateProportionally(1000, [0, 1])).toEqual([0, 1000]);
  });

  it("returns zeros when every weight is zero, and nothing for no weights", () => {
    expect(allocateProportionally(1000, [0, 0])).toEqual([0, 0]);
    expect(allocateProportionally(1000, [])).toEqual([]);
  });

  it("allocates zero as zeros", () => {
    expect(allocateProportionally(0, [1, 2])).toEqual([0, 0]);
  });

  it("weights by amounts in cents (payment spread over invoices)", () => {
    // 100.00 over invoices of 30.00 and 70.01: 2999.70 / 7000.30 → 3000 / 7000
    expect(allocateProportionally(10000, [3000, 7001])).toEqual([3000, 7000]);
  });
});

describe("money properties", () => {
  it("reads back its own decimal string", () => {
    fc.assert(
      fc.property(cents, (c) => {
        expect(parseMoney(toDecimalString(c))).toBe(c);
      }),
    );
  });

  it("writes the decimal string of c/100 with two decimals", () => {
    fc.assert(
      fc.property(cents, (c) => {
        const s = toDecimalString(c);
        expect(s).toMatch(/^-?\d+\.\d{2}$/);
        expect(s).toBe(c === 0 ? "0.00" : (c / 100).toFixed(2));
      }),
    );
  });

  it("reads back its own French display form", () => {
    fc.assert(
      fc.property(cents, (c) => {
        const s = formatMoney(c, "fr");
        expect(s).toMatch(/^-?\d{1,3}(\u202f\d{3})*,\d{2}\u00a0€$/);
        expect(parseMoney(s)).toBe(c);
      }),
    );
  });

  it("reads back its own English display form", () => {
    fc.assert(
      fc.property(cents, (c) => {
        const s = formatMoney(c, "en");
        expect(s).toMatch(/^-?€\d{1,3}(,\d{3})*\.\d{2}$/);
        expect(parseMoney(s)).toBe(c);
      }),
    );
  });

  it("reads every negative notation as the same amount", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e13 }), (c) => {
        const s = toDecimalString(c);
        expect(parseMoney(`-${s}`)).toBe(-c);
        expect(parseMoney(`(${s})`)).toBe(-c);
        expect(parseMoney(`${s}-`)).toBe(-c);
        expect(parseMoney(`${s.replace(".", ",")}-`)).toBe(-c);
      }),
    );
  });

  it("accepts trailing zero decimals and rejects any non-zero extra decimal", () => {
    fc.assert(
      fc.property(cents, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 3 }), (c, d, zeros) => {
        const s = toDecimalString(c);
        expect(parseMoney(`${s}${"0".repeat(zeros + 1)}`)).toBe(c);
        expect(() => parseMoney(`${s}${"0".repeat(zeros)}${d}`)).toThrow(MoneyParseError);
      }),
    );
  });

  it("allocates parts that sum to the total, each within one cent of its exact share", () => {
    const weights = fc.array(fc.integer({ min: 0, max: 1e12 }), { minLength: 1, maxLength: 20 }).filter((w) => w.some((x) => x > 0));
    fc.assert(
      fc.property(cents, weights, (total, w) => {
        const parts = allocateProportionally(total, w);
        expect(parts).toHaveLength(w.length);
        expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
        // Exact share of part i is total·w_i / Σw; compare in BigInt to avoid float error.
        const sum = BigInt(w.reduce((a, b) => a + b, 0));
        parts.forEach((p, i) => {
          expect(Number.isSafeInteger(p)).toBe(true);
          const diff = BigInt(p) * sum - BigInt(total) * BigInt(w[i] ?? 0);
          expect(diff < 0n ? -diff : diff).toBeLessThanOrEqual(sum);
        });
      }),
    );
  });

  it("never allocates a negative part of a positive total", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e13 }),
        fc.array(fc.integer({ min: 0, max: 1e9 }), {
          minLength: 1,
          maxLength: 20,
        }),
        (total, w) => {
          for (const p of allocateProportionally(total, w)) expect(p).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe("parseMoney rejects ambiguous signs and grouping", () => {
  it("refuses an amount written with two minus signs", () => {
    expect(() => parseMoney("(-5)")).toThrow(MoneyParseError);
    expect(() => parseMoney("-12,50-")).toThrow(MoneyParseError);
  });
  it("refuses thousands groups that are not three digits long when both separators appear", () => {
    expect(() => parseMoney("1,23.45")).toThrow(MoneyParseError);
    expect(() => parseMoney("1.2.3,45")).toThrow(MoneyParseError);
    expect(parseMoney("12.345.678,90")).toBe(1234567890);
  });
});
