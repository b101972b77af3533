-- Core data model (DESIGN §3). Every tenant table carries org_id and its primary key
-- starts with it, so tables can later be distributed by org (Citus) and every foreign key
-- also proves the row belongs to the same organisation.
-- Money: bigint minor units (cents). Calendar dates: date. Instants: timestamptz.

create table orgs (
  id bigint generated always as identity primary key,
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text not null,
  settings jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

-- Users are global so that one person (a chartered accountant, say) can belong to several
-- organisations; what they may do in each is their membership.
create table users (
  id bigint generated always as identity primary key,
  email text not null,
  name text not null default '',
  password_hash text not null,
  language text not null default 'fr' check (language in ('fr', 'en')),
  created_at timestamptz not null default now()
);
create unique index users_email_key on users (lower(email));

create table memberships (
  org_id bigint not null references orgs (id) on delete cascade,
  user_id bigint not null references users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'collector', 'accountant', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
create index memberships_user on memberships (user_id);

create table sessions (
  org_id bigint not null references orgs (id) on delete cascade,
  id bigint generated always as identity,
  token_hash text not null unique,
  user_id bigint not null references users (id) on delete cascade,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  primary key (org_id, id)
);

create table api_keys (
  org_id bigint not null references orgs (id) on delete cascade,
  id bigint generated always as identity,
  name text not null,
  prefix text not null,
  key_hash text not null unique,
  role text not null check (role in ('owner', 'admin', 'collector', 'accountant', 'viewer')),
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  primary key (org_id, id)
);

create table customers (
  org_id bigint not null references orgs (id) on delete cascade,
  id bigint generated always as identity,
  ref text not null,
  name text not null,
  siren text,
  vat_number text,
  email text,
  phone text,
  address text,
  language text not null default 'fr' check (language in ('fr', 'en')),
  payment_terms_days integer not null default 30 check (payment_terms_days between 0 and 365),
  credit_limit bigint check (credit_limit >= 0),
  assigned_user_id bigint references users (id) on delete set null,
  dunning_policy_id bigint,
  status text not null default 'active' check (status in ('active', 'do_not_chase', 'defaulted', 'archived')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  unique (org_id, ref)
);
create index customers_name on customers (org_id, lower(name), id);

create table contacts (
  org_id bigint not null,
  id bigint generated always as identity,
  customer_id bigint not null,
  name text not null default '',
  email text,
  phone text,
  job_title text,
  language text check (language in ('fr', 'en')),
  is_primary boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, customer_id) references customers (org_id, id) on delete cascade
);
create index contacts_customer on contacts (org_id, customer_id);

create table documents (
  org_id bigint not null,
  id bigint generated always as identity,
  kind text not null check (kind in ('invoice', 'credit_note')),
  number text not null,
  customer_id bigint not null,
  issue_date date not null,
  due_date date not null,
  currency char(3) not null default 'EUR',
  total bigint not null,
  tax bigint not null default 0,
  source text not null default 'manual',
  lifecycle_status text,
  disputed boolean not null default false,
  on_hold_until date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  unique (org_id, number),
  foreign key (org_id, customer_id) references customers (org_id, id),
  -- A credit note's total is stored negative, an invoice's positive (DESIGN §3).
  check ((kind = 'invoice' and total >= 0) or (kind = 'credit_note' and total <= 0)),
  check (due_date >= issue_date)
);
create index documents_customer on documents (org_id, customer_id, due_date);
create index documents_due on documents (org_id, due_date);
create index documents_issue on documents (org_id, issue_date);

create table payments (
  org_id bigint not null,
  id bigint generated always as identity,
  customer_id bigint,
  date date not null,
  amount bigint not null check (amount > 0),
  currency char(3) not null default 'EUR',
  reference text,
  bank_tx_id text,
  payer_name text,
  payer_iban text,
  source text not null default 'manual',
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  unique (org_id, bank_tx_id),
  foreign key (org_id, customer_id) references customers (org_id, id)
);
create index payments_customer on payments (org_id, customer_id, date);
create index payments_date on payments (org_id, date);

-- The allocation date is the payment's date: what a document still owes at date D is
-- total − allocations dated ≤ D − write-offs dated ≤ D.
create table allocations (
  org_id bigint not null,
  id bigint generated always as identity,
  payment_id bigint not null,
  document_id bigint not null,
  amount bigint not null check (amount > 0),
  date date not null,
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, payment_id) references payments (org_id, id) on delete cascade,
  foreign key (org_id, document_id) references documents (org_id, id) on delete cascade
);
create index allocations_document on allocations (org_id, document_id, date);
create index allocations_payment on allocations (org_id, payment_id);

create table write_offs (
  org_id bigint not null,
  id bigint generated always as identity,
  document_id bigint not null,
  date date not null,
  amount bigint not null check (amount <> 0),
  reason text not null default '',
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, document_id) references documents (org_id, id) on delete cascade
);
create index write_offs_document on write_offs (org_id, document_id, date);

create table disputes (
  org_id bigint not null,
  id bigint generated always as identity,
  document_id bigint not null,
  reason text not null,
  status text not null default 'open' check (status in ('open', 'resolved', 'rejected')),
  opened_at date not null,
  resolved_at date,
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, document_id) references documents (org_id, id) on delete cascade
);
create index disputes_document on disputes (org_id, document_id);

create table promises (
  org_id bigint not null,
  id bigint generated always as identity,
  customer_id bigint not null,
  amount bigint not null check (amount > 0),
  promised_date date not null,
  status text not null default 'pending' check (status in ('pending', 'kept', 'broken', 'cancelled')),
  note text,
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, customer_id) references customers (org_id, id) on delete cascade
);
create index promises_customer on promises (org_id, customer_id, promised_date);

create table notes (
  org_id bigint not null,
  id bigint generated always as identity,
  customer_id bigint not null,
  document_id bigint,
  author_user_id bigint references users (id) on delete set null,
  body text not null,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, customer_id) references customers (org_id, id) on delete cascade,
  foreign key (org_id, document_id) references documents (org_id, id) on delete cascade
);
create index notes_customer on notes (org_id, customer_id, created_at);

create table tasks (
  org_id bigint not null,
  id bigint generated always as identity,
  customer_id bigint,
  document_id bigint,
  kind text not null default 'follow_up' check (kind in ('call', 'follow_up', 'letter', 'other')),
  title text not null,
  due_date date,
  assigned_user_id bigint references users (id) on delete set null,
  status text not null default 'open' check (status in ('open', 'done', 'cancelled')),
  result text,
  created_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  primary key (org_id, id),
  foreign key (org_id, customer_id) references customers (org_id, id) on delete cascade,
  foreign key (org_id, document_id) references documents (org_id, id) on delete cascade
);
create index tasks_open on tasks (org_id, status, due_date);

create table audit_log (
  org_id bigint not null references orgs (id) on delete cascade,
  id bigint generated always as identity,
  at timestamptz not null default now(),
  actor_user_id bigint references users (id) on delete set null,
  actor_api_key_id bigint,
  actor_label text not null,
  action text not null,
  entity text not null,
  entity_id text,
  data jsonb not null default '{}'::jsonb,
  primary key (org_id, id)
);
create index audit_log_at on audit_log (org_id, at desc);
