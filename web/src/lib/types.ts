/** Shapes of the JSON API (see src/api/routes/*.ts). Money is a decimal string; dates are YYYY-MM-DD. */

export interface CustomerListItem {
  id: number;
  ref: string;
  name: string;
  email: string | null;
  language: string;
  status: string;
  paymentTermsDays: number;
  assignedUserId: number | null;
  outstanding: string;
  overdue: string;
  openDocuments: number;
  /** From the risk snapshot of this date, null when none was made. */
  risk: number | null;
  riskRose: boolean | null;
  [extra: string]: unknown;
}

export interface Contact {
  id: number;
  name: string;
  email: string | null;
  phone: string | null;
  jobTitle: string | null;
  isPrimary: boolean;
}

export interface CustomerDetail {
  id: number;
  ref: string;
  name: string;
  siren: string | null;
  vatNumber: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  language: string;
  paymentTermsDays: number;
  creditLimit: string | null;
  assignedUserId: number | null;
  status: string;
  outstanding: string;
  overdue: string;
  openDocuments: number;
  lastPayment: { id: number; date: string; amount: string; reference: string | null } | null;
  contacts: Contact[];
  [extra: string]: unknown;
}

export interface DocumentItem {
  id: number;
  kind: "invoice" | "credit_note";
  number: string;
  customer: { id: number; ref: string; name: string };
  issueDate: string;
  dueDate: string;
  currency: string;
  total: string;
  tax: string;
  outstanding: string;
  daysPastDue: number;
  status: "paid" | "overdue" | "open";
  disputed: boolean;
  onHoldUntil: string | null;
  lifecycleStatus: string | null;
  source: string;
  [extra: string]: unknown;
}

export interface DocumentDetail extends DocumentItem {
  allocations: { id: number; paymentId: number; amount: string; date: string; reference: string | null }[];
  writeOffs: {
    id: number;
    date: string;
    amount: string;
    reason: string | null;
    /** A credit note applied to an invoice: the other document. */
    appliedDocument?: { id: number; number: string; kind: "invoice" | "credit_note" } | null;
  }[];
  disputes: { id: number; reason: string; status: string; openedAt: string; resolvedAt: string | null }[];
}

export interface PaymentItem {
  id: number;
  customer: { id: number; name: string } | null;
  date: string;
  amount: string;
  unallocated: string;
  currency: string;
  reference: string | null;
  bankTxId: string | null;
  payerName: string | null;
  source: string;
}

export interface Member {
  id: number;
  email: string;
  name: string;
  language: string;
  role: string;
  joinedAt: string;
}
