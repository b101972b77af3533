/**
 * DSO bridge: why the classic DSO moved between two periods, customer by customer. Pure.
 *
 * DSO = A × m with A = AR at the end of the period (Σ over customers A_c) and
 * m = days / revenue (R = Σ R_c). Between period 1 and period 2, with the midpoint values
 * Ā = (A1 + A2) / 2 and m̄ = (m1 + m2) / 2, the change splits exactly:
 *
 *   DSO2 − DSO1 = m̄ (A2 − A1) + Ā (m2 − m1)
 *   m2 − m1     = −d2 (R2 − R1) / (R1 R2) + (d2 − d1) / R1
 *
 * so that each customer c contributes
 *
 *   receivables effect_c = m̄ (A2_c − A1_c)               (its AR grew: DSO up)
 *   revenue effect_c     = −Ā d2 (R2_c − R1_c) / (R1 R2)  (it bought more: DSO down)
 *   contribution_c       = receivables effect_c + revenue effect_c
 *
 * and a calendar effect Ā (d2 − d1) / R1 remains when the two periods have different
 * lengths. Σ contributions + calendar effect = DSO2 − DSO1, exactly (up to floating-point
 * rounding). Payments received from no known customer are a line of their own
 * (`customerId` null). When either revenue is not positive the DSO is undefined and no
 * bridge is drawn (effects are null).
 */

import { classicDso } from "./dso.js";
import type { Cents } from "./money.js";

export interface BridgePeriod {
  from: string;
  to: string;
  days: number;
}

export interface BridgeLineInput<K> {
  customerId: K;
  arBefore: Cents;
  arAfter: Cents;
  revenueBefore: Cents;
  revenueAfter: Cents;
}

export interface BridgeLine<K> extends BridgeLineInput<K> {
  receivablesEffect: number | null;
  revenueEffect: number | null;
  contribution: number | null;
}

export interface BridgeSide extends BridgePeriod {
  ar: Cents;
  revenue: Cents;
  dso: number | null;
}

export interface DsoBridge<K> {
  before: BridgeSide;
  after: BridgeSide;
  /** DSO after − DSO before; null when either is. */
  change: number | null;
  calendarEffect: number | null;
  /** Largest |contribution| first. */
  lines: BridgeLine<K>[];
}

export function dsoBridge<K>(before: BridgePeriod, after: BridgePeriod, lines: Iterable<BridgeLineInput<K>>): DsoBridge<K> {
  const input = [...lines];
  const a1 = input.reduce((s, l) => s + l.arBefore, 0);
  const a2 = input.reduce((s, l) => s + l.arAfter, 0);
  const r1 = input.reduce((s, l) => s + l.revenueBefore, 0);
  const r2 = input.reduce((s, l) => s + l.revenueAfter, 0);
  const dso1 = classicDso({ ar: a1, revenue: r1, days: before.days });
  const dso2 = classicDso({ ar: a2, revenue: r2, days: after.days });
  const defined = dso1 !== null && dso2 !== null;
  const mBar = defined ? (before.days / r1 + after.days / r2) / 2 : 0;
  const aBar = (a1 + a2) / 2;
  const out: BridgeLine<K>[] = input.map((l) => {
    if (!defined) return { ...l, receivablesEffect: null, revenueEffect: null, contribution: null };
    // `+ 0` turns a −0 (no change) into 0.
    const receivablesEffect = mBar * (l.arAfter - l.arBefore) + 0;
    const revenueEffect = (-aBar * after.days * (l.revenueAfter - l.revenueBefore)) / (r1 * r2) + 0;
    return { ...l, receivablesEffect, revenueEffect, contribution: receivablesEffect + revenueEffect };
  });
  out.sort(
    (x, y) => Math.abs(y.contribution ?? 0) - Math.abs(x.contribution ?? 0) || String(x.customerId).localeCompare(String(y.customerId)),
  );
  return {
    before: { ...before, ar: a1, revenue: r1, dso: dso1 },
    after: { ...after, ar: a2, revenue: r2, dso: dso2 },
    change: defined ? (dso2 as number) - (dso1 as number) : null,
    calendarEffect: defined ? (aBar * (after.days - before.days)) / r1 : null,
    lines: out,
  };
}
