/**
 * French B2B late-payment penalties (DESIGN §5; Code de commerce art. L441-10 and D441-5).
 *
 * - Interest accrues day by day on what was actually unpaid that day: the document's total
 *   from the day after its due date, reduced by each payment allocated to it, credit
 *   applied or write-off. A part paid late bears interest up to its payment date included
 *   (the day of payment still counts as a late day), then stops: due 20 June, paid 10 July
 *   → 20 days. What is still unpaid bears interest up to the as-of date included. So one
 *   invoice's interest is Σ over the runs of days with a constant balance of
 *   balance × rate × days / 365.
 * - Rate = ECB main refinancing rate in force on 1 January (first half-year) or 1 July
 *   (second half-year) + 10 points, unless the contract sets another rate, which may never
 *   be below 3 × the legal interest rate of the half-year. A period that spans two
 *   half-years is split: each day carries the rate of its half-year.
 * - A half-year without a known rate is never guessed: its days are left out of the
 *   interest and a `missing_rate` warning says which half-year to add (setting
 *   `penalties.rates`).
 * - Plus a fixed recovery indemnity of €40 per invoice paid late (D441-5), also when it has
 *   been paid in full since.
 * - Rounding: the exact rational Σ balance × rate × days / (365 × 100 %) is computed in
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
  // Arrêtés of December and June (rate for "les autres cas"): 2024 5.07 % then 4.92 %,
  // 2025 3.71 % then 2.76 %, 2026-H1 2.62 % (DESIGN §5). Later half-years: setting.
  "2024-H1": 507,
  "2024-H2": 492,
  "2025-H1": 371,
  "2025-H2": 276,
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
  /** What was unpaid on each day of the period (cents). */
  balance: Cents;
  /** Basis points applied, or null when the half-year has no known rate (days left out). */
  rateBp: number | null;
  /** This period's interest rounded to the cent (display only). */
  interest: Cents;
}

export interface InterestResult {
  /** Days that bore interest: days after the due date, up to `until`, with something unpaid. */
  daysLate: number;
  interest: Cents;
  /** Runs of days with one balance and one rate, in date order (days with nothing unpaid are left out). */
  periods: InterestPeriod[];
  warnings: PenaltyWarning[];
  /** False when some days were left out for lack of a rate. */
  complete: boolean;
}

/**
 * Something that reduced what a document owes, on a date: a payment allocated to it, a
 * credit note applied, a write-off. A negative amount (a reversal) adds back.
 */
export interface PenaltyMovement {
  date: IsoDate;
  amount: Cents;
}

export interface InterestInput {
  /** What the document owed before any movement: its total incl. tax (without movements: a constant balance). */
  amount: Cents;
  /** The document's movements, in any order. Those dated after `until` are ignored. */
  movements?: readonly PenaltyMovement[];
  dueDate: IsoDate;
  /** The as-of date (or the date of the last payment, for an invoice settled since). */
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

/** The rate of a half-year, once per half-year (with its warning). */
function rateResolver(input: InterestInput, result: InterestResult): (halfYear: HalfYear) => number | null {
  const rates = input.rates ?? SHIPPED_PENALTY_RATES;
  const legalRates = input.legalRates ?? LEGAL_INTEREST_RATES;
  const cache = new Map<HalfYear, number | null>();
  return (halfYear) => {
    const known = cache.get(halfYear);
    if (known !== undefined) return known;
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
        result.warnings.push({
          code: "missing_rate",
          halfYear,
          message: `no late-payment rate for ${halfYear}: days late in that half-year are left out of the interest; add the rate (ECB rate + 10 points) with: relance settings set penalties.rates '{"${halfYear}":"…"}'`,
        });
      }
    }
    cache.set(halfYear, rateBp);
    return rateBp;
  };
}

export function lateInterest(input: InterestInput): InterestResult {
  const result: InterestResult = { daysLate: 0, interest: 0, periods: [], warnings: [], complete: true };
  const start = addDays(input.dueDate, 1);
  if (input.until < start) return result;
  // A movement dated D changes the balance from D + 1 on. Those up to the due date make the
  // opening balance; those on or after `until` change nothing before the end.
  let balance = input.amount;
  const changes = new Map<IsoDate, Cents>();
  for (const m of input.movements ?? []) {
    if (m.date < start) balance -= m.amount;
    else if (m.date < input.until) {
      const from = addDays(m.date, 1);
      changes.set(from, (changes.get(from) ?? 0) + m.amount);
    }
  }
  const steps = [...changes].filter(([, amount]) => amount !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const rateOf = rateResolver(input, result);
  let numerator = 0n;
  let next = 0;
  let from = start;
  let change = steps[next];
  while (from <= input.until) {
    while (change && change[0] <= from) {
      balance -= change[1];
      change = steps[++next];
    }
    const halfYear = halfYearOf(from);
    let to = minDate(halfYearBounds(halfYear).to, input.until);
    if (change) to = minDate(to, addDays(change[0], -1));
    if (balance > 0) {
      const days = daysBetween(from, to) + 1;
      const rateBp = rateOf(halfYear);
      if (rateBp === null) result.complete = false;
      const part = rateBp === null ? 0n : BigInt(balance) * BigInt(rateBp) * BigInt(days);
      numerator += part;
      result.daysLate += days;
      result.periods.push({ halfYear, from, to, days, balance, rateBp, interest: Number(divRoundHalfUp(part, DENOMINATOR)) });
    }
    from = addDays(to, 1);
  }
  result.interest = Number(divRoundHalfUp(numerator, DENOMINATOR));
  return result;
}

export interface PenaltyDocument {
  id: string | number;
  kind: "invoice" | "credit_note";
  /** The document's total incl. tax (without movements: what it owes throughout). */
  total: Cents;
  dueDate: IsoDate;
  /** Its payments, credit applications and write-offs (any date: those after `until` are ignored). */
  movements?: readonly PenaltyMovement[];
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

const NOT_LATE: InterestResult = { daysLate: 0, interest: 0, periods: [], warnings: [], complete: true };

/**
 * Interest and the €40 indemnity for each invoice that was late at some point up to
 * `until` — still unpaid, or paid (even in full) after its due date. Credit notes and
 * invoices paid on time or not yet due carry none. Warnings are deduplicated by half-year.
 */
export function penaltiesFor(
  documents: readonly PenaltyDocument[],
  until: IsoDate,
  options: { rates?: RateTable; contractualRateBp?: number; legalRates?: RateTable } = {},
): PenaltiesSummary {
  const out: PenaltiesSummary = { documents: [], interest: 0, indemnities: 0, total: 0, warnings: [], complete: true };
  const seen = new Set<string>();
  for (const d of documents) {
    const r =
      d.kind === "invoice" && d.dueDate < until
        ? lateInterest({
            amount: d.total,
            movements: d.movements,
            dueDate: d.dueDate,
            until,
            rates: options.rates,
            contractualRateBp: options.contractualRateBp,
            legalRates: options.legalRates,
          })
        : NOT_LATE;
    const indemnity = r.daysLate > 0 ? RECOVERY_INDEMNITY : 0;
    out.documents.push({ id: d.id, ...r, periods: [...r.periods], warnings: [...r.warnings], indemnity });
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
