import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findRfReferences, formatRf, isValidRfReference, makeRfReference, rfForDocument } from "./rf-reference.js";

const vectors = JSON.parse(readFileSync(new URL("../../../shared/corpus/epc_rf/epc_qr_and_rf_examples.json", import.meta.url), "utf8")) as {
  iso11649_rf: { input: string; valid: boolean }[];
};

describe("ISO 11649 RF references", () => {
  it("agrees with every corpus test vector", () => {
    expect(vectors.iso11649_rf.length).toBeGreaterThanOrEqual(20);
    for (const v of vectors.iso11649_rf) expect([v.input, isValidRfReference(v.input)]).toEqual([v.input, v.valid]);
  });

  it("computes the check digits of the canonical example", () => {
    expect(makeRfReference("539007547034")).toBe("RF18539007547034");
    expect(makeRfReference("5390 0754 70y")).toBe("RF185390075470Y");
    expect(makeRfReference("P")).toBe("RF08P");
    expect(() => makeRfReference("")).toThrow(RangeError);
    expect(() => makeRfReference("FA-2024")).toThrow(RangeError);
    expect(() => makeRfReference("1234567890123456789012")).toThrow(RangeError);
  });

  it("prints in groups of four", () => {
    expect(formatRf("RF18539007547034")).toBe("RF18 5390 0754 7034");
    expect(formatRf("rf18 5390 0754 70y")).toBe("RF18 5390 0754 70Y");
  });

  it("makes references that are valid and break when one character changes for another of its kind", () => {
    // MOD 97-10 catches every substitution of a digit by a digit or a letter by a letter; a digit
    // swapped for a letter changes the length of the numeric string and can escape it ("13" vs "1A").
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z0-9]{1,21}$/), fc.nat(20), fc.nat(35), (base, pos, k) => {
        const rf = makeRfReference(base);
        expect(isValidRfReference(rf)).toBe(true);
        expect(isValidRfReference(formatRf(rf))).toBe(true);
        const i = 4 + (pos % base.length);
        const old = rf[i] as string;
        const ch = /\d/.test(old) ? String(k % 10) : String.fromCharCode(65 + (k % 26));
        if (ch !== old) expect(isValidRfReference(rf.slice(0, i) + ch + rf.slice(i + 1))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("finds RF references in free text, printed or compact, ignoring invalid ones", () => {
    expect(findRfReferences("Paiement rf18 5390 0754 7034 facture 12, aussi RF08P. Faux: RF17539007547034 et XRF18539007547034")).toEqual([
      "RF18539007547034",
      "RF08P",
    ]);
  });

  it("gives each document a stable reference: readable when the number allows, hashed otherwise", () => {
    expect(rfForDocument(1, "FA-2024-0042")).toBe("RF7511FA20240042");
    expect(rfForDocument("1", "fa 2024/0042")).toBe("RF7511FA20240042");
    const hashed = rfForDocument(12345, "FACTURE-ÉTÉ-2024-000000001");
    expect(hashed).toBe(rfForDocument(12345n, "FACTURE-ÉTÉ-2024-000000001"));
    expect(hashed.slice(4, 8)).toBe("C9IX"); // letter C = hashed form, org tag "9IX" = 12345 in base 36
    expect(isValidRfReference(hashed)).toBe(true);
    expect(rfForDocument(2, "FA-2024-0042")).not.toBe(rfForDocument(1, "FA-2024-0042"));
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.string({ minLength: 1, maxLength: 40 }), (org, number) => {
        if (number.trim() === "") return;
        const rf = rfForDocument(org, number);
        expect(isValidRfReference(rf)).toBe(true);
        expect(rfForDocument(org, number)).toBe(rf);
      }),
    );
  });
});
