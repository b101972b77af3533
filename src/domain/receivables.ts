/**
 * Receivables over in-memory data (DESIGN §3 and §5). Pure functions, no I/O.
 *
 * - Outstanding of a document at D = total − allocations dated ≤ D − write-offs dated ≤ D.
 * - AR(D) = Σ outstanding of documents issued ≤ D − unallocated payments at D, where the
 *   unallocated part of a payment dated ≤ D is its amount − its allocations dated ≤ D.
 * - Revenue(from, to) = Σ totals of documents issued in [from, to] (credit notes are
 *   stored negative, so this is invoices − credit notes).
 *
 * Ids are compared by their string form (`1` and `"1"` are the same document), so ids
 * coming from SQL (`bigint` as string) and from tests (numbers) meet.
 */

import type { IsoDate } from "./dates.js";
import type { Cents } from "./money.js";

export type Id = string | number;
export type DocumentKind = "invoice" | "credit_note";

export interface LedgerDocument {
  id: Id;
  customerId: Id;
  kind: DocumentKind;
  issueDate: IsoDate;
  dueDate: IsoDate;
  /** Total incl. tax in cents; negative for a credit note (DESIGN §3). */
  total: Cents;
}

/**
 * Anything that reduces a document's outstanding at a date: an allocation of a payment
 * (or of a credit note) or a write-off. Positive amounts reduce the outstanding.
 */
export interface LedgerMovement {
  documentId: Id;
  date: IsoDate;
  amount: Cents;
}

/** Part of a payment allocated to a document. */
export interface LedgerAllocation extends LedgerMovement {
  paymentId: Id;
}

export type LedgerWriteOff = LedgerMovement;

export interface LedgerPayment {
  id: Id;
  customerId: Id | null;
  date: IsoDate;
  /** Amount received, in cents (positive). */
  amount: Cents;
}

export interface Ledger {
  documents: readonly LedgerDocument[];
  payments?: readonly LedgerPayment[];
  allocations?: readonly LedgerAllocation[];
  writeOffs?: readonly LedgerWriteOff[];
}

export const idKey = (id: Id): string => String(id);

/** Outstanding of one document at D. `movements` may hold other documents' movements: they are ignored. */
export function outstandingAt(doc: LedgerDocument, movements: Iterable<LedgerMovement>, asOf: IsoDate): Cents {
  const key = idKey(doc.id);
  let out = doc.total;
  for (const m of movements) {
    if (m.date <= asOf && idKey(m.documentId) === key) out -= m.amount;
  }
  return out;
}

/** Σ of movement amounts dated ≤ D, per document id (allocations and write-offs together). */
function movementsByDocument(ledger: Ledger, asOf: IsoDate): Map<string, Cents> {
  const sums = new Map<string, Cents>();
  const add = (m: LedgerMovement) => {
    if (m.date > asOf) return;
    const k = idKey(m.documentId);
    sums.set(k, (sums.get(k) ?? 0) + m.amount);
  };
  for (const a of ledger.allocations ?? []) add(a);
  for (const w of ledger.writeOffs ?? []) add(w);
  return sums;
}

export interface OpenDocument {
  document: LedgerDocument;
  outstanding: Cents;
}

/**
 * Documents issued ≤ D with their outstanding at D (documents with a zero outstanding are
 * left out). One pass over the movements, then one over the documents.
 */
export function openDocumentsAt(ledger: Ledger, asOf: IsoDate): OpenDocument[] {
  const moved = movementsByDocument(ledger, asOf);
  const open: OpenDocument[] = [];
  for (const d of ledger.documents) {
    if (d.issueDate > asOf) continue;
    const outstanding = d.total - (moved.get(idKey(d.id)) ?? 0);
    if (outstanding !== 0) open.push({ document: d, outstanding });
  }
  return open;
}

export interface UnallocatedPayment {
  payment: LedgerPayment;
  /** Amount received and not allocated at D (positive when money is waiting to be applied). */
  unallocated: Cents;
}

/**
 * Payments dated ≤ D with the part not allocated by allocations dated ≤ D (zero parts are
 * left out). An allocation is counted by its own date, as DESIGN §5 says.
 */
