/**
 * French B2B late-payment penalties (DESIGN §5; Code de commerce art. L441-10 and D441-5).
 *
 * - Interest = outstanding × rate × days late / 365. Days late run from the day after the
 *   due date to the payment date (or the as-of date), both included: due 20 June, paid
 *   10 July → 20 days.
 * - Rate = ECB main refinancing rate in force on 1 January (first half-year) or 1 July
 *   (second half-year) + 10 points, unless the contract sets another rate, which may never
 *   be below 3 × the legal interest rate of the half-year. A period that spans two
 *   half-years is split: each day carries the rate of its half-year.
 * - A half-year without a known rate is never guessed: its days are left out of the
 *   interest and a `missing_rate` warning says which half-year to add (setting
 *   `penalties.rates`).
 * - Plus a fixed recovery indemnity of €40 per invoice paid late (D441-5).
 * - Rounding: the exact rational Σ outstanding × rate × days / (365 × 100 %) is computed in
 *   integers (BigInt) over all periods and rounded once, to the cent, half up (0.5 cent →
 *   1 cent). Per-period figures are rounded the same way for display only; they may differ
 *   from the total by a cent.
 * Rates are basis points (1 bp = 0.01 %): 14.50 % = 1450.
 */
import { addDays, daysBetween, type IsoDate, minDate } from "./dates.js";
import type { Cents } from "./money.js";

export type HalfYear = string; // "2026-H1"
export type RateTable = Readonly<Record<HalfYear, number>>;

/** ECB main refinancing rate + 10 points, per half-year (DESIGN §5). */
export const SHIPPED_PENALTY_RATES: RateTable = {
  "2024-H1": 1450,
  "2024-H2": 1425,
  "2025-H1": 1315,
  "2025-H2": 1215,
  "2026-H1": 1215,
};

/** Legal interest rate (taux de l'intérêt légal, creditors other than individuals), per half-year. */
export const LEGAL_INTEREST_RATES: RateTable = {
  "2026-H1": 262,
};

/** D441-5: fixed recovery indemnity per invoice paid late. */
export const RECOVERY_INDEMNITY: Cents = 4000;

const HALF_YEAR = /^(\d{4})-H([12])$/;

export function isHalfYear(s: string): boolean {
  return HALF_YEAR.test(s);
}

export function halfYearOf(date: IsoDate): HalfYear {
  return `${date.slice(0, 4)}-H${Number(date.slice(5, 7)) <= 6 ? 1 : 2}`;
}

export function halfYearBounds(h: HalfYear): { from: IsoDate; to: IsoDate } {
  const m = HALF_YEAR.exec(h);
  if (!m) throw new RangeError(`not a half-year: ${h}`);
  return m[2] === "1" ? { from: `${m[1]}-01-01`, to: `${m[1]}-06-30` } : { from: `${m[1]}-07-01`, to: `${m[1]}-12-31` };
}

/** "12.15" or "12,15" (percent, at most two decimals) → 1215 basis points. */
export function parseRatePercent(input: string | number): number {
  const s = String(input).trim().replace(",", ".").replace(/\s*%$/, "");
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) throw new RangeError(`invalid rate "${input}": expected a percentage such as 12.15`);
  const bp = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  if (bp > 10000) throw new RangeError(`invalid rate "${input}": above 100 %`);
  return bp;
}

/** 1215 → "12.15". */
export function formatRate(bp: number): string {
  return `${Math.trunc(bp / 100)}.${String(bp % 100).padStart(2, "0")}`;
}

export interface PenaltyWarning {
  code: "missing_rate" | "missing_legal_rate" | "below_legal_floor";
  halfYear: HalfYear;
  message: string;
}

export interface InterestPeriod {
  halfYear: HalfYear;
  from: IsoDate;
  to: IsoDate;
  days: number;
  /** Basis points applied, or null when the half-year has no known rate (days left out). */
  rateBp: number | null;
  /** This period's interest rounded to the cent (display only). */
  interest: Cents;
}

export interface InterestResult {
  daysLate: number;
  interest: Cents;
  periods: InterestPeriod[];
  warnings: PenaltyWarning[];
  /** False when some days were left out for lack of a rate. */
  complete: boolean;
}

export interface InterestInput {
  outstanding: Cents;
  dueDate: IsoDate;
  /** Payment date, or the as-of date for an invoice still unpaid. */
  until: IsoDate;
  /** Rates per half-year (default: the shipped table). */
  rates?: RateTable;
  /** A contractual rate in basis points, floored at 3 × the legal rate of each half-year. */
  contractualRateBp?: number;
  legalRates?: RateTable;
}

