/**
 * FEC → customers, invoices, credit notes, payments and their allocations, for import.
 * Pure: reads through `scanFec` (src/domain/fec.ts), the one FEC parser.
 *
 * Entries are JournalCode + EcritureNum + EcritureDate (the date keeps a file that numbers
 * every entry `0` from merging a whole journal). What an entry is comes from the accounts
 * it touches, not from its journal code:
 * - a **sale** touches 70*: on each customer (411 auxiliary account) and PieceRef, a net
 *   debit is an invoice, a net credit a credit note (when the entry also touches a
 *   treasury account — a cash sale — its 411 credits are payments instead);
 * - a **receipt** touches a treasury account (51* banks and cheques to cash, 53* cash) and
 *   no 70*: a net credit on a customer is a payment; a net debit (refund, bounced payment)
 *   is left out with a warning;
 * - an **opening** entry (à-nouveaux: the one kind told by its journal's code or name, since
 *   it touches banks too) carries last year's open items: each 411 debit line is an
 *   invoice, each 411 credit line an unapplied payment;
 * - anything else touching 411 (reclassifications, write-offs…) is left out, with a warning.
 * Invoice numbers are the PieceRef; when several documents share one PieceRef (monthly
 * piece numbers, RAN), the EcritureNum, then the customer, then the line tell them apart.
 * Due dates are not in a FEC: null, so the customer's payment terms apply.
 * Lettering (EcritureLet): within one lettering code on one customer, payments are
 * allocated to invoices oldest first, then credit notes are applied to what the invoices
 * still owe, oldest first (an "imputation d'avoir": no money moves).
 */

import { type FecFormat, type FecLine, isCustomerAccount, isOutputVatAccount, isSalesAccount, scanFec } from "../domain/fec.js";
import type { Cents } from "../domain/money.js";
import type { ImportedCustomer, ImportedInvoice, ImportedPayment } from "./types.js";

export interface FecAllocation {
  /** `bankTxId` of the payment. */
  paymentKey: string;
  invoiceNumber: string;
  amount: Cents;
}

/** A credit note applied to an invoice by their common lettering. */
export interface FecCreditApplication {
  creditNoteNumber: string;
  invoiceNumber: string;
  /** Positive: what the invoice no longer owes (and the credit note no longer credits). */
  amount: Cents;
  /** The later of the two documents' dates. */
  date: string;
}

export interface FecImport {
  format: FecFormat;
  customers: ImportedCustomer[];
  /** Invoices and credit notes (negative totals). */
  invoices: ImportedInvoice[];
  payments: ImportedPayment[];
  allocations: FecAllocation[];
  creditApplications: FecCreditApplication[];
  warnings: string[];
  stats: {
    lines: number;
    entries: number;
    sales: number;
    receipts: number;
    openings: number;
    ignored: number;
  };
}

/** Banks (512), cheques and card slips to cash (511), other banks (514–519), cash (53). */
export const isTreasuryAccount = (a: string) => a.startsWith("51") || a.startsWith("53");

const OPENING_JOURNAL = /^(a?n|ano|ran|ouv|ad)$/i;
const OPENING_LABEL = /nouveau|ouverture|report/i;

interface CustomerLine {
  line: number;
  auxKey: string;
  pieceRef: string;
  pieceDate: string | null;
  ecritureLib: string;
  amount: Cents; // debit − credit
  lettering: string;
}

interface Entry {
  journalCode: string;
  journalLib: string;
  ecritureNum: string;
  date: string;
  firstLine: number;
  sales: boolean;
  treasury: boolean;
  outputVat: Cents; // Σ(C − D) on 4457*
  lines: CustomerLine[];
}

interface Part {
  amount: Cents;
  lettering: string;
}

interface DocumentDraft {
  base: string;
  entry: Entry;
  auxKey: string;
  kind: "invoice" | "credit_note";
  total: Cents;
  tax: Cents | null;
  issueDate: string;
  line: number;
  label: string;
  parts: Part[];
  number?: string;
}

interface PaymentDraft {
  key: string;
  entry: Entry;
  auxKey: string;
  amount: Cents;
  date: string;
  line: number;
  label: string;
  parts: Part[];
}

const clean = (s: string) => s.replace(/\s+/g, " ").trim();

