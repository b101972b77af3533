import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, addMonths, daysBetween, type IsoDate, isIsoDate } from "../domain/dates.js";
import { type DemoData, generateDemo } from "./generate.js";

const AS_OF = "2026-11-25";
const data = generateDemo({ seed: 1, asOf: AS_OF });

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Allocated + written off + credit applied per document number (negative for a credit note). */
function settledByDocument(d: DemoData): Map<string, number> {
  const settled = new Map<string, number>();
  const add = (n: string, amount: number) => settled.set(n, (settled.get(n) ?? 0) + amount);
  for (const p of d.payments) for (const a of p.allocations) add(a.documentNumber, a.amount);
  for (const w of d.writeOffs) add(w.documentNumber, w.amount);
  for (const c of d.creditApplications) {
    add(c.invoiceNumber, c.amount);
    add(c.creditNoteNumber, -c.amount);
  }
  return settled;
}

type Bucket = "not_due" | "1_30" | "31_60" | "61_90" | "91_plus";
function bucketOf(dueDate: IsoDate, asOf: IsoDate): Bucket {
  const late = daysBetween(dueDate, asOf);
  return late <= 0 ? "not_due" : late <= 30 ? "1_30" : late <= 60 ? "31_60" : late <= 90 ? "61_90" : "91_plus";
}

/** AR at asOf (DESIGN §5): outstanding of documents minus unallocated payments. */
function receivables(d: DemoData): number {
  const settled = settledByDocument(d);
  const open = d.documents.reduce((s, doc) => s + doc.total - (settled.get(doc.number) ?? 0), 0);
  const unallocated = d.payments.reduce((s, p) => s + p.amount - p.allocations.reduce((x, a) => x + a.amount, 0), 0);
  return open - unallocated;
}

