import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dsoBridge } from "./bridge.js";

const P1 = { from: "2025-01-01", to: "2025-01-31", days: 30 };
const P2 = { from: "2025-02-01", to: "2025-03-02", days: 30 };

describe("dsoBridge", () => {
  it("splits the DSO change between customers (hand-computed)", () => {
    // Before: A ar 100 rev 300, B ar 50 rev 300 → DSO = 150/600 × 30 = 7.5.
    // After:  A ar 200 rev 300, B ar 50 rev 500 → DSO = 250/800 × 30 = 9.375. Change 1.875.
    // m1 = 30/600 = 0.05, m2 = 30/800 = 0.0375, m̄ = 0.04375; Ā = 200.
    // A: receivables 0.04375 × 100 = 4.375, revenue 0 → 4.375.
    // B: receivables 0, revenue −200 × 30 × 200 / (600 × 800) = −2.5 → −2.5.
    const b = dsoBridge(P1, P2, [
      { customerId: "A", arBefore: 100, arAfter: 200, revenueBefore: 300, revenueAfter: 300 },
      { customerId: "B", arBefore: 50, arAfter: 50, revenueBefore: 300, revenueAfter: 500 },
    ]);
    expect(b.before.dso).toBeCloseTo(7.5, 12);
    expect(b.after.dso).toBeCloseTo(9.375, 12);
    expect(b.change).toBeCloseTo(1.875, 12);
    expect(b.lines.map((l) => [l.customerId, l.receivablesEffect, l.revenueEffect])).toEqual([
      ["A", 4.375, 0],
      ["B", 0, -2.5],
    ]);
    expect(b.calendarEffect).toBe(0);
  });

  it("puts top movers first, by absolute contribution", () => {
    const b = dsoBridge(P1, P2, [
      { customerId: "small", arBefore: 10, arAfter: 11, revenueBefore: 100, revenueAfter: 100 },
      { customerId: "big-down", arBefore: 500, arAfter: 100, revenueBefore: 100, revenueAfter: 100 },
      { customerId: "mid-up", arBefore: 10, arAfter: 60, revenueBefore: 100, revenueAfter: 100 },
    ]);
    expect(b.lines.map((l) => l.customerId)).toEqual(["big-down", "mid-up", "small"]);
  });

  it("keeps a calendar effect when the periods have different lengths", () => {
    const b = dsoBridge({ ...P1, days: 31 }, { ...P2, days: 28 }, [
      { customerId: "A", arBefore: 100, arAfter: 100, revenueBefore: 1000, revenueAfter: 1000 },
    ]);
    // Same AR and revenue: the whole change (100/1000 × (28 − 31) = −0.3) is the calendar's.
    expect(b.change).toBeCloseTo(-0.3, 12);
    expect(b.calendarEffect).toBeCloseTo(-0.3, 12);
    expect(b.lines[0]?.contribution).toBeCloseTo(0, 12);
  });

  it("draws no bridge when a revenue is not positive", () => {
    const b = dsoBridge(P1, P2, [{ customerId: "A", arBefore: 100, arAfter: 100, revenueBefore: 0, revenueAfter: 10 }]);
    expect(b.change).toBeNull();
    expect(b.lines[0]?.contribution).toBeNull();
  });

  it("contributions and the calendar effect always add up to the DSO change (property)", () => {
    const line = fc.record({
      arBefore: fc.integer({ min: -1e9, max: 1e10 }),
      arAfter: fc.integer({ min: -1e9, max: 1e10 }),
      revenueBefore: fc.integer({ min: -1e8, max: 1e10 }),
      revenueAfter: fc.integer({ min: -1e8, max: 1e10 }),
    });
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 400 }),
        (ls, d1, d2) => {
          const b = dsoBridge(
            { ...P1, days: d1 },
            { ...P2, days: d2 },
            ls.map((l, i) => ({ customerId: i, ...l })),
          );
          fc.pre(b.change !== null);
          const sum = b.lines.reduce((s, l) => s + (l.contribution ?? 0), 0) + (b.calendarEffect ?? 0);
          // Floating-point sums err relative to the size of the terms added, which can be far
          // larger than the DSOs when big contributions cancel out.
          const magnitude = b.lines.reduce((s, l) => s + Math.abs(l.contribution ?? 0), 0) + Math.abs(b.calendarEffect ?? 0);
          expect(Math.abs(sum - (b.change as number))).toBeLessThanOrEqual(
            1e-9 * Math.max(1, magnitude, Math.abs(b.before.dso ?? 0), Math.abs(b.after.dso ?? 0)),
          );
        },
      ),
    );
  });
});
