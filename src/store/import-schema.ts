import type { ColumnType, Generated } from "kysely";

/**
 * Kysely types of the tables of migrations/0002_import.sql, merged into `Database` (and the
 * column added to `payments`) by declaration merging, so that schema.ts stays as it is.
 */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | undefined, string>;

export interface ImportBatchesTable {
  org_id: number;
  id: Generated<number>;
  kind: "customers" | "invoices" | "payments";
  format: string;
  file_name: string;
  file_hash: string;
  file_size: number;
  inserted: Generated<number>;
  updated: Generated<number>;
  skipped: Generated<number>;
  details: Json<Record<string, unknown>>;
  warnings: Json<string[]>;
  created_by: number | null;
  actor_label: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface DocumentFilesTable {
  org_id: number;
  id: Generated<number>;
  document_id: number;
  filename: string;
  media_type: string;
  sha256: string;
  size: number;
  bytes: Uint8Array;
  import_batch_id: number | null;
  created_at: CreatedAt;
}

export interface CustomerBankAccountsTable {
  org_id: number;
  customer_id: number;
  iban: string;
  source: Generated<string>;
  created_at: CreatedAt;
}

declare module "./schema.js" {
  interface Database {
    import_batches: ImportBatchesTable;
    document_files: DocumentFilesTable;
    customer_bank_accounts: CustomerBankAccountsTable;
  }
  interface PaymentsTable {
    structured_reference: ColumnType<string | null, string | null | undefined, string | null>;
  }
}
