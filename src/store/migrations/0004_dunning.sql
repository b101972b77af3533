-- Chase: dunning policies and steps, the per-document record of each step (exactly once),
-- the outbox of messages to deliver, and the customer timeline (activities). DESIGN §6.
-- Primary keys start with org_id; foreign keys carry org_id so a row can never point at
-- another organisation's row.

create table dunning_policies (
  org_id bigint not null references orgs (id) on delete cascade,
  id bigint generated always as identity,
  name text not null,
  -- 'standard' | 'gentle' for the shipped policies (created per org, editable), null otherwise.
  shipped_key text,
  description text not null default '',
  is_default boolean not null default false,
  -- Nothing is sent while the customer's balance is below this amount (cents).
  min_outstanding bigint not null default 0 check (min_outstanding >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  unique (org_id, name),
  unique (org_id, shipped_key)
);
-- At most one default policy per organisation (used by customers without one).
create unique index dunning_policies_default on dunning_policies (org_id) where is_default;

create table dunning_steps (
  org_id bigint not null,
  id bigint generated always as identity,
  policy_id bigint not null,
  position integer not null,
  name text not null,
  -- Days relative to the due date; negative = before the due date.
  offset_days integer not null check (offset_days between -365 and 3650),
  channel text not null check (channel in ('email', 'letter', 'call', 'webhook')),
  -- {"fr": {"subject": "…", "body": "…"}, "en": {…}}: Liquid templates.
  templates jsonb not null default '{}'::jsonb,
  attach_statement boolean not null default false,
  attach_letter boolean not null default false,
  include_penalties boolean not null default false,
  require_approval boolean not null default false,
  min_outstanding bigint check (min_outstanding >= 0),
  -- Steps removed from a policy are archived, not deleted: events still point at them.
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, policy_id) references dunning_policies (org_id, id) on delete cascade
);
create index dunning_steps_policy on dunning_steps (org_id, policy_id, position);

-- A customer may follow a given policy; none means the organisation's default.
alter table customers
  add constraint customers_dunning_policy_fk foreign key (org_id, dunning_policy_id)
  references dunning_policies (org_id, id) on delete set null (dunning_policy_id);
-- Customer-level pause of the chase (documents have their own on_hold_until).
alter table customers add column if not exists on_hold_until date;

create table outbox (
  org_id bigint not null references orgs (id) on delete cascade,
  id bigint generated always as identity,
  customer_id bigint not null,
  policy_id bigint,
  step_id bigint,
  channel text not null check (channel in ('email', 'letter', 'call', 'webhook')),
  -- 'auto' = planned by the engine, 'manual' = "send a reminder now".
  origin text not null default 'auto' check (origin in ('auto', 'manual')),
  status text not null default 'pending'
    check (status in ('awaiting_approval', 'pending', 'sending', 'sent', 'failed', 'cancelled')),
  as_of date not null,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- Lease of the worker that claimed the row ('sending'); expired leases are claimed again.
  claimed_by text,
  locked_until timestamptz,
  -- Deterministic: <dunning-{org}-{id}@{domain}>, the same on every attempt.
  message_id text,
  -- What to send ({"documentIds": […]}), then what was sent (recipients, subject, text, warnings).
  payload jsonb not null default '{}'::jsonb,
  attachment bytea,
  attachment_name text,
  last_error text,
  approved_by bigint references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  sent_at timestamptz,
  primary key (org_id, id),
  foreign key (org_id, customer_id) references customers (org_id, id) on delete cascade,
  foreign key (org_id, step_id) references dunning_steps (org_id, id) on delete set null (step_id)
);
-- The worker's sweep: due rows only.
create index outbox_due on outbox (next_attempt_at) where status in ('pending', 'sending');
create index outbox_customer on outbox (org_id, customer_id, id desc);
create index outbox_status on outbox (org_id, status, id desc);

create table dunning_events (
  org_id bigint not null,
  id bigint generated always as identity,
  document_id bigint not null,
  step_id bigint not null,
  customer_id bigint not null,
  status text not null
    check (status in ('planned', 'awaiting_approval', 'sent', 'failed', 'skipped', 'cancelled')),
  -- Why skipped or cancelled: catch_up, paid, rejected, dispute, promise, hold…
  reason text,
  -- The business day the step fell on, and the run that recorded it.
  scheduled_date date not null,
  as_of date not null,
  outbox_id bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  -- Exactly once: a document goes through a step once, whatever the number of runs.
  unique (org_id, document_id, step_id),
  foreign key (org_id, document_id) references documents (org_id, id) on delete cascade,
  foreign key (org_id, step_id) references dunning_steps (org_id, id) on delete cascade
);
create index dunning_events_outbox on dunning_events (org_id, outbox_id);
create index dunning_events_customer on dunning_events (org_id, customer_id);

-- The customer timeline: every chase action, whoever did it (engine, worker, user, portal).
create table activities (
  org_id bigint not null,
  id bigint generated always as identity,
  customer_id bigint not null,
  document_id bigint,
  kind text not null check (kind in (
    'reminder_sent', 'reminder_failed', 'reminder_cancelled', 'letter_generated', 'link_opened', 'payment',
    'promise', 'promise_kept', 'promise_broken', 'dispute_opened', 'dispute_resolved',
    'note', 'call', 'task', 'task_done', 'paused', 'resumed', 'policy_changed', 'approval', 'webhook'
  )),
  data jsonb not null default '{}'::jsonb,
  actor text not null,
  actor_user_id bigint references users (id) on delete set null,
  at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, customer_id) references customers (org_id, id) on delete cascade,
  foreign key (org_id, document_id) references documents (org_id, id) on delete set null (document_id)
);
create index activities_customer on activities (org_id, customer_id, at desc, id desc);
