import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/**
 * Typed tables for Kysely, mirroring migrations/*.sql. bigint columns are read as JS numbers
 * (see connect.ts: every int8 we store — cents, ids, counts — stays below 2^53).
 * `date` columns are read as `YYYY-MM-DD` strings, never as Date objects.
 */
type Id = Generated<number>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = ColumnType<Record<string, unknown>, string | undefined, string>;

export type Role = "owner" | "admin" | "collector" | "accountant" | "viewer";
export type Language = "fr" | "en";

export interface OrgsTable {
  id: Id;
  slug: string;
  name: string;
  settings: Json;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: Id;
  email: string;
  name: Generated<string>;
  password_hash: string;
  language: Generated<Language>;
  created_at: CreatedAt;
}

export interface MembershipsTable {
  org_id: number;
  user_id: number;
  role: Role;
  created_at: CreatedAt;
}

export interface SessionsTable {
  org_id: number;
  id: Id;
  token_hash: string;
  user_id: number;
  expires_at: Timestamp;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  org_id: number;
  id: Id;
  name: string;
  prefix: string;
  key_hash: string;
  role: Role;
  created_by: number | null;
  created_at: CreatedAt;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export type CustomerStatus = "active" | "do_not_chase" | "defaulted" | "archived";

export interface CustomersTable {
  org_id: number;
  id: Id;
  ref: string;
  name: string;
  siren: string | null;
  vat_number: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  language: Generated<Language>;
  payment_terms_days: Generated<number>;
  credit_limit: number | null;
  assigned_user_id: number | null;
  dunning_policy_id: number | null;
  /** Contractual late-payment rate in basis points (0006_penalty_terms.sql); null = the org's, else ECB + 10 points. */
  penalty_rate_bp: ColumnType<number | null, number | null | undefined, number | null>;
  status: Generated<CustomerStatus>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ContactsTable {
  org_id: number;
  id: Id;
  customer_id: number;
  name: Generated<string>;
  email: string | null;
  phone: string | null;
  job_title: string | null;
  language: Language | null;
  is_primary: Generated<boolean>;
  created_at: CreatedAt;
}

export type DocumentKind = "invoice" | "credit_note";

export interface DocumentsTable {
  org_id: number;
  id: Id;
  kind: DocumentKind;
  number: string;
  customer_id: number;
  issue_date: string;
  due_date: string;
  currency: Generated<string>;
  total: number;
  tax: Generated<number>;
  source: Generated<string>;
  lifecycle_status: string | null;
  disputed: Generated<boolean>;
  on_hold_until: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface PaymentsTable {
  org_id: number;
  id: Id;
  customer_id: number | null;
  date: string;
  amount: number;
  currency: Generated<string>;
  reference: string | null;
  bank_tx_id: string | null;
  payer_name: string | null;
  payer_iban: string | null;
  source: Generated<string>;
  created_at: CreatedAt;
}

export interface AllocationsTable {
  org_id: number;
  id: Id;
  payment_id: number;
  document_id: number;
  amount: number;
  date: string;
  created_by: number | null;
  created_at: CreatedAt;
}

export interface WriteOffsTable {
  org_id: number;
  id: Id;
  document_id: number;
  date: string;
  amount: number;
  reason: Generated<string>;
  /** The other document of a credit note applied to an invoice (migration 0012), null for a write-off. */
  applied_document_id: Generated<number | null>;
  created_by: number | null;
  created_at: CreatedAt;
}

export interface DisputesTable {
  org_id: number;
  id: Id;
  document_id: number;
  reason: string;
  status: Generated<"open" | "resolved" | "rejected">;
  opened_at: string;
  resolved_at: string | null;
  created_by: number | null;
  created_at: CreatedAt;
}

export interface PromisesTable {
  org_id: number;
  id: Id;
  customer_id: number;
  amount: number;
  promised_date: string;
  status: Generated<"pending" | "kept" | "broken" | "cancelled">;
  note: string | null;
  created_by: number | null;
  created_at: CreatedAt;
}

export interface NotesTable {
  org_id: number;
  id: Id;
  customer_id: number;
  document_id: number | null;
  author_user_id: number | null;
  body: string;
  created_at: CreatedAt;
}

export interface TasksTable {
  org_id: number;
  id: Id;
  customer_id: number | null;
  document_id: number | null;
  kind: Generated<"call" | "follow_up" | "letter" | "other">;
  title: string;
  due_date: string | null;
  assigned_user_id: number | null;
  status: Generated<"open" | "done" | "cancelled">;
  result: string | null;
  created_by: number | null;
  created_at: CreatedAt;
  completed_at: NullableTimestamp;
}

export interface AuditLogTable {
  org_id: number;
  id: Id;
  at: CreatedAt;
  actor_user_id: number | null;
  actor_api_key_id: number | null;
  actor_label: string;
  action: string;
  entity: string;
  entity_id: string | null;
  data: Json;
}

export interface Database {
  orgs: OrgsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  customers: CustomersTable;
  contacts: ContactsTable;
  documents: DocumentsTable;
  payments: PaymentsTable;
  allocations: AllocationsTable;
  write_offs: WriteOffsTable;
  disputes: DisputesTable;
  promises: PromisesTable;
  notes: NotesTable;
  tasks: TasksTable;
  audit_log: AuditLogTable;
  customer_risk: CustomerRiskTable;
}

/** Migration 0005: the last risk scores (services/risk-snapshot.ts). */
export interface CustomerRiskTable {
  org_id: number;
  customer_id: number;
  score: number;
  previous_score: number;
  rose: boolean;
  receivables: number;
  factors: ColumnType<unknown, string, string>;
}

export type Customer = Selectable<CustomersTable>;
export type NewCustomer = Insertable<CustomersTable>;
export type CustomerUpdate = Updateable<CustomersTable>;
export type Document = Selectable<DocumentsTable>;
export type NewDocument = Insertable<DocumentsTable>;
export type Payment = Selectable<PaymentsTable>;