/** Reads a FEC for import. Throws `FecError` (with line and column) on an unreadable file. */
export function readFecImport(input: string | Uint8Array): FecImport {
  const scan = scanFec(input);
  const entries = new Map<string, Entry>();
  const customers = new Map<string, ImportedCustomer>();
  let lineCount = 0;
  let noAux = 0;
  for (const l of scan.lines) {
    lineCount++;
    const key = `${l.journalCode}\u0000${l.ecritureNum}\u0000${l.ecritureDate}`;
    let e = entries.get(key);
    if (!e) {
      e = {
        journalCode: l.journalCode,
        journalLib: l.journalLib,
        ecritureNum: l.ecritureNum,
        date: l.ecritureDate,
        firstLine: l.line,
        sales: false,
        treasury: false,
        outputVat: 0,
        lines: [],
      };
      entries.set(key, e);
    }
    const a = l.compteNum;
    if (isSalesAccount(a)) e.sales = true;
    if (isTreasuryAccount(a)) e.treasury = true;
    if (isOutputVatAccount(a)) e.outputVat += l.credit - l.debit;
    if (isCustomerAccount(a)) {
      const auxKey = l.compAuxNum || a;
      if (!l.compAuxNum) noAux++;
      const name = clean(l.compAuxNum ? l.compAuxLib || l.compteLib : l.compteLib) || auxKey;
      const known = customers.get(auxKey);
      if (!known) {
        customers.set(auxKey, { line: l.line, ref: auxKey, name, siren: null, vatNumber: null, email: null });
      } else if (known.name === auxKey && name !== auxKey) known.name = name;
      e.lines.push(customerLine(l, auxKey));
    }
  }

  const warnings: string[] = [];
  const documents: DocumentDraft[] = [];
  const payments: PaymentDraft[] = [];
  let sales = 0;
  let receipts = 0;
  let openings = 0;
  let ignored = 0;
  let ignoredAmount = 0;
  let refunds = 0;
  let refundAmount = 0;

  for (const e of entries.values()) {
    if (e.lines.length === 0) continue;
    if (OPENING_JOURNAL.test(e.journalCode) || OPENING_LABEL.test(e.journalLib)) {
      openings++;
      const seen = new Map<string, number>();
      for (const l of e.lines) {
        if (l.amount > 0) {
          documents.push({
            base: l.pieceRef || `${e.journalCode}${e.ecritureNum}`,
            entry: e,
            auxKey: l.auxKey,
            kind: "invoice",
            total: l.amount,
            tax: null,
            issueDate: l.pieceDate ?? e.date,
            line: l.line,
            label: l.ecritureLib,
            parts: [{ amount: l.amount, lettering: l.lettering }],
          });
        } else if (l.amount < 0) {
          const n = (seen.get(l.auxKey) ?? 0) + 1;
          seen.set(l.auxKey, n);
          payments.push({
            key: `fec:${e.journalCode}:${e.ecritureNum}:${e.date}:${l.auxKey}:${n}`,
            entry: e,
            auxKey: l.auxKey,
            amount: -l.amount,
            date: e.date,
            line: l.line,
            label: l.ecritureLib,
            parts: [{ amount: -l.amount, lettering: l.lettering }],
          });
        }
      }
    } else if (e.sales) {
      sales++;
      const byItem = new Map<string, CustomerLine[]>();
      const received: CustomerLine[] = [];
      for (const cl of e.lines) {
        if (e.treasury && cl.amount < 0) received.push(cl);
        else pushTo(byItem, `${cl.auxKey}\u0000${cl.pieceRef}`, cl);
      }
      const items = [...byItem.values()];
      for (const lines of items) {
        const total = sum(lines.map((l) => l.amount));
        if (total === 0) continue;
        const first = lines[0] as CustomerLine;
        documents.push({
          base: first.pieceRef || `${e.journalCode}${e.ecritureNum}`,
          entry: e,
          auxKey: first.auxKey,
          kind: total > 0 ? "invoice" : "credit_note",
          total,
          tax: items.length === 1 ? (total > 0 ? e.outputVat : -Math.abs(e.outputVat) || 0) : null,
          issueDate: first.pieceDate ?? e.date,
          line: first.line,
          label: first.ecritureLib,
          parts: lines.map((l) => ({ amount: Math.abs(l.amount), lettering: l.lettering })),
        });
      }
      addPayments(e, received, payments);
    } else if (e.treasury) {
      receipts++;
      const credits = e.lines.filter((l) => l.amount < 0);
      const debits = e.lines.filter((l) => l.amount > 0);
      // Net per customer: a receipt and its correction in one entry make one payment.
      const byAux = new Map<string, CustomerLine[]>();
      for (const l of [...credits, ...debits]) pushTo(byAux, l.auxKey, l);
      for (const lines of byAux.values()) {
        const net = -sum(lines.map((l) => l.amount));
        if (net > 0) addPayments(e, lines, payments);
        else if (net < 0) {
          refunds++;
          refundAmount -= net;
        }
      }
    } else {
      ignored++;
      ignoredAmount += sum(e.lines.map((l) => Math.abs(l.amount)));
    }
  }

  numberDocuments(documents, warnings);
  if (refunds > 0)
    warnings.push(
      `${refunds} bank debit${refunds > 1 ? "s" : ""} on customer accounts (refunds, bounced payments; ${money(refundAmount)} in all) ${refunds > 1 ? "were" : "was"} not imported`,
    );
  if (ignored > 0)
    warnings.push(
      `${ignored} entr${ignored > 1 ? "ies" : "y"} on customer accounts that ${ignored > 1 ? "are" : "is"} neither a sale, a receipt nor an opening entry (reclassifications, write-offs…; ${money(ignoredAmount)} of 411 lines) ${ignored > 1 ? "were" : "was"} not imported`,
    );
  if (noAux > 0)
    warnings.push(
      `${noAux} line${noAux > 1 ? "s" : ""} on 411 without an auxiliary account (CompAuxNum): the account number is used as the customer`,
    );

  const { allocations, creditApplications } = allocateByLettering(documents, payments);
  const invoices: ImportedInvoice[] = documents.map((d) => {
    const c = customers.get(d.auxKey) as ImportedCustomer;
    return {
      line: d.line,
      number: d.number as string,
      kind: d.kind,
      issueDate: d.issueDate,
      dueDate: null,
      currency: "EUR",
      total: d.total,
      tax: d.tax,
      paid: 0,
      customer: { ref: c.ref, name: c.name, siren: null, vatNumber: null, email: null },
    };
  });
  const importedPayments: ImportedPayment[] = payments.map((p) => {
    const c = customers.get(p.auxKey) as ImportedCustomer;
    return {
      line: p.line,
      date: p.date,
      amount: p.amount,
      currency: "EUR",
      reference: clean(p.label) || null,
      structuredReference: null,
      bankTxId: p.key,
      payerName: c.name,
      payerIban: null,
      customerRef: c.ref,
      invoiceNumbers: [],
    };
  });
  return {
    format: scan.format,
    customers: [...customers.values()],
    invoices,
    payments: importedPayments,
    allocations,
    creditApplications,
    warnings,
    stats: { lines: lineCount, entries: entries.size, sales, receipts, openings, ignored },
  };
}

