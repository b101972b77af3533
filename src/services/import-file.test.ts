import { describe, expect, it } from "vitest";
import { deriveRef, KeySet } from "./import-file.js";

describe("KeySet (duplicate keys of a file in bounded memory)", () => {
  it("returns the first line of a key seen before, and null for a new key, across growth", () => {
    const set = new KeySet();
    for (let i = 0; i < 200_000; i++) expect(set.addOrGet(`FA-${i}`, i + 2)).toBeNull();
    expect(set.addOrGet("FA-0", 999_999)).toBe(2);
    expect(set.addOrGet("FA-199999", 1)).toBe(200_001);
    expect(set.addOrGet("FA-200000", 3)).toBeNull();
    expect(set.full).toBe(false);
  });
});

describe("deriveRef", () => {
  it("makes a customer code from a name without one", () => {
    expect(deriveRef("Société Générale d'Équipement")).toBe("SOCIETE-GENERALE-D-EQUIPEMENT");
    expect(deriveRef("  ***  ")).toBe("CLIENT");
    expect(deriveRef("x".repeat(60))).toHaveLength(40);
  });
});
