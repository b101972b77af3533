-- Imports (issue 8): the history of imported files, the original e-invoice files kept with
-- their documents, and the bank accounts customers pay from (to recognise who pays).
-- Primary keys start with org_id, like every tenant table (see 0001_core.sql).

-- One row per file imported into an organisation. A file is known by its SHA-256: the same
-- file imported again for the same kind changes nothing (every record compares equal), so
-- no second row is written; a later import of it that did change something (the data in
-- Relance had changed since) updates this row.
create table import_batches (
  org_id bigint not null references orgs (id) on delete cascade,
  id bigint generated always as identity,
  kind text not null check (kind in ('customers', 'invoices', 'payments')),
  format text not null,
  file_name text not null,
  file_hash text not null check (file_hash ~ '^[0-9a-f]{64}$'),
  file_size bigint not null check (file_size >= 0),
  inserted integer not null default 0,
  updated integer not null default 0,
  skipped integer not null default 0,
  -- Per record type counts (customers, documents, payments, allocations), matching results.
  details jsonb not null default '{}'::jsonb,
  warnings jsonb not null default '[]'::jsonb,
  created_by bigint references users (id) on delete set null,
  actor_label text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  unique (org_id, kind, file_hash)
);
create index import_batches_created on import_batches (org_id, created_at desc, id desc);

-- The original file of an imported e-invoice (Factur-X PDF, UBL or CII XML), kept with its
-- document: the legal original is the file, not what Relance read from it.
create table document_files (
  org_id bigint not null,
  id bigint generated always as identity,
  document_id bigint not null,
  filename text not null,
  media_type text not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  size integer not null check (size >= 0),
  bytes bytea not null,
  import_batch_id bigint,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  unique (org_id, document_id, sha256),
  foreign key (org_id, document_id) references documents (org_id, id) on delete cascade
);

-- IBANs a customer pays from: given by a customer file or an e-invoice, or learnt from a
-- payment matched to the customer with certainty. The payment matching reads them.
create table customer_bank_accounts (
  org_id bigint not null,
  customer_id bigint not null,
  iban text not null check (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$'),
  source text not null default 'import',
  created_at timestamptz not null default now(),
  primary key (org_id, customer_id, iban),
  foreign key (org_id, customer_id) references customers (org_id, id) on delete cascade
);
create index customer_bank_accounts_iban on customer_bank_accounts (org_id, iban);

-- The structured creditor reference (ISO 11649 RF…) a bank gives with a payment: the most
-- certain key of the payment matching.
alter table payments add column structured_reference text;
