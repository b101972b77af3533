/**
 * The dunning planner (DESIGN §6): a pure function from the state of the receivables —
 * open documents, the events already recorded, pauses (customer status, on-hold dates,
 * promises, disputes), the policies, the as-of date — to the actions of a run:
 *
 * - messages: one per customer and step, listing every document that reaches that step;
 * - skipped steps: the catch-up rule — when several steps of a document are due (the
 *   document entered late, or the engine did not run for a while), only the most recent
 *   one is sent; the earlier ones are recorded as skipped, never sent in a burst. A step
 *   earlier than one already recorded is never sent (no de-escalation);
 * - suppressions: what is due but must not go out, with the reason.
 *
 * A step falls on the due date + offset days, moved to the next business day (weekend or
 * French public holiday). A step is due once that date is ≤ as-of.
 * Suppressed documents get no event at all, so the sequence resumes (with the catch-up
 * rule) once the reason is gone.
 */
import { type HolidayOptions, nextBusinessDay } from "./business-days.js";
import { addDays, type IsoDate } from "./dates.js";
import type { Cents } from "./money.js";

export type PlanChannel = "email" | "letter" | "call" | "webhook";

export interface PlanStep {
  id: number;
  position: number;
  name: string;
  offsetDays: number;
  channel: PlanChannel;
  requireApproval: boolean;
  /** Overrides the policy's minimum for this step. */
  minOutstanding: Cents | null;
}

export interface PlanPolicy {
  id: number;
  minOutstanding: Cents;
  /** Active steps only. */
  steps: readonly PlanStep[];
}

export type PlanCustomerStatus = "active" | "do_not_chase" | "defaulted" | "archived";

export interface PlanCustomer {
  id: number;
  status: PlanCustomerStatus;
  onHoldUntil: IsoDate | null;
  /** Resolved policy (the customer's, else the organisation's default). */
  policyId: number;
  /** Payments received from the customer and not yet allocated (reduce what it owes). */
  unallocated?: Cents;
  /**
   * Σ outstanding of all the customer's open documents, when the caller computed it (then
   * `documents` may hold only the candidates); otherwise summed over `documents`.
   */
  balance?: Cents;
}

export interface PlanDocument {
  id: number;
  customerId: number;
  kind: "invoice" | "credit_note";
  number: string;
  dueDate: IsoDate;
  /** Outstanding at as-of; ≤ 0 means settled (credit notes are negative). */
  outstanding: Cents;
  /** documents.disputed or an open dispute. */
  disputed: boolean;
  onHoldUntil: IsoDate | null;
}

export interface PlanEvent {
  documentId: number;
  stepId: number;
}

export interface PlanPromise {
  customerId: number;
  promisedDate: IsoDate;
  status: "pending" | "kept" | "broken" | "cancelled";
}

export interface PlanInput {
  asOf: IsoDate;
  policies: readonly PlanPolicy[];
  customers: readonly PlanCustomer[];
  /** Every open document of these customers (invoices, credit notes, not yet due too). */
  documents: readonly PlanDocument[];
  events: readonly PlanEvent[];
  /**
   * Per document, the largest offset among the steps already recorded — an equivalent,
   * compact form of `events` for large ledgers (steps at or before it are done).
   */
  lastOffsets?: ReadonlyMap<number, number>;
  promises?: readonly PlanPromise[];
  /** Offsets of steps that are no longer in any policy (archived), for events pointing at them. */
  archivedStepOffsets?: ReadonlyMap<number, number>;
  holidays?: HolidayOptions;
}

export interface PlannedMessage {
  customerId: number;
  policyId: number;
  stepId: number;
  channel: PlanChannel;
  requireApproval: boolean;
  /** Documents at this step, by due date then number. */
  documentIds: number[];
  /** Per document: the business day its step fell on. */
  scheduledDates: IsoDate[];
  total: Cents;
}

export interface SkippedStep {
  documentId: number;
  customerId: number;
  stepId: number;
  scheduledDate: IsoDate;
  reason: "catch_up";
}

export type SuppressionReason = "do_not_chase" | "hold" | "dispute" | "promise" | "minimum";

export interface Suppression {
  documentId: number;
  customerId: number;
  stepId: number;
  reason: SuppressionReason;
}

export interface PlanResult {
  asOf: IsoDate;
  messages: PlannedMessage[];
  skippedSteps: SkippedStep[];
  suppressed: Suppression[];
  /** Documents held back, per reason. */
  counts: Record<SuppressionReason, number>;
}

/** The business day a step falls on for a document. */
export function stepDate(dueDate: IsoDate, offsetDays: number, holidays: HolidayOptions = {}): IsoDate {
  return nextBusinessDay(addDays(dueDate, offsetDays), holidays);
}

/** Whether a promise still pauses the chase at as-of: pending and its date not passed. */
export function promiseHolds(p: PlanPromise, asOf: IsoDate): boolean {
  return p.status === "pending" && p.promisedDate >= asOf;
}

