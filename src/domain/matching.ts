/**
 * Matching of incoming payments to open documents (issue 8, "Payment matching"). Pure: plain
 * data in, decisions out; the import service loads the data and writes the allocations.
 *
 * A payment is either matched with certainty — `{status: "matched", rule, allocations}` — or left
 * to reconcile — `{status: "unmatched", suggestions}` with no allocation. Nothing is guessed
 * silently: every decision carries its reasons (a code for the UI to translate, and an English
 * message).
 *
 * Rules, in order of confidence (each batch is processed rule by rule, so a payment that names
 * its invoice is served before one that merely has the same amount; within a rule, older payments
 * first):
 * 1. `rf` — an ISO 11649 RF reference issued by Relance (the document's `rfReference`, or
 *    `rfForDocument(orgId, number)` when `options.orgId` is given), found in the structured
 *    reference or anywhere in the remittance text → that document. An RF pointing at a document
 *    already paid, or shared by two documents, allocates nothing (suggestions only).
 * 2. `invoice_number` — document numbers found in the remittance text (and in `invoiceNumbers`
 *    given by the file). Matching works on word boundaries: a number never matches inside a longer
 *    word; case, accents, spaces and the separators `- / . _` are ignored ("FA 2024-0042",
 *    "fa20240042" name "FA-2024-0042"); leading zeros of a digit group are optional ("FA-42" names
 *    "FA-0042") only when no document matches exactly; a digit group is never split (the amount
 *    "1234.56" does not name invoice "123456"); a plain number shorter than 5 significant digits
 *    counts only right after a word such as "facture", "invoice", "n°", "#". Several numbers →
 *    each document receives up to what it owes, oldest first. Documents of several customers, or
 *    a text that matches two documents equally, → suggestions only.
 * 3. `exact_amount` — the customer is identified (customer ref from the file; else a payer IBAN
 *    known for exactly one customer; else a payer name equal to exactly one customer's name once
 *    legal forms (SARL, SAS, SA, EURL…), accents, case, punctuation and word order are ignored, a
 *    bank-truncated name counting when it is at least 12 characters) and exactly ONE of its open
 *    documents owes the amount. Two such documents → suggestions only.
 * 4. `exact_sum` — exactly one set of at least two of that customer's open documents (the
 *    `maxSubsetDocuments` oldest, 20 by default) owes the amount in total. Two different sets →
 *    suggestions only.
 * 5. `oldest_first` — the customer is identified and the remittance names no invoice at all (not
 *    even an unknown one): the amount pays its open documents oldest due date first; a part left
 *    over stays unallocated.
 * Otherwise: suggestions, ranked — named or referenced documents, the identified customer's
 * documents owing the amount, documents of any customer owing exactly the amount when the payer
 * is unknown, documents of customers whose name resembles the payer's.
 *
 * Only documents in the payment's currency with something still owed (after the allocations
 * this batch already made) receive money. A certain match never allocates more than the payment
 * nor more than a document owes; what it cannot allocate is `unallocated` (an overpayment, to
 * reconcile).
 */
import type { IsoDate } from "./dates.js";
import type { Cents } from "./money.js";
import { type Id, idKey } from "./receivables.js";
import { compactRf, findRfReferences, isValidRfReference, rfForDocument } from "./rf-reference.js";

export interface MatchPayment {
  /** Key of the payment in this batch (bank transaction id or database id); echoed in the result. */
  key: string;
  date: IsoDate;
  /** Amount received, in cents (positive). */
  amount: Cents;
  currency: string;
  /** Free remittance text. */
  reference: string | null;
  /** Structured creditor reference given by the bank (RF… or another scheme). */
  structuredReference: string | null;
  payerName: string | null;
  payerIban: string | null;
  /** Customer code given by the file (CSV payments). */
  customerRef?: string | null;
  /** Invoice numbers given by the file (CSV column, camt referred document numbers). */
  invoiceNumbers?: readonly string[];
}

export interface MatchDocument {
  id: Id;
  customerId: Id;
  number: string;
  kind: "invoice" | "credit_note";
  currency: string;
  issueDate: IsoDate;
  dueDate: IsoDate;
  /**
   * What the document still owes before this batch, in cents. Documents owing nothing (paid) may
   * be passed too: an RF reference or number pointing at them is then recognised and reported
   * instead of being ignored; they never receive money.
   */
  outstanding: Cents;
  /** The RF reference issued for it; when absent and `options.orgId` is given, `rfForDocument(orgId, number)`. */
  rfReference?: string | null;
}