function customerLine(l: FecLine, auxKey: string): CustomerLine {
  return {
    line: l.line,
    auxKey,
    pieceRef: clean(l.pieceRef),
    pieceDate: l.pieceDate,
    ecritureLib: l.ecritureLib,
    amount: l.debit - l.credit,
    lettering: l.ecritureLet,
  };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const money = (c: Cents) => `${(c / 100).toFixed(2)} €`;

/** One payment per customer of a receipt entry. */
function addPayments(e: Entry, lines: CustomerLine[], out: PaymentDraft[]): void {
  const byAux = new Map<string, CustomerLine[]>();
  for (const l of lines) pushTo(byAux, l.auxKey, l);
  for (const [auxKey, ls] of byAux) {
    const amount = -sum(ls.map((l) => l.amount));
    if (amount <= 0) continue;
    const first = ls[0] as CustomerLine;
    out.push({
      key: `fec:${e.journalCode}:${e.ecritureNum}:${e.date}:${auxKey}`,
      entry: e,
      auxKey,
      amount,
      date: e.date,
      line: first.line,
      label: first.ecritureLib,
      // Lettering per line: a receipt may settle items of several lettering groups.
      parts: ls.map((l) => ({ amount: -l.amount, lettering: l.lettering })).filter((p) => p.amount > 0),
    });
  }
}

/**
 * Gives every document a unique number: its PieceRef when no other document shares it;
 * otherwise the first of `ref EcritureNum`, `ref EcritureNum customer`, `ref … line` that
 * tells the sharing documents apart.
 */
function numberDocuments(docs: DocumentDraft[], warnings: string[]): void {
  const byBase = new Map<string, DocumentDraft[]>();
  for (const d of docs) pushTo(byBase, d.base, d);
  const used = new Set<string>();
  let shared = 0;
  for (const [base, group] of byBase) {
    if (group.length === 1) {
      (group[0] as DocumentDraft).number = base;
      used.add(base);
    }
  }
  const namers: ((d: DocumentDraft, base: string) => string)[] = [
    (d, b) => `${b}-${d.entry.ecritureNum}`,
    (d, b) => `${b}-${d.entry.ecritureNum}-${d.auxKey}`,
    (d, b) => `${b}-${d.entry.ecritureNum}-${d.auxKey}-L${d.line}`,
  ];
  for (const [base, group] of byBase) {
    if (group.length === 1) continue;
    shared++;
    for (const namer of namers) {
      const names = group.map((d) => namer(d, base));
      const last = namer === namers[namers.length - 1];
      if (last || (new Set(names).size === names.length && names.every((n) => !used.has(n)))) {
        group.forEach((d, i) => {
          d.number = names[i] as string;
          used.add(d.number);
        });
        break;
      }
    }
  }
  if (shared > 0)
    warnings.push(
      `${shared} PieceRef value${shared > 1 ? "s are" : " is"} shared by several documents: their numbers were made unique with the entry number (EcritureNum), the customer or the line`,
    );
}

/**
 * Spends `amount` on the open invoices of a lettering group, oldest first (the list is
 * sorted), taking it off what each still owes; `take` gets each part spent.
 */
function spendOldestFirst(
  open: { doc: DocumentDraft; left: Cents }[] | undefined,
  amount: Cents,
  take: (doc: DocumentDraft, amount: Cents) => void,
): void {
  let left = amount;
  for (const o of open ?? []) {
    if (left === 0) break;
    if (o.left === 0) continue;
    const spent = Math.min(left, o.left);
    o.left -= spent;
    left -= spent;
    take(o.doc, spent);
  }
}

/**
 * Within one (customer, lettering code): each payment to the oldest invoices first, then
 * each credit note (oldest first) to what the oldest invoices still owe.
 */
function allocateByLettering(
  docs: DocumentDraft[],
  payments: PaymentDraft[],
): { allocations: FecAllocation[]; creditApplications: FecCreditApplication[] } {
  interface Open {
    doc: DocumentDraft;
    left: Cents;
  }
  const invoices = new Map<string, Open[]>();
  for (const d of docs) {
    if (d.kind !== "invoice") continue;
    for (const p of d.parts) {
      if (!p.lettering) continue;
      pushTo(invoices, `${d.auxKey}\u0000${p.lettering}`, { doc: d, left: p.amount });
    }
  }
  for (const list of invoices.values())
    list.sort((a, b) => (a.doc.issueDate < b.doc.issueDate ? -1 : a.doc.issueDate > b.doc.issueDate ? 1 : a.doc.line - b.doc.line));
  const parts = payments
    .flatMap((p) => p.parts.filter((x) => x.lettering).map((x) => ({ payment: p, part: x })))
    .sort((a, b) => (a.payment.date < b.payment.date ? -1 : a.payment.date > b.payment.date ? 1 : a.payment.line - b.payment.line));
  const out = new Map<string, FecAllocation>();
  for (const { payment, part } of parts) {
    spendOldestFirst(invoices.get(`${payment.auxKey}\u0000${part.lettering}`), part.amount, (doc, amount) => {
      const key = `${payment.key}\u0000${doc.number}`;
      const existing = out.get(key);
      if (existing) existing.amount += amount;
      else out.set(key, { paymentKey: payment.key, invoiceNumber: doc.number as string, amount });
    });
  }
  const credits = docs
    .filter((d) => d.kind === "credit_note")
    .sort((a, b) => (a.issueDate < b.issueDate ? -1 : a.issueDate > b.issueDate ? 1 : a.line - b.line));
  const applied = new Map<string, FecCreditApplication>();
  for (const cn of credits) {
    for (const part of cn.parts) {
      if (!part.lettering) continue;
      spendOldestFirst(invoices.get(`${cn.auxKey}\u0000${part.lettering}`), part.amount, (doc, amount) => {
        const key = `${cn.number}\u0000${doc.number}`;
        const existing = applied.get(key);
        if (existing) existing.amount += amount;
        else
          applied.set(key, {
            creditNoteNumber: cn.number as string,
            invoiceNumber: doc.number as string,
            amount,
            date: [cn.issueDate, doc.issueDate].sort()[1] as string, // the later of two ISO dates
          });
      });
    }
  }
  return { allocations: [...out.values()], creditApplications: [...applied.values()] };
}