/** Every structural invariant the store and the reports rely on; returns the problems found. */
function problems(d: DemoData, asOf: IsoDate, months: number): string[] {
  const out: string[] = [];
  const start = addDays(addMonths(asOf, -months), 1);
  const customers = new Map(d.customers.map((c) => [c.ref, c]));
  const documents = new Map(d.documents.map((doc) => [doc.number, doc]));
  if (customers.size !== d.customers.length) out.push("duplicate customer ref");
  if (documents.size !== d.documents.length) out.push("duplicate document number");
  if (new Set(d.customers.map((c) => c.name)).size !== d.customers.length) out.push("duplicate customer name");
  if (new Set(d.customers.map((c) => c.siren)).size !== d.customers.length) out.push("duplicate SIREN");
  if (new Set(d.payments.map((p) => p.bankTxId)).size !== d.payments.length) out.push("duplicate bankTxId");
  const isInt = (x: number) => Number.isSafeInteger(x);

  for (const c of d.customers) {
    if (!/^C\d{4,}$/.test(c.ref)) out.push(`bad ref ${c.ref}`);
    if (!/^\d{9}$/.test(c.siren) || !luhnValid(c.siren)) out.push(`bad SIREN ${c.siren}`);
    const key = (12 + 3 * (Number(c.siren) % 97)) % 97;
    if (c.vatNumber !== `FR${String(key).padStart(2, "0")}${c.siren}`) out.push(`bad VAT number ${c.vatNumber}`);
    const emails = [c.email, ...c.contacts.map((x) => x.email)];
    for (const e of emails) if (!/^[a-z0-9.-]+@[a-z0-9-]+\.example\.(fr|com|org|net)$/.test(e)) out.push(`bad email ${e}`);
    if (!c.phone.startsWith("+33 ")) out.push(`bad phone ${c.phone}`);
    if (!/, \d{5} /.test(c.address)) out.push(`bad address ${c.address}`);
    if (c.contacts.length < 1 || c.contacts.length > 3) out.push(`${c.ref}: ${c.contacts.length} contacts`);
    if (c.contacts.filter((x) => x.isPrimary).length !== 1) out.push(`${c.ref}: not one primary contact`);
    if (c.creditLimit !== null && (!isInt(c.creditLimit) || c.creditLimit < 0)) out.push(`${c.ref}: bad credit limit`);
    if ((c.status === "defaulted") !== (c.behaviour === "defaulted")) out.push(`${c.ref}: status/behaviour mismatch`);
  }

  for (const doc of d.documents) {
    const c = customers.get(doc.customerRef);
    if (!c) out.push(`${doc.number}: unknown customer`);
    if (!isIsoDate(doc.issueDate) || !isIsoDate(doc.dueDate)) out.push(`${doc.number}: bad date`);
    if (doc.dueDate < doc.issueDate) out.push(`${doc.number}: due before issue`);
    if (doc.issueDate > asOf || doc.issueDate < start) out.push(`${doc.number}: issued outside the period`);
    if (!isInt(doc.total) || !isInt(doc.tax)) out.push(`${doc.number}: non-integer amount`);
    if (doc.kind === "invoice" && (doc.total <= 0 || !/^F\d{4}-\d{6}$/.test(doc.number))) out.push(`${doc.number}: bad invoice`);
    if (doc.kind === "credit_note" && (doc.total >= 0 || !/^AV\d{4}-\d{6}$/.test(doc.number))) out.push(`${doc.number}: bad credit note`);
    if (doc.number.slice(doc.kind === "invoice" ? 1 : 2, doc.kind === "invoice" ? 5 : 6) !== doc.issueDate.slice(0, 4)) {
      out.push(`${doc.number}: year differs from its issue date`);
    }
    if (Math.abs(doc.tax - doc.total / 6) > 1) out.push(`${doc.number}: tax ${doc.tax} is not 20 % VAT of ${doc.total}`);
  }

  const allocatedPerDoc = new Map<string, number>();
  for (const p of d.payments) {
    if (!customers.has(p.customerRef)) out.push(`${p.bankTxId}: unknown customer`);
    if (!isInt(p.amount) || p.amount <= 0) out.push(`${p.bankTxId}: bad amount`);
    if (p.date > asOf) out.push(`${p.bankTxId}: dated after as-of`);
    if (p.reference.length === 0 || p.payerName.length === 0) out.push(`${p.bankTxId}: empty label`);
    let sum = 0;
    for (const a of p.allocations) {
      const doc = documents.get(a.documentNumber);
      if (!doc) {
        out.push(`${p.bankTxId}: allocation to unknown ${a.documentNumber}`);
        continue;
      }
      if (doc.customerRef !== p.customerRef) out.push(`${p.bankTxId}: allocation to another customer's document`);
      if (doc.issueDate > p.date) out.push(`${p.bankTxId}: pays ${doc.number} before it was issued`);
      if (doc.kind !== "invoice") out.push(`${p.bankTxId}: allocation to a credit note`);
      if (!isInt(a.amount) || a.amount <= 0) out.push(`${p.bankTxId}: bad allocation amount`);
      sum += a.amount;
      allocatedPerDoc.set(doc.number, (allocatedPerDoc.get(doc.number) ?? 0) + a.amount);
    }
    if (sum > p.amount) out.push(`${p.bankTxId}: over-allocated payment`);
  }
  const settled = settledByDocument(d);
  for (const doc of d.documents) {
    if ((allocatedPerDoc.get(doc.number) ?? 0) > Math.max(0, doc.total)) out.push(`${doc.number}: over-allocated document`);
    if ((settled.get(doc.number) ?? 0) > Math.max(0, doc.total)) out.push(`${doc.number}: allocations + write-offs exceed total`);
  }
  for (const w of d.writeOffs) {
    const doc = documents.get(w.documentNumber);
    if (!doc) out.push(`write-off on unknown ${w.documentNumber}`);
    else if (w.date < doc.issueDate || w.date > asOf) out.push(`write-off on ${w.documentNumber} badly dated`);
    if (!isInt(w.amount) || w.amount <= 0) out.push(`write-off on ${w.documentNumber}: bad amount`);
  }
  for (const c of d.creditApplications) {
    const invoice = documents.get(c.invoiceNumber);
    const note = documents.get(c.creditNoteNumber);
    if (invoice?.kind !== "invoice" || note?.kind !== "credit_note")
      out.push(`credit application ${c.creditNoteNumber} → ${c.invoiceNumber}: bad documents`);
    else {
      if (invoice.customerRef !== note.customerRef) out.push(`${c.creditNoteNumber} applied to another customer's invoice`);
      if (c.date < invoice.issueDate || c.date < note.issueDate || c.date > asOf) out.push(`${c.creditNoteNumber} applied on a bad date`);
    }
    if (!isInt(c.amount) || c.amount <= 0) out.push(`${c.creditNoteNumber}: bad applied amount`);
  }
  for (const doc of d.documents)
    if (doc.kind === "credit_note" && (settled.get(doc.number) ?? 0) < doc.total) out.push(`${doc.number}: applied beyond its credit`);
  const openDisputed = new Set(d.disputes.filter((x) => x.status === "open").map((x) => x.documentNumber));
  for (const x of d.disputes) {
    if (!documents.has(x.documentNumber)) out.push(`dispute on unknown ${x.documentNumber}`);
    if (x.openedAt > asOf || (x.resolvedAt !== null && (x.resolvedAt < x.openedAt || x.resolvedAt > asOf)))
      out.push(`dispute on ${x.documentNumber} badly dated`);
    if ((x.status === "resolved") !== (x.resolvedAt !== null)) out.push(`dispute on ${x.documentNumber}: status/resolvedAt mismatch`);
  }
  for (const doc of d.documents) if (doc.disputed !== openDisputed.has(doc.number)) out.push(`${doc.number}: disputed flag mismatch`);
  for (const p of d.promises) {
    if (!customers.has(p.customerRef) || !isInt(p.amount) || p.amount <= 0) out.push(`bad promise ${JSON.stringify(p)}`);
    if (p.status === "pending" && p.promisedDate <= asOf) out.push("pending promise in the past");
    if (p.status === "broken" && p.promisedDate >= asOf) out.push("broken promise in the future");
  }
  for (const n of d.notes)
    if (!customers.has(n.customerRef) || n.date > asOf || n.body.length === 0) out.push(`bad note ${JSON.stringify(n)}`);
  for (const t of d.tasks)
    if (!customers.has(t.customerRef) || !isIsoDate(t.dueDate) || t.title.length === 0) out.push(`bad task ${JSON.stringify(t)}`);
  return out;
}

