import { describe, expect, it } from "vitest";
import {
  type PlanCustomer,
  type PlanDocument,
  type PlanEvent,
  type PlanInput,
  type PlanPolicy,
  type PlanPromise,
  planDunning,
  stepDate,
} from "./dunning-plan.js";

const step = (id: number, offsetDays: number, channel: "email" | "letter" | "call" = "email", extra = {}) => ({
  id,
  position: id,
  name: `S${id}`,
  offsetDays,
  channel,
  requireApproval: false,
  minOutstanding: null,
  ...extra,
});

// The shape of the shipped "Standard" policy: −5, +1, +8, +15, +30 email + letter, +45 call.
const STANDARD: PlanPolicy = {
  id: 1,
  minOutstanding: 500,
  steps: [step(11, -5), step(12, 1), step(13, 8), step(14, 15), step(15, 30), step(16, 30, "letter"), step(17, 45, "call")],
};

const customer = (id: number, extra: Partial<PlanCustomer> = {}): PlanCustomer => ({
  id,
  status: "active",
  onHoldUntil: null,
  policyId: 1,
  ...extra,
});

let nextDoc = 100;
const invoice = (customerId: number, dueDate: string, outstanding = 100_000, extra: Partial<PlanDocument> = {}): PlanDocument => ({
  id: nextDoc++,
  customerId,
  kind: "invoice",
  number: `F-${nextDoc}`,
  dueDate,
  outstanding,
  disputed: false,
  onHoldUntil: null,
  ...extra,
});

function plan(asOf: string, documents: PlanDocument[], extra: Partial<PlanInput> = {}) {
  const customers = extra.customers ?? [...new Set(documents.map((d) => d.customerId))].map((id) => customer(id));
  return planDunning({ asOf, policies: [STANDARD], customers, documents, events: [], ...extra });
}

const sent = (doc: PlanDocument, ...stepIds: number[]): PlanEvent[] => stepIds.map((stepId) => ({ documentId: doc.id, stepId }));

describe("dunning planner: when steps fall", () => {
  it("sends the courtesy reminder 5 days before the due date, not the day before that", () => {
    const doc = invoice(1, "2026-03-02"); // Monday; −5 = Wednesday 25 February
    expect(plan("2026-02-24", [doc]).messages).toEqual([]);
    const r = plan("2026-02-25", [doc]);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]).toMatchObject({
      customerId: 1,
      stepId: 11,
      channel: "email",
      documentIds: [doc.id],
      scheduledDates: ["2026-02-25"],
    });
    expect(r.skippedSteps).toEqual([]);
  });

  it("moves a step that falls on a Saturday to the Monday", () => {
    const doc = invoice(1, "2026-03-06"); // Friday: +1 = Saturday 7 → Monday 9 March
    expect(stepDate("2026-03-06", 1)).toBe("2026-03-09");
    const events = sent(doc, 11);
    expect(plan("2026-03-07", [doc], { events }).messages).toEqual([]);
    expect(plan("2026-03-08", [doc], { events }).messages).toEqual([]);
    expect(plan("2026-03-09", [doc], { events }).messages.map((m) => m.stepId)).toEqual([12]);
  });

  it("moves a step over a public holiday and across the year boundary", () => {
    // Due Saturday 26 Dec 2026; +6 = Friday 1 Jan 2027 (holiday) → Monday 4 Jan 2027.
    const policy: PlanPolicy = { id: 1, minOutstanding: 0, steps: [step(21, 6)] };
    const doc = invoice(1, "2026-12-26");
    expect(
      planDunning({ asOf: "2027-01-01", policies: [policy], customers: [customer(1)], documents: [doc], events: [] }).messages,
    ).toEqual([]);
    const r = planDunning({ asOf: "2027-01-04", policies: [policy], customers: [customer(1)], documents: [doc], events: [] });
    expect(r.messages[0]?.scheduledDates).toEqual(["2027-01-04"]);
    // Ascension Thursday 14 May 2026: a step on that day goes out on Friday 15.
    expect(stepDate("2026-05-13", 1)).toBe("2026-05-15");
  });

  it("does nothing twice: a step with an event is done", () => {
    const doc = invoice(1, "2026-03-02");
    expect(plan("2026-03-03", [doc], { events: sent(doc, 11) }).messages.map((m) => m.stepId)).toEqual([12]);
    expect(plan("2026-03-03", [doc], { events: sent(doc, 11, 12) }).messages).toEqual([]);
  });
});

