-- Reports (issue 5): what lets DSO, aging, forecast and risk answer in milliseconds on an
-- organisation holding a million invoices.
--
-- The outstanding of a document at D is total − allocations dated ≤ D − write-offs dated
-- ≤ D (DESIGN §3). Summing that per document at report time means aggregating every
-- allocation of the organisation (≈ 1.5 s for 1M invoices on PostgreSQL), so each document
-- and each payment carries the running totals of its movements, kept exact by the
-- statement-level triggers below (one UPDATE per statement, whatever its row count):
--
--   documents.paid          Σ allocations (all dates)
--   documents.written_off   Σ write-offs (all dates)
--   documents.paid_last     date of the last allocation (the day the document was paid)
--   documents.settled_first / settled_last   first / last date of any movement
--   documents.open_balance  total − paid − written_off (generated)
--   payments.allocated      Σ allocations of the payment
--   payments.allocated_first / allocated_last
--   payments.unallocated_balance  amount − allocated (generated)
--
-- From them the outstanding at D is exact without reading movements in the common cases
-- (src/store/ledger-sql.ts): open_balance when the last movement is ≤ D,
-- total when the first movement is after D; only a document with movements on both sides
-- of D reads its movements. "Open now" documents and payments sit in partial indexes.
--
-- Inserts add to the totals (safe under concurrent inserts: UPDATE re-reads the locked row);
-- updates and deletes lock the rows concerned, then recompute them from the movements.

alter table documents
  add column paid bigint not null default 0,
  add column written_off bigint not null default 0,
  add column paid_last date,
  add column settled_first date,
  add column settled_last date,
  -- Outstanding after every movement. A column (not only an index predicate) so that
  -- PostgreSQL keeps statistics on it and knows how few documents are open.
  add column open_balance bigint generated always as (total - paid - written_off) stored;

alter table payments
  add column allocated bigint not null default 0,
  add column allocated_first date,
  add column allocated_last date,
  add column unallocated_balance bigint generated always as (amount - allocated) stored;

-- Backfill what earlier migrations and imports already hold.
update documents d
set paid = s.amount, paid_last = s.last, settled_first = s.first, settled_last = s.last
from (select org_id, document_id, sum(amount) as amount, min(date) as first, max(date) as last
      from allocations group by org_id, document_id) s
where d.org_id = s.org_id and d.id = s.document_id;

update documents d
set written_off = s.amount,
    settled_first = least(d.settled_first, s.first),
    settled_last = greatest(d.settled_last, s.last)
from (select org_id, document_id, sum(amount) as amount, min(date) as first, max(date) as last
      from write_offs group by org_id, document_id) s
where d.org_id = s.org_id and d.id = s.document_id;

update payments p
set allocated = s.amount, allocated_first = s.first, allocated_last = s.last
from (select org_id, payment_id, sum(amount) as amount, min(date) as first, max(date) as last
      from allocations group by org_id, payment_id) s
where p.org_id = s.org_id and p.id = s.payment_id;

-- Recomputes the movement totals of documents (org_ids[i], ids[i]) from their movements,
-- after locking them in a fixed order. Each statement of a PL/pgSQL function takes a new
-- snapshot (READ COMMITTED), so the recomputation sees what a concurrent writer committed
-- while this one waited for the lock.
create function relance_resync_documents(org_ids bigint[], ids bigint[]) returns void
language plpgsql as $$
begin
  perform 1 from documents d
    join unnest(org_ids, ids) as k(o, i) on d.org_id = k.o and d.id = k.i
    order by d.org_id, d.id
    for update of d;
  update documents d
  set paid = coalesce(a.amount, 0),
      paid_last = a.last,
      written_off = coalesce(w.amount, 0),
      settled_first = least(a.first, w.first),
      settled_last = greatest(a.last, w.last)
  from unnest(org_ids, ids) as k(o, i)
  left join lateral (select sum(x.amount) as amount, min(x.date) as first, max(x.date) as last
                     from allocations x where x.org_id = k.o and x.document_id = k.i) a on true
  left join lateral (select sum(x.amount) as amount, min(x.date) as first, max(x.date) as last
                     from write_offs x where x.org_id = k.o and x.document_id = k.i) w on true
  where d.org_id = k.o and d.id = k.i;
end $$;

create function relance_resync_payments(org_ids bigint[], ids bigint[]) returns void
language plpgsql as $$
begin
  perform 1 from payments p
    join unnest(org_ids, ids) as k(o, i) on p.org_id = k.o and p.id = k.i
    order by p.org_id, p.id
    for update of p;
  update payments p
  set allocated = coalesce(a.amount, 0), allocated_first = a.first, allocated_last = a.last
  from unnest(org_ids, ids) as k(o, i)
  left join lateral (select sum(x.amount) as amount, min(x.date) as first, max(x.date) as last
                     from allocations x where x.org_id = k.o and x.payment_id = k.i) a on true
  where p.org_id = k.o and p.id = k.i;
end $$;

create function relance_allocations_sync() returns trigger
language plpgsql as $$
declare
  org_ids bigint[];
  ids bigint[];