export interface MatchCustomer {
  id: Id;
  /** The company's customer code. */
  ref?: string | null;
  name: string;
  /** Bank accounts the customer is known to pay from. */
  ibans?: readonly string[];
}

export interface MatchOptions {
  /** Organisation whose RF references (`rfForDocument`) are recognised. */
  orgId?: string | number | bigint;
  /** Oldest open documents of a customer considered for an exact sum (default 20). */
  maxSubsetDocuments?: number;
  /** Suggestions kept per unmatched payment (default 5). */
  maxSuggestions?: number;
}

export type MatchRule = "rf" | "invoice_number" | "exact_amount" | "exact_sum" | "oldest_first";

export type ReasonCode =
  | "rf"
  | "rf_paid"
  | "rf_ambiguous"
  | "rf_unknown"
  | "invoice_number"
  | "invoice_number_paid"
  | "invoice_number_ambiguous"
  | "invoice_number_several_customers"
  | "invoice_reference_unknown"
  | "customer_by_ref"
  | "customer_by_iban"
  | "customer_by_name"
  | "customer_ambiguous"
  | "customer_unknown"
  | "exact_amount"
  | "exact_amount_ambiguous"
  | "exact_sum"
  | "exact_sum_ambiguous"
  | "exact_sum_truncated"
  | "oldest_first"
  | "overpayment"
  | "currency_mismatch"
  | "same_amount"
  | "name_similar"
  | "open_documents"
  | "invalid_amount";

export interface MatchReason {
  code: ReasonCode;
  message: string;
}

export interface MatchAllocation {
  documentId: Id;
  amount: Cents;
}

export interface CertainMatch {
  paymentKey: string;
  status: "matched";
  customerId: Id;
  allocations: MatchAllocation[];
  rule: MatchRule;
  confidence: "certain";
  /** Part of the payment no document could take (overpayment): to reconcile. */
  unallocated: Cents;
  reasons: MatchReason[];
}

export interface MatchSuggestion {
  customerId: Id;
  documentIds: Id[];
  /** What those documents still owe in total. */
  amount: Cents;
  /** 0–100, best first. */
  score: number;
  reasons: MatchReason[];
}

export interface Unmatched {
  paymentKey: string;
  status: "unmatched";
  /** The customer when identified with certainty, else null. */
  customerId: Id | null;
  suggestions: MatchSuggestion[];
  reasons: MatchReason[];
}

export type MatchResult = CertainMatch | Unmatched;

// ---------------------------------------------------------------------------------------------
// Normalisations

/** Upper case without accents: "Société Générale" → "SOCIETE GENERALE". */
export function foldText(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toUpperCase();
}

const LEGAL_FORMS = new Set(
  (
    "SARL SAS SASU SA EURL SNC SCI SCOP SCA SCS SELARL SELAS SELAFA SEL GIE EI EIRL SCM SCP SEM " +
    "ETS ETABLISSEMENTS STE SOCIETE CIE GMBH AG KG OHG UG LTD LIMITED LLC LLP INC CORP CO BV NV SPRL SRL SPA SL PLC"
  ).split(" "),
);

/**
 * A company name reduced for comparison: no accents, upper case, no punctuation, no legal form
 * ("S.A.R.L.", "SAS", "Sté"…), words sorted. Empty when nothing distinctive is left.
 */
export function normaliseCompanyName(name: string): string {
  const folded = foldText(name)
    .replace(/\b(?:[A-Z]\.){2,}[A-Z]?\.?/g, (m) => m.replace(/\./g, ""))
    .replace(/&/g, " ");
  const words = folded.split(/[^A-Z0-9]+/).filter((w) => w !== "" && !LEGAL_FORMS.has(w));
  return words.join(" ");
}

const sortedWords = (s: string) => s.split(" ").sort().join(" ");

/** Same company for two normalised names: equal in any word order, or one a bank-truncated form (≥ 12 characters) of the other. */
function sameNormalisedName(na: string, nb: string): boolean {
  if (na === "" || nb === "") return false;
  return na === nb || sortedWords(na) === sortedWords(nb) || truncated(na, nb);
}

/** One name is the other cut by the bank (at least 12 characters kept). */
function truncated(na: string, nb: string): boolean {
  const [short, long] = na.length <= nb.length ? [na, nb] : [nb, na];
  return short.length >= 12 && long.startsWith(short);
}

/** Equal once normalised (any word order), or a bank-truncated form (≥ 12 characters) of the other. */
export function sameCompanyName(a: string, b: string): boolean {
  return sameNormalisedName(normaliseCompanyName(a), normaliseCompanyName(b));
}