describe("dunning planner: catch-up", () => {
  it("sends only the most recent due step and records the earlier ones as skipped", () => {
    const doc = invoice(1, "2026-01-05"); // as-of 10 Feb = day +36: +30 email and letter are due
    const r = plan("2026-02-10", [doc]);
    expect(r.messages.map((m) => [m.stepId, m.channel])).toEqual([
      [15, "email"],
      [16, "letter"],
    ]);
    expect(r.skippedSteps.map((s) => s.stepId)).toEqual([11, 12, 13, 14]);
    expect(r.skippedSteps.every((s) => s.reason === "catch_up")).toBe(true);
  });

  it("after a pause, resumes with the latest due step only", () => {
    const doc = invoice(1, "2026-01-05");
    const r = plan("2026-01-25", [doc], { events: sent(doc, 11, 12) }); // +20: +8 and +15 due, +15 sent
    expect(r.messages.map((m) => m.stepId)).toEqual([14]);
    expect(r.skippedSteps.map((s) => s.stepId)).toEqual([13]);
  });

  it("never sends a step earlier than one already recorded", () => {
    const doc = invoice(1, "2026-01-05");
    // +15 recorded, +1 and +8 missing (say the policy was edited): nothing at +20.
    expect(plan("2026-01-25", [doc], { events: sent(doc, 14) }).messages).toEqual([]);
  });
});

describe("dunning planner: grouping", () => {
  it("writes one message per customer and step listing every document at that step", () => {
    const a = invoice(1, "2026-03-02", 100_000, { number: "F-B" });
    const b = invoice(1, "2026-03-02", 50_000, { number: "F-A" });
    const c = invoice(1, "2026-03-09", 20_000);
    const other = invoice(2, "2026-03-02", 30_000);
    const events = [...sent(a, 11, 12), ...sent(b, 11, 12), ...sent(c, 11), ...sent(other, 11, 12)];
    const r = plan("2026-03-10", [a, b, c, other], { events }); // a, b, other at +8; c at +1
    expect(r.messages.map((m) => [m.customerId, m.stepId, m.documentIds, m.total])).toEqual([
      [1, 12, [c.id], 20_000],
      [1, 13, [b.id, a.id], 150_000], // same due date: by number
      [2, 13, [other.id], 30_000],
    ]);
  });
});

