/**
 * Customer risk score, 0–100, explainable: the sum of the points of the factors below, each
 * with its maximum, capped at 100. Pure.
 *
 * | factor                | max | points                                                       |
 * |-----------------------|-----|--------------------------------------------------------------|
 * | overdue_share         |  25 | 25 × overdue / receivables, weighted by age: 1–30 days past  |
 * |                       |     | due count 1/3, 31–60 days 2/3, more than 60 days in full     |
 * | severe_overdue_share  |  15 | 15 × more than 60 days past due / receivables                |
 * | days_late             |  10 | 10 × average days late over the last 12 months / 60 (≤ 1)   |
 * | worsening             |  15 | 15 × (days late of the last 90 days − the 275 before) / 30   |
 * | credit_limit          |  10 | 10 × (AR / credit limit − 0.8) / 0.4: 0 at 80 %, full at 120 %|
 * | broken_promises       |  10 | 5 per promise broken in the last 12 months (2 and more: 10)  |
 * | disputes              |   5 | 5 when a dispute is open                                     |
 * | concentration         |  10 | 10 × the customer's share of the organisation's AR / 25 %    |
 * | defaulted             | 100 | the customer's status is "defaulted"                         |
 *
 * Every ratio is clamped to [0, 1]. The overdue parts are net of what the customer has to
 * its credit: its credit notes and unapplied payments (open invoices − receivables) are set
 * against its oldest debts first, as a balance-forward account does — a customer whose
 * credit note cancels an old invoice owes nothing overdue. A customer who owes nothing
 * (receivables ≤ 0) has no overdue share. Days late come from paid documents
 * (behaviour.ts); a customer without paid documents in a window scores 0 on that factor.
 *
 * The risk *rose* when the score at D is at least `RISK_ROSE_POINTS` above the score the
 * same customer had 30 days earlier (computed with the data as it stood then).
 */

import { behaviourTrend, type PaymentSums, paymentBehaviour } from "./behaviour.js";
import type { Cents } from "./money.js";

export const RISK_ROSE_POINTS = 10;
/** From this score a customer is "high risk" (the list filter, the red badge). */
export const RISK_HIGH_SCORE = 60;
export const RISK_LOOKBACK_DAYS = 30;

export type RiskFactorKey =
  | "overdue_share"
  | "severe_overdue_share"
  | "days_late"
  | "worsening"
  | "credit_limit"
  | "broken_promises"
  | "disputes"
  | "concentration"
  | "defaulted";

export interface RiskInput {
  status: string;
  /** Customer AR at D (documents − unallocated payments). */
  ar: Cents;
  /** Σ positive outstanding of the customer's documents (invoices still open). */
  openInvoices: Cents;
  /** Part of it past its due date. */
  overdue: Cents;
  /** Part of it more than 30 days past due. */
  overdue31: Cents;
  /** Part of it more than 60 days past due. */
  severe: Cents;
  creditLimit: Cents | null;
  /** Paid documents of the last 90 days and of the 275 days before. */
  recent: PaymentSums;
  previous: PaymentSums;
  brokenPromises: number;
  openDisputes: number;
  /** The organisation's AR at D (for the concentration). */
  totalAr: Cents;
}

export interface RiskFactor {
  key: RiskFactorKey;
  points: number;
  max: number;
  /** The measure behind the points (a share 0–1, days, a count), null when unknown. */
  value: number | null;
}

export interface RiskScore {
  score: number;
  factors: RiskFactor[];
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

export function riskScore(input: RiskInput): RiskScore {
  const factors: RiskFactor[] = [];
  const add = (key: RiskFactorKey, max: number, ratio: number, value: number | null) =>
    factors.push({ key, points: max * clamp01(ratio), max, value });

  // Credits against the oldest debts first: what remains overdue past 60, 30 and 0 days.
  const credits = Math.max(0, input.openInvoices - input.ar);
  const net = (amount: Cents) => Math.max(0, amount - credits);
  const owes = input.ar > 0;
  // (1–30 days) / 3 + (31–60 days) × 2/3 + (61+ days) = (net 1+ + net 31+ + net 61+) / 3
  const overdueShare = owes ? (net(input.overdue) + net(input.overdue31) + net(input.severe)) / (3 * input.ar) : null;
  const severeShare = owes ? net(input.severe) / input.ar : null;
  add("overdue_share", 25, overdueShare ?? 0, overdueShare);
  add("severe_overdue_share", 15, severeShare ?? 0, severeShare);

  const year = paymentBehaviour({
    documents: input.recent.documents + input.previous.documents,
    paid: input.recent.paid + input.previous.paid,
    paidDays: input.recent.paidDays + input.previous.paidDays,
    lateDays: input.recent.lateDays + input.previous.lateDays,
    lateDaysSquared: input.recent.lateDaysSquared + input.previous.lateDaysSquared,
    paidOnTime: input.recent.paidOnTime + input.previous.paidOnTime,
  });
  add("days_late", 10, (year.daysLate ?? 0) / 60, year.daysLate);
  const trend = behaviourTrend(input.recent, input.previous);
  add("worsening", 15, (trend.change ?? 0) / 30, trend.change);

  const usage = input.creditLimit !== null && input.creditLimit > 0 ? input.ar / input.creditLimit : null;
  add("credit_limit", 10, usage === null ? 0 : (usage - 0.8) / 0.4, usage);
  add("broken_promises", 10, input.brokenPromises / 2, input.brokenPromises);
  add("disputes", 5, input.openDisputes > 0 ? 1 : 0, input.openDisputes);
  const share = input.totalAr > 0 ? Math.max(0, input.ar) / input.totalAr : null;
  add("concentration", 10, (share ?? 0) / 0.25, share);
  if (input.status === "defaulted") add("defaulted", 100, 1, 1);

  const sum = factors.reduce((s, f) => s + f.points, 0);
  return { score: Math.round(Math.min(100, sum)), factors };
}

/** Did the risk rise between two scores (30 days apart)? */
export function riskRose(score: number, previousScore: number): boolean {
  return score - previousScore >= RISK_ROSE_POINTS;
}