/** Customers by normalised name and by distinctive name word, built once per batch. */
class CustomerNames {
  private readonly normalised: { customer: MatchCustomer; name: string }[];
  private readonly byWords = new Map<string, MatchCustomer[]>();
  private readonly byToken = new Map<string, MatchCustomer[]>();
  constructor(customers: readonly MatchCustomer[]) {
    this.normalised = customers.map((customer) => ({ customer, name: normaliseCompanyName(customer.name) }));
    for (const { customer, name } of this.normalised) {
      if (name === "") continue;
      pushTo(this.byWords, sortedWords(name), customer);
      for (const t of new Set(name.split(" ").filter((w) => w.length >= 3))) pushTo(this.byToken, t, customer);
    }
  }
  /** Customers whose name is the payer's (see `sameCompanyName`). */
  same(payerName: string): MatchCustomer[] {
    const n = normaliseCompanyName(payerName);
    if (n === "") return [];
    const found = new Set(this.byWords.get(sortedWords(n)) ?? []);
    for (const { customer, name } of this.normalised) if (name !== "" && !found.has(customer) && truncated(n, name)) found.add(customer);
    return [...found];
  }
  /** Customers sharing a distinctive word (3+ letters, in at most 5 customers' names) with the payer's name. */
  similar(payerName: string): MatchCustomer[] {
    const found = new Set<MatchCustomer>();
    for (const t of new Set(normaliseCompanyName(payerName).split(" "))) {
      const list = this.byToken.get(t);
      if (list && list.length <= 5) for (const c of list) found.add(c);
    }
    return [...found];
  }
}

const normaliseIban = (s: string) => s.replace(/[\s-]/g, "").toUpperCase();

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

// ---------------------------------------------------------------------------------------------
// Document numbers in free text

const SEPARATOR = /^[\s\-/._]{1,2}$/;
const KEYWORDS = new Set(
  "FACTURE FACTURES FACT FACTU FAC FCT INVOICE INVOICES INV RECHNUNG RECHNUNGSNR RG FACTUUR FACTURA FATTURA NO NR N NUM NUMERO REF REFERENCE".split(
    " ",
  ),
);
const NAMES_AN_INVOICE =
  /(?<![A-Z0-9])(?:FACTURES?|FACT|FACTU|FAC|FCT|INVOICES?|INV|RECHNUNG|RECHNUNGSNR|FACTUUR|FACTURA|FATTURA)(?![A-Z])[^A-Z0-9]{0,6}(?:(?:NO|NR|N|NUM|NUMERO)(?![A-Z])[^A-Z0-9]{0,4})?[A-Z-]{0,6}\d/;
const MAX_SPAN_WORDS = 6;

/** Chunks of a number: runs of letters or digits, split at separators and letter/digit changes. */
function chunks(s: string): string[] {
  return foldText(s).match(/[A-Z]+|[0-9]+/g) ?? [];
}

/** Concatenation and the positions where one chunk ends and the next begins. */
function shape(parts: string[]): { concat: string; cuts: Set<number> } {
  const cuts = new Set<number>();
  let pos = 0;
  parts.forEach((p, k) => {
    pos += p.length;
    if (k < parts.length - 1) cuts.add(pos);
  });
  return { concat: parts.join(""), cuts };
}

const looseKey = (parts: string[]) => parts.map((p) => (/^\d+$/.test(p) ? p.replace(/^0+(?=\d)/, "") : p)).join("|");

interface NumberIndex {
  exact: Map<string, { doc: MatchDocument; cuts: Set<number> }[]>;
  loose: Map<string, MatchDocument[]>;
}

function buildNumberIndex(docs: readonly MatchDocument[]): NumberIndex {
  const exact: NumberIndex["exact"] = new Map();
  const loose: NumberIndex["loose"] = new Map();
  for (const doc of docs) {
    const parts = chunks(doc.number);
    if (parts.length === 0) continue;
    const { concat, cuts } = shape(parts);
    pushTo(exact, concat, { doc, cuts });
    const lk = looseKey(parts);
    pushTo(loose, lk, doc);
  }
  return { exact, loose };
}

/** A plain number shorter than 5 significant digits, which alone could be anything (a quantity, a day). */
function isShortPlainNumber(number: string): boolean {
  const parts = chunks(number);
  return parts.every((p) => /^\d+$/.test(p)) && parts.join("").replace(/^0+/, "").length < 5;
}

/** Documents whose number these chunks name: exactly (gluing allowed, splitting not), else without leading zeros. */
function lookupNumber(parts: string[], index: NumberIndex): MatchDocument[] {
  const { concat, cuts } = shape(parts);
  const exact = (index.exact.get(concat) ?? []).filter((e) => [...cuts].every((c) => e.cuts.has(c))).map((e) => e.doc);
  return exact.length > 0 ? exact : (index.loose.get(looseKey(parts)) ?? []);
}

