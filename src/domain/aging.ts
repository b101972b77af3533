/**
 * Aging of receivables at D by days past due (D − due date), DESIGN §5: `not_due` (≤ 0),
 * `1_30`, `31_60`, `61_90`, `91_plus` by default; the upper limits are configurable.
 *
 * Buckets hold the outstanding of documents issued ≤ D (credit notes count negative, in
 * the bucket of their own due date). Unallocated payments have no due date: they are
 * reported apart as `unapplied` (a positive amount that reduces AR), so that
 * Σ buckets − unapplied = AR(D).
 */

import { daysBetween, type IsoDate } from "./dates.js";
import type { Cents } from "./money.js";
import { type Id, idKey, type Ledger, openDocumentsAt, unallocatedPaymentsAt } from "./receivables.js";

/** Upper limits (days past due) of the overdue buckets; anything above the last is `…_plus`. */
export const DEFAULT_AGING_LIMITS: readonly number[] = [30, 60, 90];

export interface AgingBucketDef {
  key: string;
  /** Smallest days past due in the bucket; null for `not_due` (unbounded below). */
  minDays: number | null;
  /** Largest days past due in the bucket; null for the last one. */
  maxDays: number | null;
}

export class AgingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AgingConfigError";
  }
}

/**
 * Bucket definitions for upper limits `[30, 60, 90]` → not_due, 1_30, 31_60, 61_90, 91_plus.
 * Limits must be strictly increasing positive integers.
 */
export function agingBuckets(limits: readonly number[] = DEFAULT_AGING_LIMITS): AgingBucketDef[] {
  let previous = 0;
  for (const l of limits) {
    if (!Number.isInteger(l) || l <= previous) {
      throw new AgingConfigError(`aging limits must be strictly increasing positive integers, got [${limits.join(", ")}]`);
    }
    previous = l;
  }
  const defs: AgingBucketDef[] = [{ key: "not_due", minDays: null, maxDays: 0 }];
  let min = 1;
  for (const l of limits) {
    defs.push({ key: `${min}_${l}`, minDays: min, maxDays: l });
    min = l + 1;
  }
  defs.push({ key: `${min}_plus`, minDays: min, maxDays: null });
  return defs;
}

/** Index in `agingBuckets(limits)` of the bucket for a number of days past due. */
export function bucketIndex(daysPastDue: number, limits: readonly number[] = DEFAULT_AGING_LIMITS): number {
  if (daysPastDue <= 0) return 0;
  for (let i = 0; i < limits.length; i++) {
    if (daysPastDue <= (limits[i] as number)) return i + 1;
  }
  return limits.length + 1;
}

/** Key of the bucket for a number of days past due (`"31_60"`…). */
export function bucketFor(daysPastDue: number, limits: readonly number[] = DEFAULT_AGING_LIMITS): string {
  return (agingBuckets(limits)[bucketIndex(daysPastDue, limits)] as AgingBucketDef).key;
}

/** D − due date, in days (positive when overdue). */
export function daysPastDue(dueDate: IsoDate, asOf: IsoDate): number {
  return daysBetween(dueDate, asOf);
}

export interface AgingBucket extends AgingBucketDef {
  total: Cents;
  count: number;
}

export interface AgingAmounts {
  buckets: AgingBucket[];
  /** Σ bucket totals (outstanding of documents). */
  total: Cents;
  count: number;
  /** Unallocated payments at D, positive; AR = total − unapplied. */
  unapplied: { total: Cents; count: number };
  /** total − unapplied.total */
  ar: Cents;
}

export interface CustomerAging extends AgingAmounts {
  customerId: Id;
}

export interface AgingReport extends AgingAmounts {
  asOf: IsoDate;
  limits: number[];
  /** Present when `byCustomer` was asked: customers with open documents or unapplied payments, by id. */
  customers?: CustomerAging[];
}

export interface AgingOptions {
  limits?: readonly number[];
  byCustomer?: boolean;
}

/** Accumulates amounts into buckets; shared by the ledger aging and the FEC aging. */
export class AgingAccumulator {
  readonly defs: AgingBucketDef[];
  private readonly totals: Cents[];
  private readonly counts: number[];
  private unappliedTotal = 0;
  private unappliedCount = 0;

  constructor(readonly limits: readonly number[] = DEFAULT_AGING_LIMITS) {
    this.defs = agingBuckets(limits);
    this.totals = this.defs.map(() => 0);
    this.counts = this.defs.map(() => 0);
  }

  /** Adds an outstanding amount that is `days` past due. */
  add(days: number, amount: Cents): void {
    this.addGroup(days, amount, 1);
  }

  /**
   * Adds `count` documents that are all `days` past due, for `amount` in total: what a
   * database returns when it groups open documents by due date.
   */
  addGroup(days: number, amount: Cents, count: number): void {
    const i = bucketIndex(days, this.limits);
    this.totals[i] = (this.totals[i] as Cents) + amount;
    this.counts[i] = (this.counts[i] as number) + count;
  }

  /** Adds money received and not applied (positive amount), `count` payments (default 1). */
  addUnapplied(amount: Cents, count = 1): void {
    this.unappliedTotal += amount;
    this.unappliedCount += count;
  }

  result(): AgingAmounts {
    const buckets = this.defs.map((d, i) => ({
      ...d,
      total: this.totals[i] as Cents,
      count: this.counts[i] as number,
    }));
    const total = buckets.reduce((s, b) => s + b.total, 0);
    const count = buckets.reduce((s, b) => s + b.count, 0);
    return {
      buckets,
      total,
      count,
      unapplied: { total: this.unappliedTotal, count: this.unappliedCount },
      ar: total - this.unappliedTotal,
    };
  }
}

/** Aging of a ledger at D, overall and (optionally) per customer. */
export function agingAt(ledger: Ledger, asOf: IsoDate, options: AgingOptions = {}): AgingReport {
  const limits = [...(options.limits ?? DEFAULT_AGING_LIMITS)];
  const all = new AgingAccumulator(limits);
  const perCustomer = new Map<string, { id: Id; acc: AgingAccumulator }>();
  const customer = (id: Id) => {
    const k = idKey(id);
    let c = perCustomer.get(k);
    if (!c) {
      c = { id, acc: new AgingAccumulator(limits) };
      perCustomer.set(k, c);
    }
    return c.acc;
  };
  for (const { document, outstanding } of openDocumentsAt(ledger, asOf)) {
    const days = daysPastDue(document.dueDate, asOf);
    all.add(days, outstanding);
    if (options.byCustomer) customer(document.customerId).add(days, outstanding);
  }
  for (const { payment, unallocated } of unallocatedPaymentsAt(ledger, asOf)) {
    all.addUnapplied(unallocated);
    // A payment with no known customer only counts in the overall figure.
    if (options.byCustomer && payment.customerId !== null) customer(payment.customerId).addUnapplied(unallocated);
  }
  const report: AgingReport = { asOf, limits, ...all.result() };
  if (options.byCustomer) {
    report.customers = [...perCustomer.values()]
      .map(({ id, acc }) => ({ customerId: id, ...acc.result() }))
      .sort((a, b) => compareIds(a.customerId, b.customerId));
  }
  return report;
}

function compareIds(a: Id, b: Id): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = idKey(a);
  const sb = idKey(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