const DENOMINATOR = 365n * 10000n;

/** n / d rounded half up, for n ≥ 0, d > 0. */
function divRoundHalfUp(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d);
}

export function lateInterest(input: InterestInput): InterestResult {
  const rates = input.rates ?? SHIPPED_PENALTY_RATES;
  const legalRates = input.legalRates ?? LEGAL_INTEREST_RATES;
  const daysLate = Math.max(0, daysBetween(input.dueDate, input.until));
  const result: InterestResult = { daysLate, interest: 0, periods: [], warnings: [], complete: true };
  if (daysLate === 0 || input.outstanding <= 0) return result;
  const outstanding = BigInt(input.outstanding);
  let numerator = 0n;
  let from = addDays(input.dueDate, 1);
  while (from <= input.until) {
    const halfYear = halfYearOf(from);
    const bounds = halfYearBounds(halfYear);
    const to = minDate(bounds.to, input.until);
    const days = daysBetween(from, to) + 1;
    let rateBp: number | null;
    if (input.contractualRateBp !== undefined) {
      const legal = legalRates[halfYear];
      rateBp = input.contractualRateBp;
      if (legal === undefined) {
        result.warnings.push({
          code: "missing_legal_rate",
          halfYear,
          message: `no legal interest rate for ${halfYear}: the contractual rate could not be checked against its floor (3 × legal rate)`,
        });
      } else if (rateBp < 3 * legal) {
        result.warnings.push({
          code: "below_legal_floor",
          halfYear,
          message: `the contractual rate ${formatRate(rateBp)} % is below 3 × the legal rate of ${halfYear}: ${formatRate(3 * legal)} % applied`,
        });
        rateBp = 3 * legal;
      }
    } else {
      rateBp = rates[halfYear] ?? null;
      if (rateBp === null) {
        result.complete = false;
        result.warnings.push({
          code: "missing_rate",
          halfYear,
          message: `no late-payment rate for ${halfYear}: days late in that half-year are left out of the interest; add the rate (ECB rate + 10 points) with: relance settings set penalties.rates '{"${halfYear}":"…"}'`,
        });
      }
    }
    const part = rateBp === null ? 0n : outstanding * BigInt(rateBp) * BigInt(days);
    numerator += part;
    result.periods.push({ halfYear, from, to, days, rateBp, interest: Number(divRoundHalfUp(part, DENOMINATOR)) });
    from = addDays(to, 1);
  }
  result.interest = Number(divRoundHalfUp(numerator, DENOMINATOR));
  return result;
}

export interface PenaltyDocument {
  id: string | number;
  kind: "invoice" | "credit_note";
  outstanding: Cents;
  dueDate: IsoDate;
}

export interface DocumentPenalty extends InterestResult {
  id: string | number;
  indemnity: Cents;
}

export interface PenaltiesSummary {
  documents: DocumentPenalty[];
  interest: Cents;
  indemnities: Cents;
  total: Cents;
  warnings: PenaltyWarning[];
  complete: boolean;
}

/**
 * Interest and the €40 indemnity for each open invoice that is late at `until`
 * (credit notes and invoices not yet due carry none). Warnings are deduplicated by half-year.
 */
export function penaltiesFor(
  documents: readonly PenaltyDocument[],
  until: IsoDate,
  options: { rates?: RateTable; contractualRateBp?: number } = {},
): PenaltiesSummary {
  const out: PenaltiesSummary = { documents: [], interest: 0, indemnities: 0, total: 0, warnings: [], complete: true };
  const seen = new Set<string>();
  for (const d of documents) {
    const late = d.kind === "invoice" && d.outstanding > 0 && d.dueDate < until;
    const r = late
      ? lateInterest({
          outstanding: d.outstanding,
          dueDate: d.dueDate,
          until,
          rates: options.rates,
          contractualRateBp: options.contractualRateBp,
        })
      : { daysLate: 0, interest: 0, periods: [], warnings: [], complete: true };
    const indemnity = late ? RECOVERY_INDEMNITY : 0;
    out.documents.push({ id: d.id, ...r, indemnity });
    out.interest += r.interest;
    out.indemnities += indemnity;
    if (!r.complete) out.complete = false;
    for (const w of r.warnings) {
      const key = `${w.code}:${w.halfYear}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.warnings.push(w);
      }
    }
  }
  out.total = out.interest + out.indemnities;
  return out;
}
