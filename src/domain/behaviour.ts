/**
 * How a customer pays (DESIGN §5 "Days to pay / days late per customer: amount-weighted
 * over paid documents"). Pure functions.
 *
 * Definitions (where DESIGN is silent):
 * - A document is *paid at D* when it is an invoice (total > 0) with at least one
 *   allocation, its outstanding at D is 0 and it has no movement after D. Its *payment
 *   date* is the date of its last allocation (a write-off of a small residue later does not
 *   make it later; a document only written off was never paid and is left out).
 * - Each paid document weighs the amount actually paid on it (Σ of its allocations), so a
 *   document mostly written off weighs little.
 * - Days to pay = payment date − issue date; days late = payment date − due date
 *   (negative when paid early); paid on time = days late ≤ 0.
 * - A window of paid documents is the documents whose payment date falls in [from, to].
 */

import { daysBetween, type IsoDate } from "./dates.js";
import type { Cents } from "./money.js";
import { idKey, type Ledger } from "./receivables.js";

export interface PaidDocument {
  issueDate: IsoDate;
  dueDate: IsoDate;
  /** Date of the last allocation. */
  paidDate: IsoDate;
  /** Σ allocations (the weight). */
  paid: Cents;
}

/** Amount-weighted sums over paid documents: what a database aggregates, what the figures need. */
export interface PaymentSums {
  documents: number;
  /** Σ paid (the weights). */
  paid: Cents;
  /** Σ paid × days to pay. */
  paidDays: number;
  /** Σ paid × days late. */
  lateDays: number;
  /** Σ paid × days late². */
  lateDaysSquared: number;
  /** Σ paid of the documents paid on or before their due date. */
  paidOnTime: Cents;
}

export const EMPTY_SUMS: PaymentSums = { documents: 0, paid: 0, paidDays: 0, lateDays: 0, lateDaysSquared: 0, paidOnTime: 0 };

export function sumPaidDocuments(docs: Iterable<PaidDocument>): PaymentSums {
  const s = { ...EMPTY_SUMS };
  for (const d of docs) {
    const late = daysBetween(d.dueDate, d.paidDate);
    s.documents += 1;
    s.paid += d.paid;
    s.paidDays += d.paid * daysBetween(d.issueDate, d.paidDate);
    s.lateDays += d.paid * late;
    s.lateDaysSquared += d.paid * late * late;
    if (late <= 0) s.paidOnTime += d.paid;
  }
  return s;
}

export function addSums(a: PaymentSums, b: PaymentSums): PaymentSums {
  return {
    documents: a.documents + b.documents,
    paid: a.paid + b.paid,
    paidDays: a.paidDays + b.paidDays,
    lateDays: a.lateDays + b.lateDays,
    lateDaysSquared: a.lateDaysSquared + b.lateDaysSquared,
    paidOnTime: a.paidOnTime + b.paidOnTime,
  };
}

/** Paid documents of a ledger whose payment date is in [from, to] (paid at `to`). */
export function paidDocumentsIn(ledger: Ledger, from: IsoDate, to: IsoDate): Array<PaidDocument & { customerId: string | number }> {
  const moves = new Map<string, { allocated: Cents; writtenOff: Cents; lastAllocation: IsoDate | null; last: IsoDate | null }>();
  const entry = (id: string | number) => {
    const k = idKey(id);
    let m = moves.get(k);
    if (!m) {
      m = { allocated: 0, writtenOff: 0, lastAllocation: null, last: null };
      moves.set(k, m);
    }
    return m;
  };
  for (const a of ledger.allocations ?? []) {
    const m = entry(a.documentId);
    m.allocated += a.amount;
    if (m.lastAllocation === null || a.date > m.lastAllocation) m.lastAllocation = a.date;
    if (m.last === null || a.date > m.last) m.last = a.date;
  }
  for (const w of ledger.writeOffs ?? []) {
    const m = entry(w.documentId);
    m.writtenOff += w.amount;
    if (m.last === null || w.date > m.last) m.last = w.date;
  }
  const out: Array<PaidDocument & { customerId: string | number }> = [];
  for (const d of ledger.documents) {
    if (d.kind !== "invoice" || d.total <= 0) continue;
    const m = moves.get(idKey(d.id));
    if (!m || m.lastAllocation === null || m.last === null || m.allocated <= 0) continue;
    if (m.last > to || m.allocated + m.writtenOff !== d.total) continue;
    if (m.lastAllocation < from || m.lastAllocation > to) continue;
    out.push({ customerId: d.customerId, issueDate: d.issueDate, dueDate: d.dueDate, paidDate: m.lastAllocation, paid: m.allocated });
  }
  return out;
}

export interface PaymentBehaviour {
  documents: number;
  paid: Cents;
  /** Amount-weighted average days from issue to payment; null without paid documents. */
  daysToPay: number | null;
  /** Amount-weighted average days from due date to payment (negative = early). */
  daysLate: number | null;
  /** Amount-weighted standard deviation of days late. */
  spread: number | null;
  /** Share (0–1) of the amount paid on or before the due date. */
  onTimeShare: number | null;
}

export function paymentBehaviour(s: PaymentSums): PaymentBehaviour {
  if (!(s.paid > 0)) return { documents: s.documents, paid: s.paid, daysToPay: null, daysLate: null, spread: null, onTimeShare: null };
  const late = s.lateDays / s.paid;
  return {
    documents: s.documents,
    paid: s.paid,
    daysToPay: s.paidDays / s.paid,
    daysLate: late,
    spread: Math.sqrt(Math.max(0, s.lateDaysSquared / s.paid - late * late)),
    onTimeShare: s.paidOnTime / s.paid,
  };
}

/** A change of days late at or above this many days is "getting worse". */
export const WORSENING_DAYS = 5;

export interface BehaviourTrend {
  /** Days late over the recent window and the window before it. */
  recent: number | null;
  previous: number | null;
  /** recent − previous (positive: paying later); null when either is unknown. */
  change: number | null;
  worsening: boolean;
}

export function behaviourTrend(recent: PaymentSums, previous: PaymentSums): BehaviourTrend {
  const r = paymentBehaviour(recent).daysLate;
  const p = paymentBehaviour(previous).daysLate;
  const change = r === null || p === null ? null : r - p;
  return { recent: r, previous: p, change, worsening: change !== null && change >= WORSENING_DAYS };
}

/**
 * A customer's delay profile in whole days, for placing its open invoices in the cash
 * forecast: shift = rounded weighted average of days late, spread = rounded weighted
 * standard deviation. A customer without paid documents takes `fallback` (the whole
 * organisation's profile), and without any history invoices are expected on their due date.
 *
 * `store/ledger-sql.ts` (`delayProfileSql`) computes the same in SQL; a test keeps them equal.
 */
export function delayProfile(s: PaymentSums, fallback?: PaymentSums): { shift: number; spread: number } {
  const source = s.paid > 0 ? s : fallback && fallback.paid > 0 ? fallback : null;
  if (!source) return { shift: 0, spread: 0 };
  const mean = source.lateDays / source.paid;
  const variance = source.lateDaysSquared / source.paid - mean * mean;
  return { shift: Math.floor(mean + 0.5), spread: Math.floor(Math.sqrt(Math.max(0, variance)) + 0.5) };
}