describe("generateDemo", () => {
  it("is deterministic for a seed and as-of date, and differs between seeds", () => {
    expect(generateDemo({ seed: 1, asOf: AS_OF })).toEqual(data);
    const other = generateDemo({ seed: 2, asOf: AS_OF });
    expect(other.customers.map((c) => c.name)).not.toEqual(data.customers.map((c) => c.name));
    expect(other.documents.map((d) => d.total)).not.toEqual(data.documents.map((d) => d.total));
  });

  it("holds every structural invariant for the default size", () => {
    expect(problems(data, AS_OF, 24)).toEqual([]);
  });

  it("produces the expected volumes", () => {
    expect(data.customers).toHaveLength(300);
    const invoices = data.documents.filter((d) => d.kind === "invoice");
    const credits = data.documents.filter((d) => d.kind === "credit_note");
    expect(invoices.length).toBeGreaterThanOrEqual(5000);
    expect(invoices.length).toBeLessThanOrEqual(7000);
    expect(credits.length / data.documents.length).toBeGreaterThan(0.01);
    expect(credits.length / data.documents.length).toBeLessThan(0.03);
    expect(data.disputes.length).toBeGreaterThanOrEqual(8);
    expect(data.disputes.length).toBeLessThanOrEqual(15);
    expect(data.notes.length).toBeGreaterThanOrEqual(40);
    expect(data.notes.length).toBeLessThanOrEqual(60);
    expect(data.tasks.length).toBeGreaterThanOrEqual(15);
    expect(data.tasks.length).toBeLessThanOrEqual(30);
    for (const s of ["pending", "kept", "broken"] as const) expect(data.promises.some((p) => p.status === s)).toBe(true);
    for (const s of ["open", "done"] as const) expect(data.tasks.some((t) => t.status === s)).toBe(true);
  });

  it("gives customers French-looking identities, about 85 % in French", () => {
    const en = data.customers.filter((c) => c.language === "en");
    expect(en.length / data.customers.length).toBeGreaterThan(0.07);
    expect(en.length / data.customers.length).toBeLessThan(0.25);
    for (const c of en) {
      expect(c.name).toMatch(/ (Ltd|GmbH|BV)$/);
      expect(c.email).toMatch(/\.example\.com$/);
    }
    const fr = data.customers.filter((c) => c.language === "fr");
    expect(fr.filter((c) => /\.example\.fr$/.test(c.email)).length / fr.length).toBeGreaterThan(0.7);
    expect(fr.filter((c) => / (SARL|SAS|SA|EURL|SASU|SNC)$/.test(c.name)).length / fr.length).toBeGreaterThan(0.8);
    expect(new Set(data.customers.map((c) => c.paymentTermsDays))).toEqual(new Set([30, 45, 60]));
  });

  it("concentrates revenue on the biggest customers and follows the seasons", () => {
    const revenue = new Map<string, number>();
    for (const d of data.documents) revenue.set(d.customerRef, (revenue.get(d.customerRef) ?? 0) + d.total);
    const sorted = [...revenue.values()].sort((a, b) => b - a);
    const total = sorted.reduce((a, b) => a + b, 0);
    const top20 = sorted.slice(0, 20).reduce((a, b) => a + b, 0) / total;
    expect(top20).toBeGreaterThan(0.4);
    expect(top20).toBeLessThan(0.62);

    const perMonth = new Map<string, number>();
    for (const d of data.documents)
      if (d.kind === "invoice") perMonth.set(d.issueDate.slice(5, 7), (perMonth.get(d.issueDate.slice(5, 7)) ?? 0) + 1);
    const busy = ["03", "04", "05", "06", "09", "10"].map((m) => perMonth.get(m) ?? 0);
    expect(perMonth.get("08") ?? 0).toBeLessThan(0.6 * Math.min(...busy));

    const euros = data.documents.filter((d) => d.kind === "invoice").map((d) => d.total / 100);
    expect(Math.min(...euros)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...euros)).toBeLessThanOrEqual(40_000);
    const typical = euros.filter((e) => e >= 500 && e <= 5000).length / euros.length;
    expect(typical).toBeGreaterThan(0.6);
  });

  it("leaves an open book in every aging bucket, with a DSO between 45 and 65 days", () => {
    const settled = settledByDocument(data);
    const buckets = new Map<Bucket, number>();
    for (const d of data.documents) {
      if (d.kind !== "invoice") continue;
      const open = d.total - (settled.get(d.number) ?? 0);
      if (open > 0) buckets.set(bucketOf(d.dueDate, AS_OF), (buckets.get(bucketOf(d.dueDate, AS_OF)) ?? 0) + 1);
    }
    for (const b of ["not_due", "1_30", "31_60", "61_90", "91_plus"] as const) expect(buckets.get(b) ?? 0).toBeGreaterThan(0);

    const from = addDays(AS_OF, -89);
    const revenue90 = data.documents.filter((d) => d.issueDate >= from).reduce((s, d) => s + d.total, 0);
    const dso = (receivables(data) / revenue90) * 90;
    expect(dso).toBeGreaterThan(45);
    expect(dso).toBeLessThan(65);
  });

  it("has two defaulted customers whose recent invoices stay unpaid, one with a write-off", () => {
    const defaulted = data.customers.filter((c) => c.status === "defaulted");
    expect(defaulted).toHaveLength(2);
    const eightMonthsAgo = addMonths(AS_OF, -8);
    for (const c of defaulted) {
      expect(data.payments.filter((p) => p.customerRef === c.ref && p.date >= addDays(eightMonthsAgo, 10))).toEqual([]);
      expect(data.documents.some((d) => d.customerRef === c.ref && d.issueDate >= eightMonthsAgo)).toBe(true);
    }
    const docCustomer = new Map(data.documents.map((d) => [d.number, d.customerRef]));
    const withWriteOff = defaulted.filter((c) => data.writeOffs.some((w) => docCustomer.get(w.documentNumber) === c.ref));
    expect(withWriteOff).toHaveLength(1);
  });

  it("has open and resolved disputes, open ones flagging their unpaid invoice", () => {
    const open = data.disputes.filter((d) => d.status === "open");
    expect(open.length).toBeGreaterThanOrEqual(1);
    expect(data.disputes.some((d) => d.status === "resolved")).toBe(true);
    const settled = settledByDocument(data);
    for (const x of open) {
      const doc = data.documents.find((d) => d.number === x.documentNumber);
      expect(doc?.disputed).toBe(true);
      expect(settled.get(x.documentNumber) ?? 0).toBe(0);
    }
  });

  it("includes partial, grouped and unallocated payments", () => {
    const paymentsPerDoc = new Map<string, number>();
    for (const p of data.payments)
      for (const a of p.allocations) paymentsPerDoc.set(a.documentNumber, (paymentsPerDoc.get(a.documentNumber) ?? 0) + 1);
    expect([...paymentsPerDoc.values()].filter((n) => n >= 2).length).toBeGreaterThan(20);
    expect(data.payments.filter((p) => p.allocations.length >= 2).length).toBeGreaterThan(50);
    const unallocated = data.payments.filter((p) => p.allocations.length === 0);
    expect(unallocated.length).toBeGreaterThanOrEqual(5);
    // Most carry no invoice number at all (the others are a duplicate transfer of a paid invoice).
    expect(unallocated.filter((p) => !/F\d{4}-\d{6}/.test(p.reference)).length).toBeGreaterThanOrEqual(5);
    const partly = data.payments.filter((p) => p.allocations.length > 0 && p.allocations.reduce((s, a) => s + a.amount, 0) < p.amount);
    expect(partly.length).toBeGreaterThanOrEqual(1);
    // Labels of matched transfers quote the invoice numbers they pay.
    const quoted = data.payments.filter((p) => p.allocations.length === 1 && p.reference.includes(p.allocations[0]?.documentNumber ?? "?"));
    expect(quoted.length / data.payments.length).toBeGreaterThan(0.6);
  });

  it("shows customers paying later and later over the last six months", () => {
    // Amount-weighted days late per customer, counting what is still open as late until as-of.
    const docs = new Map(data.documents.map((d) => [d.number, d]));
    const sixMonthsAgo = addDays(AS_OF, -183);
    const yearAgo = addDays(AS_OF, -365);
    const acc = new Map<string, { before: [number, number]; recent: [number, number] }>();
    const paidPerDoc = new Map<string, number>();
    const add = (ref: string, due: IsoDate, late: number, amount: number) => {
      const e = acc.get(ref) ?? { before: [0, 0], recent: [0, 0] };
      const slot = due >= sixMonthsAgo ? e.recent : due >= yearAgo ? e.before : null;
      if (slot) {
        slot[0] += late * amount;
        slot[1] += amount;
      }
      acc.set(ref, e);
    };
    for (const p of data.payments) {
      for (const a of p.allocations) {
        const doc = docs.get(a.documentNumber);
        if (!doc || doc.dueDate > AS_OF) continue;
        add(p.customerRef, doc.dueDate, daysBetween(doc.dueDate, p.date), a.amount);
        paidPerDoc.set(doc.number, (paidPerDoc.get(doc.number) ?? 0) + a.amount);
      }
    }
    for (const doc of data.documents) {
      const rest = doc.total - (paidPerDoc.get(doc.number) ?? 0);
      if (doc.kind === "invoice" && doc.dueDate <= AS_OF && rest > 0)
        add(doc.customerRef, doc.dueDate, daysBetween(doc.dueDate, AS_OF), rest);
    }
    const worsening = [...acc.values()].filter(
      (e) => e.before[1] > 0 && e.recent[1] > 0 && e.recent[0] / e.recent[1] - e.before[0] / e.before[1] >= 15,
    );
    expect(worsening.length).toBeGreaterThanOrEqual(3);
  });

  it("runs in well under a second for the default size", () => {
    const t0 = performance.now();
    generateDemo({ seed: 7, asOf: "2025-06-30" });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("holds its invariants for any seed, as-of date and size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.integer({ min: 0, max: 3650 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        (seed, offset, customers, months) => {
          const asOf = addDays("2020-01-01", offset);
          const d = generateDemo({ seed, asOf, customers, months });
          expect(d.customers).toHaveLength(customers);
          expect(problems(d, asOf, months)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});