/** Why nothing may be sent to a customer at all, whatever the document (null: chase allowed). */
export function customerPause(
  customer: Pick<PlanCustomer, "status" | "onHoldUntil">,
  promises: readonly PlanPromise[],
  asOf: IsoDate,
): SuppressionReason | null {
  if (customer.status !== "active") return "do_not_chase";
  if (customer.onHoldUntil && customer.onHoldUntil > asOf) return "hold";
  if (promises.some((p) => promiseHolds(p, asOf))) return "promise";
  return null;
}

/** Why one document may not be chased (null: allowed). Settled documents are not chased either. */
export function documentPause(doc: Pick<PlanDocument, "disputed" | "onHoldUntil">, asOf: IsoDate): SuppressionReason | null {
  if (doc.disputed) return "dispute";
  if (doc.onHoldUntil && doc.onHoldUntil > asOf) return "hold";
  return null;
}

type Group = PlannedMessage & { docs: { id: number; dueDate: IsoDate; number: string; date: IsoDate }[] };

export function planDunning(input: PlanInput): PlanResult {
  const { asOf } = input;
  const holidays = input.holidays ?? {};
  const result: PlanResult = {
    asOf,
    messages: [],
    skippedSteps: [],
    suppressed: [],
    counts: { do_not_chase: 0, hold: 0, dispute: 0, promise: 0, minimum: 0 },
  };

  const policies = new Map<number, { policy: PlanPolicy; steps: PlanStep[] }>();
  const stepOffset = new Map<number, number>(input.archivedStepOffsets ?? []);
  for (const p of input.policies) {
    const steps = [...p.steps].sort((a, b) => a.offsetDays - b.offsetDays || a.position - b.position);
    policies.set(p.id, { policy: p, steps });
    for (const s of steps) stepOffset.set(s.id, s.offsetDays);
  }
  const customers = new Map(input.customers.map((c) => [c.id, c]));
  const promisesBy = new Map<number, PlanPromise[]>();
  for (const p of input.promises ?? []) {
    const list = promisesBy.get(p.customerId);
    if (list) list.push(p);
    else promisesBy.set(p.customerId, [p]);
  }
  // Steps done per document: any recorded event counts (sent, skipped, cancelled…).
  const done = new Map<number, Set<number>>();
  for (const e of input.events) {
    const set = done.get(e.documentId);
    if (set) set.add(e.stepId);
    else done.set(e.documentId, new Set([e.stepId]));
  }
  // What each customer owes, net: open documents (credit notes negative) − unallocated payments.
  const balance = new Map<number, Cents>();
  for (const d of input.documents) balance.set(d.customerId, (balance.get(d.customerId) ?? 0) + d.outstanding);
  for (const c of input.customers) if (c.balance !== undefined) balance.set(c.id, c.balance);

  // The business day of each step of a policy for a due date (dates in step order), computed
  // once per policy and due date: large ledgers share few due dates.
  const datesMemo = new Map<number, Map<IsoDate, IsoDate[]>>();
  const stepDates = (policyId: number, steps: readonly PlanStep[], due: IsoDate): IsoDate[] => {
    let byDue = datesMemo.get(policyId);
    if (!byDue) {
      byDue = new Map();
      datesMemo.set(policyId, byDue);
    }
    let dates = byDue.get(due);
    if (!dates) {
      dates = steps.map((s) => stepDate(due, s.offsetDays, holidays));
      byDue.set(due, dates);
    }
    return dates;
  };

  // Documents are visited by customer, so the groups of one customer (one per step) are
  // complete when the next customer starts; `groups` keeps them in creation order.
  const groups: Group[] = [];
  let customerGroups = new Map<number, Group>();
  let currentCustomer: number | undefined;
  let currentPause: SuppressionReason | null = null;
  const due: number[] = []; // indexes into the policy's steps, reused for each document
  const byCustomer = (a: PlanDocument, b: PlanDocument) => a.customerId - b.customerId || a.id - b.id;
  const docs = [...input.documents];
  let sorted = true;
  for (let i = 1; i < docs.length && sorted; i++) sorted = byCustomer(docs[i - 1] as PlanDocument, docs[i] as PlanDocument) <= 0;
  if (!sorted) docs.sort(byCustomer);

  for (const doc of docs) {
    if (doc.kind !== "invoice" || doc.outstanding <= 0) continue;
    const customer = customers.get(doc.customerId);
    if (!customer) continue;
    const entry = policies.get(customer.policyId);
    if (!entry || entry.steps.length === 0) continue;
    const steps = entry.steps;
    const doneSteps = done.get(doc.id);
    let lastOffset = input.lastOffsets?.get(doc.id) ?? Number.NEGATIVE_INFINITY;
    if (doneSteps) {
      for (const id of doneSteps) {
        const o = stepOffset.get(id);
        if (o !== undefined && o > lastOffset) lastOffset = o;
      }
    }
    // Steps due and still to do, in offset order.
    const dates = stepDates(entry.policy.id, steps, doc.dueDate);
    due.length = 0;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as PlanStep;
      if (doneSteps?.has(step.id) || step.offsetDays <= lastOffset) continue;
      if ((dates[i] as IsoDate) > asOf) break; // later steps fall later still
      due.push(i);
    }
    if (due.length === 0) continue;
    // The targets: the due steps at the largest offset; the earlier ones are skipped.
    const topOffset = (steps[due[due.length - 1] as number] as PlanStep).offsetDays;

    if (customer.id !== currentCustomer) {
      if (customerGroups.size) customerGroups = new Map();
      currentCustomer = customer.id;
      currentPause = customerPause(customer, promisesBy.get(customer.id) ?? [], asOf);
    }
    let reason = currentPause ?? documentPause(doc, asOf);
    if (!reason) {
      const owed = (balance.get(customer.id) ?? 0) - (customer.unallocated ?? 0);
      let min = 1;
      for (const i of due) {
        const s = steps[i] as PlanStep;
        if (s.offsetDays === topOffset) min = Math.max(min, s.minOutstanding ?? entry.policy.minOutstanding);
      }
      if (owed < min) reason = "minimum";
    }
    if (reason) {
      result.counts[reason]++;
      for (const i of due) {
        const s = steps[i] as PlanStep;
        if (s.offsetDays === topOffset) result.suppressed.push({ documentId: doc.id, customerId: customer.id, stepId: s.id, reason });
      }
      continue;
    }
    for (const i of due) {
      const s = steps[i] as PlanStep;
      if (s.offsetDays === topOffset) continue;
      result.skippedSteps.push({
        documentId: doc.id,
        customerId: customer.id,
        stepId: s.id,
        scheduledDate: dates[i] as IsoDate,
        reason: "catch_up",
      });
    }
    for (const i of due) {
      const t = steps[i] as PlanStep;
      if (t.offsetDays !== topOffset) continue;
      let g = customerGroups.get(t.id);
      if (!g) {
        g = {
          customerId: customer.id,
          policyId: entry.policy.id,
          stepId: t.id,
          channel: t.channel,
          requireApproval: t.requireApproval,
          documentIds: [],
          scheduledDates: [],
          total: 0,
          docs: [],
        };
        customerGroups.set(t.id, g);
        groups.push(g);
      }
      g.docs.push({ id: doc.id, dueDate: doc.dueDate, number: doc.number, date: dates[i] as IsoDate });
      g.total += doc.outstanding;
    }
  }

  // A message below the step's minimum waits (its documents are counted under "minimum").
  const steps = new Map<number, { step: PlanStep; policy: PlanPolicy }>();
  for (const { policy, steps: list } of policies.values()) for (const s of list) steps.set(s.id, { step: s, policy });
  const belowMinimum = new Set<number>();
  for (const g of groups) {
    const s = steps.get(g.stepId);
    const min = Math.max(1, s ? (s.step.minOutstanding ?? s.policy.minOutstanding) : 1);
    if (g.total < min) {
      for (const d of g.docs) {
        if (!belowMinimum.has(d.id)) result.counts.minimum++;
        belowMinimum.add(d.id);
        result.suppressed.push({ documentId: d.id, customerId: g.customerId, stepId: g.stepId, reason: "minimum" });
      }
      continue;
    }
    const list = g.docs;
    if (list.length > 1) {
      list.sort((a, b) =>
        a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.number < b.number ? -1 : a.number > b.number ? 1 : 0,
      );
    }
    result.messages.push({
      customerId: g.customerId,
      policyId: g.policyId,
      stepId: g.stepId,
      channel: g.channel,
      requireApproval: g.requireApproval,
      documentIds: list.map((d) => d.id),
      scheduledDates: list.map((d) => d.date),
      total: g.total,
    });
  }
  if (belowMinimum.size > 0) {
    // A document held back records nothing, not even its skipped steps; and when one of its
    // target steps waits, its twin step of the same day waits too.
    result.skippedSteps = result.skippedSteps.filter((k) => !belowMinimum.has(k.documentId));
    result.messages = result.messages.flatMap((m) => {
      const keep = m.documentIds.map((id, i) => ({ id, date: m.scheduledDates[i] as IsoDate })).filter((d) => !belowMinimum.has(d.id));
      if (keep.length === m.documentIds.length) return [m];
      if (keep.length === 0) return [];
      const byId = new Map(docs.map((d) => [d.id, d.outstanding]));
      return [
        {
          ...m,
          documentIds: keep.map((d) => d.id),
          scheduledDates: keep.map((d) => d.date),
          total: keep.reduce((t, d) => t + (byId.get(d.id) ?? 0), 0),
        },
      ];
    });
  }
  result.messages.sort((a, b) => a.customerId - b.customerId || a.stepId - b.stepId);
  return result;
}