interface NumberHit {
  start: number;
  end: number;
  docs: MatchDocument[];
  text: string;
}

/** Document numbers named in a text: longest spans first, overlapping shorter ones dropped. */
function findNumbers(text: string, index: NumberIndex): NumberHit[] {
  const folded = foldText(text);
  const words: { w: string; start: number; end: number }[] = [];
  for (const m of folded.matchAll(/[A-Z0-9]+/g)) words.push({ w: m[0], start: m.index, end: m.index + m[0].length });
  const hits: NumberHit[] = [];
  for (let i = 0; i < words.length; i++) {
    for (let j = i; j < Math.min(words.length, i + MAX_SPAN_WORDS); j++) {
      if (j > i) {
        const sep = folded.slice((words[j - 1] as { end: number }).end, (words[j] as { start: number }).start);
        if (!SEPARATOR.test(sep)) break;
      }
      const spanWords = words.slice(i, j + 1);
      let docs = lookupNumber(
        spanWords.flatMap((x) => chunks(x.w)),
        index,
      );
      if (docs.length === 0) continue;
      const prev = words[i - 1];
      const before = prev ? folded.slice(prev.end, (words[i] as { start: number }).start) : "";
      const introduced = (prev !== undefined && KEYWORDS.has(prev.w) && /^[\s:#°.-]{0,3}$/.test(before)) || before.endsWith("#");
      docs = docs.filter((d) => !isShortPlainNumber(d.number) || introduced);
      if (docs.length === 0) continue;
      const first = spanWords[0] as { start: number };
      const last = spanWords[spanWords.length - 1] as { end: number };
      hits.push({ start: first.start, end: last.end, docs, text: text.slice(first.start, last.end) });
    }
  }
  hits.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: NumberHit[] = [];
  for (const h of hits) if (!kept.some((k) => h.start < k.end && k.start < h.end)) kept.push(h);
  return kept.sort((a, b) => a.start - b.start);
}

// ---------------------------------------------------------------------------------------------
// Subset sums (meet in the middle)

/** Up to `limit` distinct sets of indices (≥ 1 element) of `values` summing to `target`. */
export function subsetsSummingTo(values: readonly Cents[], target: Cents, limit = 3): number[][] {
  const half = Math.floor(values.length / 2);
  const left = values.slice(0, half);
  const right = values.slice(half);
  const enumerate = (vals: readonly Cents[]) => {
    const out: { mask: number; sum: number }[] = [];
    for (let mask = 0; mask < 1 << vals.length; mask++) {
      let sum = 0;
      for (let b = 0; b < vals.length; b++) if (mask & (1 << b)) sum += vals[b] as number;
      out.push({ mask, sum });
    }
    return out;
  };
  const rightBySum = new Map<number, number[]>();
  for (const { mask, sum } of enumerate(right)) pushTo(rightBySum, sum, mask);
  const found: number[][] = [];
  for (const { mask, sum } of enumerate(left)) {
    for (const rmask of rightBySum.get(target - sum) ?? []) {
      if (mask === 0 && rmask === 0) continue;
      const set: number[] = [];
      for (let b = 0; b < left.length; b++) if (mask & (1 << b)) set.push(b);
      for (let b = 0; b < right.length; b++) if (rmask & (1 << b)) set.push(half + b);
      found.push(set);
      if (found.length >= limit) return found;
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The matcher

const byAge = (a: MatchDocument, b: MatchDocument) =>
  a.dueDate.localeCompare(b.dueDate) || a.issueDate.localeCompare(b.issueDate) || a.number.localeCompare(b.number);

interface Work {
  payment: MatchPayment;
  result: MatchResult | null;
  customer: { id: Id | null; ambiguous: Id[]; reasons: MatchReason[] };
  hits: NumberHit[];
  givenNumbersUnknown: string[];
  namesInvoice: boolean;
  /** Suggestions gathered by the rules that could not decide. */
  pending: MatchSuggestion[];
  notes: MatchReason[];
}

export function matchPayments(
  payments: readonly MatchPayment[],
  openDocuments: readonly MatchDocument[],
  customers: readonly MatchCustomer[],
  options: MatchOptions = {},
): MatchResult[] {
  const maxSubset = options.maxSubsetDocuments ?? 20;
  const maxSuggestions = options.maxSuggestions ?? 5;
  const remaining = new Map<string, Cents>();
  for (const d of openDocuments) remaining.set(idKey(d.id), d.kind === "credit_note" ? 0 : Math.max(0, d.outstanding));
  const owes = (d: MatchDocument) => remaining.get(idKey(d.id)) ?? 0;
  const payable = (d: MatchDocument, p: MatchPayment) => d.currency === p.currency && owes(d) > 0;

  const rfIndex = new Map<string, MatchDocument[]>();
  for (const d of openDocuments) {
    const rf = d.rfReference ?? (options.orgId !== undefined ? rfForDocument(options.orgId, d.number) : null);
    if (rf && isValidRfReference(rf)) {
      const k = compactRf(rf);
      pushTo(rfIndex, k, d);
    }
  }
  const numberIndex = buildNumberIndex(openDocuments);
  const docsByAge = [...openDocuments].sort(byAge);
  const docsByCustomer = new Map<string, MatchDocument[]>();
  for (const d of docsByAge) {
    const k = idKey(d.customerId);
    pushTo(docsByCustomer, k, d);
  }
  const customerById = new Map(customers.map((c) => [idKey(c.id), c]));
  const customersByIban = new Map<string, MatchCustomer[]>();
  for (const c of customers) {
    for (const iban of c.ibans ?? []) {
      const k = normaliseIban(iban);
      pushTo(customersByIban, k, c);
    }
  }
  const names = new CustomerNames(customers);
  const docLabel = (d: MatchDocument) => d.number;
  const customerLabel = (id: Id) => customerById.get(idKey(id))?.name ?? String(id);

  const allocate = (w: Work, docs: MatchDocument[], rule: MatchRule, customerId: Id, reasons: MatchReason[]) => {
    let left = w.payment.amount;
    const allocations: MatchAllocation[] = [];
    for (const d of docs) {
      if (left <= 0) break;
      const take = Math.min(left, owes(d));
      if (take <= 0) continue;
      allocations.push({ documentId: d.id, amount: take });
      remaining.set(idKey(d.id), owes(d) - take);
      left -= take;
    }
    // The document named the customer for rules 1–2; for 3–5 the customer identification is part of the evidence.
    const all = [...(rule === "rf" || rule === "invoice_number" ? [] : w.customer.reasons), ...reasons];
    if (left > 0) all.push({ code: "overpayment", message: `${left} cents exceed what the documents owe and stay unallocated` });
    w.result = {
      paymentKey: w.payment.key,
      status: "matched",
      customerId,
      allocations,
      rule,
      confidence: "certain",
      unallocated: left,
      reasons: [...all, ...w.notes],
    };
  };

  const suggest = (docs: MatchDocument[], score: number, reasons: MatchReason[]): MatchSuggestion | null => {
    if (docs.length === 0) return null;
    return {
      customerId: (docs[0] as MatchDocument).customerId,
      documentIds: docs.map((d) => d.id),
      amount: docs.reduce((s, d) => s + owes(d), 0),
      score,
      reasons,
    };
  };

  /** Decides "unmatched" now: later rules no longer apply; suggestions are completed at the end. */
  const leave = (w: Work, reasons: MatchReason[], suggestions: (MatchSuggestion | null)[]) => {
    w.pending.push(...suggestions.filter((s): s is MatchSuggestion => s !== null));
    w.result = { paymentKey: w.payment.key, status: "unmatched", customerId: w.customer.id, suggestions: [], reasons: [...reasons] };
  };

  const works: Work[] = payments.map((payment) => {
    const text = [
      payment.reference,
      payment.structuredReference && !isValidRfReference(payment.structuredReference) ? payment.structuredReference : null,
    ]
      .filter((t): t is string => !!t)
      .join(" \n ");
    const hits = findNumbers(text, numberIndex);
    const givenNumbersUnknown: string[] = [];
    // Numbers given by the file are taken whole, even short plain ones.
    for (const n of payment.invoiceNumbers ?? []) {
      const docs = lookupNumber(chunks(n), numberIndex);
      if (docs.length > 0) hits.push({ start: -1, end: -1, docs, text: n });
      else givenNumbersUnknown.push(n);
    }
    const namesUnknownInvoice = hits.length === 0 && givenNumbersUnknown.length === 0 && NAMES_AN_INVOICE.test(foldText(text));
    const notes: MatchReason[] = namesUnknownInvoice
      ? [{ code: "invoice_reference_unknown", message: "the remittance names an invoice that is not an open document here" }]
      : [];
    return {
      payment,
      result: null,
      customer: identifyCustomer(payment, customers, customersByIban, names),
      hits,
      givenNumbersUnknown,
      namesInvoice: hits.length > 0 || givenNumbersUnknown.length > 0 || namesUnknownInvoice,
      pending: [],
      notes,
    };
  });
  const order = [...works].sort((a, b) => a.payment.date.localeCompare(b.payment.date));
  const open = () => order.filter((w) => w.result === null);

  for (const w of order) {
    if (!(w.payment.amount > 0) || !Number.isSafeInteger(w.payment.amount)) {
      leave(w, [{ code: "invalid_amount", message: `amount ${w.payment.amount} is not a positive number of cents` }], []);
    }
  }

  // 1. RF creditor references issued by Relance.
  for (const w of open()) {
    const p = w.payment;
    const refs = new Set<string>();
    if (p.structuredReference && isValidRfReference(p.structuredReference)) refs.add(compactRf(p.structuredReference));
    for (const r of findRfReferences(p.reference ?? "")) refs.add(r);
    const known = [...refs].filter((r) => rfIndex.has(r));
    for (const r of refs) {
      if (!rfIndex.has(r))
        w.notes.push({ code: "rf_unknown", message: `RF reference ${r} was not issued by Relance for an open document` });
    }
    if (known.length === 0) continue;
    const ambiguous = known.filter((r) => (rfIndex.get(r) ?? []).length > 1);
    if (ambiguous.length > 0) {
      const docs = ambiguous.flatMap((r) => rfIndex.get(r) ?? []);
      leave(
        w,
        [{ code: "rf_ambiguous", message: `RF reference ${ambiguous[0]} belongs to several documents: ${docs.map(docLabel).join(", ")}` }],
        docs.map((d) => suggest([d], 90, [{ code: "rf_ambiguous", message: `RF reference shared by ${docLabel(d)}` }])),
      );
      continue;
    }
    const rfOf = new Map<MatchDocument, string>();
    for (const r of known) rfOf.set((rfIndex.get(r) as MatchDocument[])[0] as MatchDocument, r);
    const docs = [...rfOf.keys()].sort(byAge);
    const customerIds = new Set(docs.map((d) => idKey(d.customerId)));
    const usable = docs.filter((d) => payable(d, p));
    if (customerIds.size > 1) {
      leave(
        w,
        [{ code: "invoice_number_several_customers", message: "the RF references given belong to documents of several customers" }],
        docs.map((d) => suggest([d], 85, [{ code: "rf", message: `RF reference of ${docLabel(d)}` }])),
      );
      continue;
    }
    const customerId = (docs[0] as MatchDocument).customerId;
    if (usable.length === 0) {
      w.customer = { id: customerId, ambiguous: [], reasons: [] };
      const wrongCurrency = docs.filter((d) => d.currency !== p.currency && owes(d) > 0);
      leave(
        w,
        wrongCurrency.length > 0
          ? [
              {
                code: "currency_mismatch",
                message: `RF reference of ${docs.map(docLabel).join(", ")}, in another currency than the payment`,
              },
            ]
          : [{ code: "rf_paid", message: `RF reference of ${docs.map(docLabel).join(", ")}, which owes nothing any more` }],
        [],
      );
      continue;
    }
    allocate(
      w,
      usable,
      "rf",
      customerId,
      usable.map((d) => ({ code: "rf" as const, message: `RF reference ${rfOf.get(d)} identifies ${docLabel(d)}` })),
    );
  }

  // 2. Invoice numbers in the remittance.
  for (const w of open()) {
    const p = w.payment;
    if (w.hits.length === 0) {
      if (w.givenNumbersUnknown.length > 0) {
        w.notes.push({ code: "invoice_reference_unknown", message: `invoice number(s) ${w.givenNumbersUnknown.join(", ")} unknown` });
      }
      continue;
    }
    const ambiguous = w.hits.filter((h) => new Set(h.docs.map((d) => idKey(d.id))).size > 1);
    if (ambiguous.length > 0) {
      const h = ambiguous[0] as NumberHit;
      leave(
        w,
        [{ code: "invoice_number_ambiguous", message: `"${h.text}" matches several documents: ${h.docs.map(docLabel).join(", ")}` }],
        h.docs.map((d) => suggest([d], 85, [{ code: "invoice_number_ambiguous", message: `"${h.text}" could be ${docLabel(d)}` }])),
      );
      continue;
    }
    const named = [...new Map(w.hits.map((h) => [idKey((h.docs[0] as MatchDocument).id), h.docs[0] as MatchDocument])).values()].sort(
      byAge,
    );
    const usable = named.filter((d) => payable(d, p));
    const paid = named.filter((d) => !payable(d, p));
    const customerIds = new Set(usable.map((d) => idKey(d.customerId)));
    const paidReasons = paid.map((d) => ({
      code: (d.currency !== p.currency ? "currency_mismatch" : "invoice_number_paid") as ReasonCode,
      message:
        d.currency !== p.currency
          ? `${docLabel(d)} is in ${d.currency}, the payment in ${p.currency}`
          : `${docLabel(d)} owes nothing any more`,
    }));
    if (usable.length === 0) {
      const ids = new Set(named.map((d) => idKey(d.customerId)));
      if (ids.size === 1) w.customer = { id: (named[0] as MatchDocument).customerId, ambiguous: [], reasons: [] };
      leave(w, paidReasons, []);
      continue;
    }
    if (customerIds.size > 1) {
      leave(
        w,
        [
          {
            code: "invoice_number_several_customers",
            message: `the invoices named (${usable.map(docLabel).join(", ")}) belong to several customers`,
          },
        ],
        [
          ...usable.map((d) =>
            suggest([d], 80, [{ code: "invoice_number", message: `remittance names ${docLabel(d)} (${customerLabel(d.customerId)})` }]),
          ),
        ],
      );
      continue;
    }
    allocate(w, usable, "invoice_number", (usable[0] as MatchDocument).customerId, [
      ...usable.map((d) => ({ code: "invoice_number" as const, message: `remittance names ${docLabel(d)}` })),
      ...paidReasons,
    ]);
  }

  // 3. Exact amount of one open document of the identified customer.
  for (const w of open()) {
    const p = w.payment;
    if (w.customer.id === null) continue;
    const docs = (docsByCustomer.get(idKey(w.customer.id)) ?? []).filter((d) => payable(d, p));
    const same = docs.filter((d) => owes(d) === p.amount);
    if (same.length === 1) {
      const d = same[0] as MatchDocument;
      allocate(w, [d], "exact_amount", w.customer.id, [
        { code: "exact_amount", message: `the amount is exactly what ${docLabel(d)} owes` },
      ]);
    } else if (same.length > 1) {
      leave(
        w,
        [
          ...w.customer.reasons,
          { code: "exact_amount_ambiguous", message: `${same.length} documents owe exactly this amount: ${same.map(docLabel).join(", ")}` },
        ],
        same.map((d) => suggest([d], 75, [{ code: "exact_amount_ambiguous", message: `${docLabel(d)} owes exactly this amount` }])),
      );
    }
  }

  // 4. Exact sum of several open documents of the identified customer.
  for (const w of open()) {
    const p = w.payment;
    if (w.customer.id === null) continue;
    const all = (docsByCustomer.get(idKey(w.customer.id)) ?? []).filter((d) => payable(d, p));
    if (all.length < 2) continue;
    const docs = all.slice(0, maxSubset);
    const sets = subsetsSummingTo(
      docs.map((d) => owes(d)),
      p.amount,
      3,
    ).map((idx) => idx.map((i) => docs[i] as MatchDocument).sort(byAge));
    const truncated: MatchReason[] =
      all.length > maxSubset
        ? [
            {
              code: "exact_sum_truncated",
              message: `only the ${maxSubset} oldest of ${all.length} open documents were tried for an exact sum`,
            },
          ]
        : [];
    if (sets.length === 1) {
      const set = sets[0] as MatchDocument[];
      allocate(w, set, "exact_sum", w.customer.id, [
        { code: "exact_sum", message: `the amount is exactly what ${set.map(docLabel).join(" + ")} owe together` },
        ...truncated,
      ]);
    } else if (sets.length > 1) {
      leave(
        w,
        [
          ...w.customer.reasons,
          { code: "exact_sum_ambiguous", message: `several sets of documents owe exactly this amount together` },
          ...truncated,
        ],
        sets.map((set) =>
          suggest(set, 70, [{ code: "exact_sum_ambiguous", message: `${set.map(docLabel).join(" + ")} owe this amount together` }]),
        ),
      );
    }
  }

  // 5. Oldest first, for a certain customer and a remittance that names no invoice.
  for (const w of open()) {
    const p = w.payment;
    if (w.customer.id === null || w.namesInvoice) continue;
    const docs = (docsByCustomer.get(idKey(w.customer.id)) ?? []).filter((d) => payable(d, p));
    if (docs.length === 0) continue;
    allocate(w, docs, "oldest_first", w.customer.id, [
      { code: "oldest_first", message: "the remittance names no invoice: the customer's documents are paid oldest due date first" },
    ]);
  }

  // Everything else: to reconcile, with suggestions (what documents owe is final now).
  const byAmount = new Map<string, MatchDocument[]>();
  for (const d of docsByAge) if (owes(d) > 0) pushTo(byAmount, `${d.currency} ${owes(d)}`, d);
  for (const w of order) {
    const p = w.payment;
    if (w.result === null) {
      const reasons: MatchReason[] = [...w.customer.reasons];
      if (w.customer.id === null && w.customer.ambiguous.length === 0) {
        reasons.push({ code: "customer_unknown", message: "the payer is not a known customer (IBAN, name)" });
      }
      leave(w, reasons, []);
    }
    const result = w.result as MatchResult;
    if (result.status === "matched") continue;
    const seen = new Set<string>();
    const suggestions: MatchSuggestion[] = [];
    const add = (s: MatchSuggestion | null) => {
      if (!s) return;
      const k = s.documentIds.map(idKey).sort().join(",");
      if (seen.has(k)) return;
      seen.add(k);
      suggestions.push(s);
    };
    for (const s of w.pending) add(s);
    const customerIds = w.customer.id !== null ? [w.customer.id] : w.customer.ambiguous;
    for (const cid of customerIds) {
      const docs = (docsByCustomer.get(idKey(cid)) ?? []).filter((d) => payable(d, p));
      for (const d of docs) {
        if (owes(d) === p.amount) add(suggest([d], 65, [{ code: "same_amount", message: `${docLabel(d)} owes exactly this amount` }]));
      }
      for (const d of docs.slice(0, maxSuggestions)) {
        add(suggest([d], 40, [{ code: "open_documents", message: `open document of ${customerLabel(cid)}` }]));
      }
    }
    if (customerIds.length === 0) {
      const similar = new Set(names.similar(p.payerName ?? "").map((c) => idKey(c.id)));
      for (const d of byAmount.get(`${p.currency} ${p.amount}`) ?? []) {
        const alike = similar.has(idKey(d.customerId));
        add(
          suggest([d], alike ? 60 : 50, [
            { code: "same_amount", message: `${docLabel(d)} (${customerLabel(d.customerId)}) owes exactly this amount` },
            ...(alike ? [{ code: "name_similar" as const, message: "the payer's name resembles the customer's" }] : []),
          ]),
        );
      }
      for (const cid of similar) {
        const docs = (docsByCustomer.get(cid) ?? []).filter((d) => payable(d, p)).slice(0, maxSuggestions);
        for (const d of docs)
          add(suggest([d], 30, [{ code: "name_similar", message: `the payer's name resembles ${customerLabel(d.customerId)}` }]));
      }
    }
    suggestions.sort((a, b) => b.score - a.score);
    result.suggestions = suggestions.slice(0, maxSuggestions);
    result.reasons = [...result.reasons, ...w.notes];
  }
  return works.map((w) => w.result as MatchResult);
}

function identifyCustomer(
  p: MatchPayment,
  customers: readonly MatchCustomer[],
  byIban: Map<string, MatchCustomer[]>,
  names: CustomerNames,
): { id: Id | null; ambiguous: Id[]; reasons: MatchReason[] } {
  if (p.customerRef) {
    const ref = p.customerRef.trim().toUpperCase();
    const c = customers.filter((x) => x.ref && x.ref.trim().toUpperCase() === ref);
    if (c.length === 1) {
      const only = c[0] as MatchCustomer;
      return {
        id: only.id,
        ambiguous: [],
        reasons: [{ code: "customer_by_ref", message: `customer code ${p.customerRef} is ${only.name}` }],
      };
    }
  }
  if (p.payerIban) {
    const c = byIban.get(normaliseIban(p.payerIban)) ?? [];
    if (c.length === 1) {
      const only = c[0] as MatchCustomer;
      return { id: only.id, ambiguous: [], reasons: [{ code: "customer_by_iban", message: `the payer's IBAN is known for ${only.name}` }] };
    }
    if (c.length > 1) {
      return {
        id: null,
        ambiguous: c.map((x) => x.id),
        reasons: [
          { code: "customer_ambiguous", message: `the payer's IBAN is known for several customers: ${c.map((x) => x.name).join(", ")}` },
        ],
      };
    }
  }
  if (p.payerName) {
    const c = names.same(p.payerName);
    if (c.length === 1) {
      const only = c[0] as MatchCustomer;
      return { id: only.id, ambiguous: [], reasons: [{ code: "customer_by_name", message: `the payer "${p.payerName}" is ${only.name}` }] };
    }
    if (c.length > 1) {
      return {
        id: null,
        ambiguous: c.map((x) => x.id),
        reasons: [
          {
            code: "customer_ambiguous",
            message: `the payer "${p.payerName}" matches several customers: ${c.map((x) => x.name).join(", ")}`,
          },
        ],
      };
    }
  }
  return { id: null, ambiguous: [], reasons: [] };
}