export function unallocatedPaymentsAt(ledger: Ledger, asOf: IsoDate): UnallocatedPayment[] {
  const allocated = new Map<string, Cents>();
  for (const a of ledger.allocations ?? []) {
    if (a.date > asOf) continue;
    const k = idKey(a.paymentId);
    allocated.set(k, (allocated.get(k) ?? 0) + a.amount);
  }
  const out: UnallocatedPayment[] = [];
  for (const p of ledger.payments ?? []) {
    if (p.date > asOf) continue;
    const rest = p.amount - (allocated.get(idKey(p.id)) ?? 0);
    if (rest !== 0) out.push({ payment: p, unallocated: rest });
  }
  return out;
}

/** Σ outstanding at D of the documents issued ≤ D (before unallocated payments). */
export function documentsOutstandingAt(ledger: Ledger, asOf: IsoDate): Cents {
  return openDocumentsAt(ledger, asOf).reduce((s, o) => s + o.outstanding, 0);
}

/** Σ of the unallocated parts of payments at D. */
export function unallocatedAt(ledger: Ledger, asOf: IsoDate): Cents {
  return unallocatedPaymentsAt(ledger, asOf).reduce((s, u) => s + u.unallocated, 0);
}

/** AR(D) = Σ outstanding of documents issued ≤ D − unallocated payments at D. */
export function arAt(ledger: Ledger, asOf: IsoDate): Cents {
  return documentsOutstandingAt(ledger, asOf) - unallocatedAt(ledger, asOf);
}

/**
 * Not-yet-due AR at D: Σ outstanding of documents issued ≤ D whose due date is ≥ D
 * (days past due ≤ 0, the `not_due` aging bucket). Unallocated payments are not part of
 * it: they carry no due date (they are reported as "unapplied" by the aging).
 */
export function notDueArAt(ledger: Ledger, asOf: IsoDate): Cents {
  return openDocumentsAt(ledger, asOf)
    .filter((o) => o.document.dueDate >= asOf)
    .reduce((s, o) => s + o.outstanding, 0);
}

/** Revenue(from, to) = Σ totals of invoices and (negative) credit notes issued in [from, to]. */
export function revenue(ledger: Ledger, from: IsoDate, to: IsoDate): Cents {
  let sum = 0;
  for (const d of ledger.documents) {
    if (d.issueDate >= from && d.issueDate <= to) sum += d.total;
  }
  return sum;
}

/** A revenue lookup over any period: `(from, to) => Revenue(from, to)`. */
export type RevenueByPeriod = (from: IsoDate, to: IsoDate) => Cents;

/**
 * Precomputes cumulative revenue by issue date so that each `(from, to)` query costs two
 * binary searches (the count-back DSO asks up to 24 of them).
 */
export function revenueLookup(ledger: Ledger): RevenueByPeriod {
  const byDate = new Map<IsoDate, Cents>();
  for (const d of ledger.documents) byDate.set(d.issueDate, (byDate.get(d.issueDate) ?? 0) + d.total);
  return revenueLookupFromDaily(byDate);
}

/**
 * The same lookup from revenue already summed per issue date (what a database returns:
 * `select issue_date, sum(total) … group by issue_date`). Dates may come in any order.
 */
export function revenueLookupFromDaily(daily: ReadonlyMap<IsoDate, Cents> | Iterable<readonly [IsoDate, Cents]>): RevenueByPeriod {
  const byDate = new Map<IsoDate, Cents>();
  for (const [date, amount] of daily) byDate.set(date, (byDate.get(date) ?? 0) + amount);
  const dates = [...byDate.keys()].sort();
  const cumulative: Cents[] = [];
  let run = 0;
  for (const date of dates) {
    run += byDate.get(date) ?? 0;
    cumulative.push(run);
  }
  /** Σ revenue of dates ≤ d (inclusive) or < d (exclusive). */
  const sumBefore = (d: IsoDate, inclusive: boolean): Cents => {
    let lo = 0;
    let hi = dates.length; // first index past the bound
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const x = dates[mid] as IsoDate;
      if (x < d || (inclusive && x === d)) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : (cumulative[lo - 1] as Cents);
  };
  return (from, to) => (from > to ? 0 : sumBefore(to, true) - sumBefore(from, false));
}