begin
  if TG_OP = 'INSERT' then
    -- Payments first, then documents: the order in which services lock them.
    update payments p
    set allocated = p.allocated + s.amount,
        allocated_first = least(p.allocated_first, s.first),
        allocated_last = greatest(p.allocated_last, s.last)
    from (select org_id, payment_id, sum(amount) as amount, min(date) as first, max(date) as last
          from new_rows group by org_id, payment_id) s
    where p.org_id = s.org_id and p.id = s.payment_id;
    update documents d
    set paid = d.paid + s.amount,
        paid_last = greatest(d.paid_last, s.last),
        settled_first = least(d.settled_first, s.first),
        settled_last = greatest(d.settled_last, s.last)
    from (select org_id, document_id, sum(amount) as amount, min(date) as first, max(date) as last
          from new_rows group by org_id, document_id) s
    where d.org_id = s.org_id and d.id = s.document_id;
    return null;
  end if;
  if TG_OP = 'DELETE' then
    select array_agg(o), array_agg(i) into org_ids, ids
      from (select distinct org_id as o, payment_id as i from old_rows) x;
  else
    select array_agg(o), array_agg(i) into org_ids, ids
      from (select org_id as o, payment_id as i from old_rows union select org_id, payment_id from new_rows) x;
  end if;
  perform relance_resync_payments(org_ids, ids);
  if TG_OP = 'DELETE' then
    select array_agg(o), array_agg(i) into org_ids, ids
      from (select distinct org_id as o, document_id as i from old_rows) x;
  else
    select array_agg(o), array_agg(i) into org_ids, ids
      from (select org_id as o, document_id as i from old_rows union select org_id, document_id from new_rows) x;
  end if;
  perform relance_resync_documents(org_ids, ids);
  return null;
end $$;

create function relance_write_offs_sync() returns trigger
language plpgsql as $$
declare
  org_ids bigint[];
  ids bigint[];
begin
  if TG_OP = 'INSERT' then
    update documents d
    set written_off = d.written_off + s.amount,
        settled_first = least(d.settled_first, s.first),
        settled_last = greatest(d.settled_last, s.last)
    from (select org_id, document_id, sum(amount) as amount, min(date) as first, max(date) as last
          from new_rows group by org_id, document_id) s
    where d.org_id = s.org_id and d.id = s.document_id;
    return null;
  end if;
  if TG_OP = 'DELETE' then
    select array_agg(o), array_agg(i) into org_ids, ids
      from (select distinct org_id as o, document_id as i from old_rows) x;
  else
    select array_agg(o), array_agg(i) into org_ids, ids
      from (select org_id as o, document_id as i from old_rows union select org_id, document_id from new_rows) x;
  end if;
  perform relance_resync_documents(org_ids, ids);
  return null;
end $$;

create trigger allocations_sync_insert after insert on allocations
  referencing new table as new_rows for each statement execute function relance_allocations_sync();
create trigger allocations_sync_update after update on allocations
  referencing old table as old_rows new table as new_rows for each statement execute function relance_allocations_sync();
create trigger allocations_sync_delete after delete on allocations
  referencing old table as old_rows for each statement execute function relance_allocations_sync();
create trigger write_offs_sync_insert after insert on write_offs
  referencing new table as new_rows for each statement execute function relance_write_offs_sync();
create trigger write_offs_sync_update after update on write_offs
  referencing old table as old_rows new table as new_rows for each statement execute function relance_write_offs_sync();
create trigger write_offs_sync_delete after delete on write_offs
  referencing old table as old_rows for each statement execute function relance_write_offs_sync();

-- Documents with a non-zero outstanding today (aging, forecast, risk at a recent date).
create index documents_open on documents (org_id, issue_date)
  include (id, customer_id, due_date, open_balance, settled_last, kind, disputed)
  where open_balance <> 0;
-- Documents with movements after D (the outstanding at a past date D).
create index documents_settled_last on documents (org_id, settled_last)
  include (id, customer_id, issue_date, due_date, total, open_balance, settled_first, kind, disputed)
  where settled_last is not null;
-- Revenue by issue date, and the documents issued in a span of days (not yet due at D), index-only.
create index documents_issue_total on documents (org_id, issue_date)
  include (id, total, customer_id, due_date, open_balance, settled_first, settled_last);
-- Paid documents by the day they were paid (days to pay, days late, delay profiles).
create index documents_paid on documents (org_id, paid_last)
  include (customer_id, issue_date, due_date, total, paid, settled_last)
  where paid_last is not null and open_balance = 0;
-- The longest span from issue to due date (bounds the not-yet-due scan).
create index documents_span on documents (org_id, (due_date - issue_date));
-- Movements dated before their document's issue date (rare; the AR series corrects for them).
create index documents_early on documents (org_id, issue_date) where settled_first < issue_date;

create index payments_open on payments (org_id, date)
  include (id, customer_id, unallocated_balance, allocated_last)
  where unallocated_balance <> 0;
create index payments_allocated_last on payments (org_id, allocated_last)
  include (id, customer_id, date, amount, unallocated_balance, allocated_first)
  where allocated_last is not null;
create index payments_date_amount on payments (org_id, date) include (amount, customer_id);
-- Allocations dated before their payment (rare; the AR series corrects for them).
create index payments_early on payments (org_id, date) where allocated_first < date;

create index allocations_date on allocations (org_id, date) include (document_id, payment_id, amount);
create index write_offs_date on write_offs (org_id, date) include (document_id, amount);
create index promises_date on promises (org_id, promised_date) include (customer_id, status, amount);