describe("dunning planner: nothing goes out", () => {
  const docs = () => [invoice(1, "2026-03-02"), invoice(1, "2026-03-02")];
  const asOf = "2026-03-03"; // +1 due (courtesy recorded)
  const afterCourtesy = (ds: PlanDocument[]) => ds.flatMap((d) => sent(d, 11));

  it("for a document with an open dispute, while the customer's other documents are chased", () => {
    const [a, b] = docs() as [PlanDocument, PlanDocument];
    a.disputed = true;
    const r = plan(asOf, [a, b], { events: afterCourtesy([a, b]) });
    expect(r.messages.map((m) => m.documentIds)).toEqual([[b.id]]);
    expect(r.counts.dispute).toBe(1);
    expect(r.suppressed).toEqual([{ documentId: a.id, customerId: 1, stepId: 12, reason: "dispute" }]);
  });

  it("while a promise to pay runs; once broken by its date the sequence resumes", () => {
    const ds = docs();
    const promise = (promisedDate: string, status: PlanPromise["status"] = "pending"): PlanPromise[] => [
      { customerId: 1, promisedDate, status },
    ];
    const events = afterCourtesy(ds);
    const held = plan(asOf, ds, { events, promises: promise("2026-03-03") });
    expect(held.messages).toEqual([]);
    expect(held.counts.promise).toBe(2);
    expect(plan(asOf, ds, { events, promises: promise("2026-03-02") }).messages).toHaveLength(1); // date passed: broken
    expect(plan(asOf, ds, { events, promises: promise("2026-03-20", "broken") }).messages).toHaveLength(1);
    expect(plan(asOf, ds, { events, promises: promise("2026-03-20", "kept") }).messages).toHaveLength(1);
  });

  it("while the customer or the document is on hold until a later date, and again from that date", () => {
    const ds = docs();
    const events = afterCourtesy(ds);
    const r = plan(asOf, ds, { events, customers: [customer(1, { onHoldUntil: "2026-03-10" })] });
    expect(r.messages).toEqual([]);
    expect(r.counts.hold).toBe(2);
    expect(plan(asOf, ds, { events, customers: [customer(1, { onHoldUntil: "2026-03-03" })] }).messages).toHaveLength(1);
    const [a, b] = ds as [PlanDocument, PlanDocument];
    a.onHoldUntil = "2026-04-01";
    const one = plan(asOf, [a, b], { events });
    expect(one.messages.map((m) => m.documentIds)).toEqual([[b.id]]);
    expect(one.counts.hold).toBe(1);
  });

  it("to a customer marked do-not-chase", () => {
    const ds = docs();
    const r = plan(asOf, ds, { events: afterCourtesy(ds), customers: [customer(1, { status: "do_not_chase" })] });
    expect(r.messages).toEqual([]);
    expect(r.counts.do_not_chase).toBe(2);
  });

  it("when what the customer owes is below the policy's minimum", () => {
    const small = invoice(1, "2026-03-02", 499); // 4.99 € < 5.00 €
    const r = plan(asOf, [small], { events: sent(small, 11) });
    expect(r.messages).toEqual([]);
    expect(r.counts.minimum).toBe(1);
    const enough = invoice(2, "2026-03-02", 500);
    expect(plan(asOf, [enough], { events: sent(enough, 11) }).messages).toHaveLength(1);
  });

  it("when the documents at a step total less than the minimum, even if the customer owes more", () => {
    const small = invoice(1, "2026-03-02", 300);
    const later = invoice(1, "2026-03-20", 100_000); // not yet at +1
    const r = plan(asOf, [small, later], { events: sent(small, 11) });
    expect(r.messages).toEqual([]);
    expect(r.counts.minimum).toBe(1);
  });

  it("for a paid document, and after a credit note that leaves the customer owing nothing", () => {
    const paid = invoice(1, "2026-03-02", 0);
    expect(plan(asOf, [paid], { events: sent(paid, 11) }).messages).toEqual([]);
    // Step +1 was sent; before +8 a credit note of the full amount arrives.
    const inv = invoice(1, "2026-03-02", 100_000);
    const credit = invoice(1, "2026-03-05", -100_000, { kind: "credit_note" });
    const r = plan("2026-03-10", [inv, credit], { events: sent(inv, 11, 12) });
    expect(r.messages).toEqual([]);
    expect(r.counts.minimum).toBe(1);
    // A partial credit note keeps the chase going for what is left.
    const partial = invoice(1, "2026-03-05", -40_000, { kind: "credit_note" });
    expect(plan("2026-03-10", [inv, partial], { events: sent(inv, 11, 12) }).messages.map((m) => m.stepId)).toEqual([13]);
  });

  it("counts an unallocated payment against the minimum", () => {
    const inv = invoice(1, "2026-03-02", 100_000);
    const r = plan(asOf, [inv], { events: sent(inv, 11), customers: [customer(1, { unallocated: 99_800 })] });
    expect(r.counts.minimum).toBe(1);
  });
});

describe("dunning planner: compact inputs for large ledgers", () => {
  it("gives the same plan from last recorded offsets and customer balances as from events and every document", () => {
    const a = invoice(1, "2026-01-05");
    const b = invoice(1, "2026-02-20", 40_000);
    const notYet = invoice(1, "2026-04-30", 70_000);
    const credit = invoice(1, "2026-02-01", -30_000, { kind: "credit_note" });
    const events = [...sent(a, 11, 12, 13)];
    const full = plan("2026-02-25", [a, b, notYet, credit], { events });
    const compact = plan("2026-02-25", [a, b], {
      lastOffsets: new Map([[a.id, 8]]),
      customers: [customer(1, { balance: 100_000 + 40_000 + 70_000 - 30_000 })],
    });
    expect(compact.messages).toEqual(full.messages);
    expect(compact.skippedSteps).toEqual(full.skippedSteps);
    expect(full.messages.map((m) => m.stepId)).toEqual([12, 17]); // b at +1 (courtesy skipped), a at +45 (day +51)
  });
});
