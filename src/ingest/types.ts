import type { IsoDate } from "../domain/dates.js";
import type { Cents } from "../domain/money.js";

/**
 * What every reader produces, whatever the file format: the import service only ever
 * sees these records. Amounts are integer cents; dates are calendar dates.
 */

/** Where a record came from in its file, for error messages ("line 12, due_date: …"). */
export interface SourcePosition {
  /** 1-based line (CSV, FEC, CFONB, MT940) or entry index (XML) in the file. */
  line: number | null;
}

export interface ImportedParty {
  /** The company's own code for the customer (CSV code_client, FEC CompAuxNum, buyer id). */
  ref: string | null;
  name: string;
  siren: string | null;
  vatNumber: string | null;
  email: string | null;
  language?: "fr" | "en";
  /** Buyer's bank account, used to recognise who pays. */
  iban?: string | null;
  paymentTermsDays?: number | null;
  /** Customer files (CSV/XLSX) may also give these. */
  phone?: string | null;
  address?: string | null;
  creditLimit?: Cents | null;
}

export interface ImportedCustomer extends SourcePosition, ImportedParty {}

export interface ImportedInvoice extends SourcePosition {
  number: string;
  kind: "invoice" | "credit_note";
  issueDate: IsoDate;
  /** Null when the file gives none: the customer's payment terms apply. */
  dueDate: IsoDate | null;
  currency: string;
  /** Total incl. tax (EN 16931 BT-112); negative for a credit note. */
  total: Cents;
  tax: Cents | null;
  /** Already paid on it (BT-113 prepaid, CSV amount_paid): recorded as an allocation. */
  paid: Cents;
  /** When `paid` was paid, when the file says (CSV payment_date column); else the import date. */
  paidDate?: IsoDate | null;
  customer: ImportedParty;
  /** e-invoices: the original file, kept attached to the document. */
  original?: { filename: string; mediaType: string; bytes: Uint8Array } | null;
  /** Document references this credit note corrects (BT-25), when known. */
  precedingInvoices?: string[];
}

export interface ImportedPayment extends SourcePosition {
  date: IsoDate;
  /** Positive: money received. Readers skip outgoing (debit) entries. */
  amount: Cents;
  currency: string;
  /** Free remittance text (camt Ustrd, MT940 :86:, CFONB libellé, CSV libellé). */
  reference: string | null;
  /** Structured creditor reference (ISO 11649 RF…), when the bank gives one. */
  structuredReference: string | null;
  /** The bank's unique id of the entry: re-importing the same statement never duplicates. */
  bankTxId: string | null;
  payerName: string | null;
  payerIban: string | null;
  /** Given by a CSV export: the customer and invoice(s) the payment is for. */
  customerRef?: string | null;
  invoiceNumbers?: string[];
}
