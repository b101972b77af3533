-- Figures that need the whole organisation and are read far more often than the ledger
-- changes, kept until the ledger changes (services/snapshots.ts):
--   risk           the risk score of every customer (customer_risk), so that the customer
--                  list can filter and sort by risk without scoring 100 000 customers;
--   delay_profile  each customer's payment delay profile (customer_delay_profiles), so
--                  that the cash forecast does not re-read a year of paid invoices.
-- A snapshot is made for one as-of date. Any write to a table they are computed from
-- deletes the organisation's snapshots (statement triggers below); the next read rebuilds.
-- The three tables are a cache: unlogged (no WAL to write on each rebuild; emptied together
-- after a crash, which only means a rebuild) and without foreign keys to check on each row
-- (a row of a deleted customer joins nothing and goes with the next rebuild).

create unlogged table snapshots (
  org_id bigint not null,
  kind text not null check (kind in ('risk', 'delay_profile')),
  as_of date not null,
  computed_at timestamptz not null default now(),
  -- Figures of the whole organisation that go with the rows (e.g. its own delay profile).
  data jsonb not null default '{}',
  primary key (org_id, kind)
);

create unlogged table customer_risk (
  org_id bigint not null,
  customer_id bigint not null,
  score smallint not null check (score between 0 and 100),
  previous_score smallint not null check (previous_score between 0 and 100),
  rose boolean not null,
  factors jsonb not null,
  primary key (org_id, customer_id)
);
create index customer_risk_score on customer_risk (org_id, score desc);

-- Every customer: its own profile, or the organisation's when it paid nothing in the
-- profile's year; doubtful = its receivables are not expected (status defaulted).
create unlogged table customer_delay_profiles (
  org_id bigint not null,
  customer_id bigint not null,
  shift integer not null,
  spread integer not null check (spread >= 0),
  doubtful boolean not null,
  primary key (org_id, customer_id)
);

create function snapshots_invalidate() returns trigger language plpgsql as $$
begin
  -- The snapshots table holds a few rows: test each against the changed rows, stopping at
  -- the first match, rather than collecting the organisations of a million-row import.
  delete from snapshots s where exists (select 1 from changed c where c.org_id = s.org_id);
  return null;
end $$;

do $$
declare
  t text;
begin
  foreach t in array array['customers', 'documents', 'payments', 'allocations', 'write_offs', 'promises', 'disputes'] loop
    execute format('create trigger %I after insert on %I referencing new table as changed for each statement execute function snapshots_invalidate()', t || '_snapshots_insert', t);
    execute format('create trigger %I after update on %I referencing new table as changed for each statement execute function snapshots_invalidate()', t || '_snapshots_update', t);
    execute format('create trigger %I after delete on %I referencing old table as changed for each statement execute function snapshots_invalidate()', t || '_snapshots_delete', t);
  end loop;
end $$;
