-- References from dunning events to documents checked once per statement (issue 6 benchmark).
--
-- A first planning tick over a million open invoices writes ~600 000 events, each naming a
-- different document. As a foreign key, each row looked its document up and locked it
-- FOR KEY SHARE: a write to the document's heap page (and its WAL record) per event.
-- Measured on that tick (bench/dunning.ts ledger, PostgreSQL 15): 3 of its 13 CPU-seconds
-- in PostgreSQL, 200 of its 766 MB of WAL, 1.4 s of its 12 s.
-- What the key guaranteed is kept with one lock per organisation instead of one per row:
-- - an insert statement takes a shared advisory lock per organisation it writes to, then
--   checks that every document it names exists (with a snapshot taken after the lock);
-- - a delete statement on documents takes the same lock exclusively for the organisations
--   it deleted from, so it waits for the inserts in flight there to commit, then deletes
--   their events (what `on delete cascade` did); an insert that comes after waits for the
--   deletion to commit, then fails its check, as a foreign key would.
-- Relance never deletes documents itself (an organisation or a customer deleted cascades to
-- them), so that lock costs nothing day to day.
--
-- The index of events by customer only serves counts of reminders sent (the customer
-- behaviour report): it now holds sent events only, so a planning tick, whose events are
-- all planned, writes no entry in it; delivery adds them as it sends.

alter table dunning_events drop constraint dunning_events_org_id_document_id_fkey;

drop index dunning_events_customer;
create index dunning_events_customer on dunning_events (org_id, customer_id) where status = 'sent';

create function dunning_event_documents_check() returns trigger language plpgsql as $$
declare
  missing record;
begin
  perform pg_advisory_xact_lock_shared(hashtext('relance.documents'), o.org_id::int)
  from (select distinct org_id from new_rows order by org_id) o;
  select n.org_id, n.document_id into missing from new_rows n
  where not exists (select 1 from documents d where d.org_id = n.org_id and d.id = n.document_id)
  limit 1;
  if found then
    raise exception 'insert or update on table "dunning_events" violates the reference to documents'
      using errcode = 'foreign_key_violation',
            detail = format('Key (org_id, document_id)=(%s, %s) is not present in table "documents".', missing.org_id, missing.document_id);
  end if;
  return null;
end $$;

create trigger dunning_events_document_refs after insert on dunning_events
  referencing new table as new_rows for each statement execute function dunning_event_documents_check();

-- Nothing moves an event to another document; should anything do so, it is checked row by row.
create function dunning_event_document_check_row() returns trigger language plpgsql as $$
begin
  perform pg_advisory_xact_lock_shared(hashtext('relance.documents'), new.org_id::int);
  perform 1 from documents d where d.org_id = new.org_id and d.id = new.document_id;
  if not found then
    raise exception 'insert or update on table "dunning_events" violates the reference to documents'
      using errcode = 'foreign_key_violation',
            detail = format('Key (org_id, document_id)=(%s, %s) is not present in table "documents".', new.org_id, new.document_id);
  end if;
  return null;
end $$;

create trigger dunning_events_document_ref_update after update of org_id, document_id on dunning_events
  for each row when ((new.document_id, new.org_id) is distinct from (old.document_id, old.org_id))
  execute function dunning_event_document_check_row();

create function documents_deleted_events() returns trigger language plpgsql as $$
begin
  perform pg_advisory_xact_lock(hashtext('relance.documents'), o.org_id::int)
  from (select distinct org_id from old_rows order by org_id) o;
  delete from dunning_events e using old_rows o where e.org_id = o.org_id and e.document_id = o.id;
  return null;
end $$;

create trigger documents_deleted_events after delete on documents
  referencing old table as old_rows for each statement execute function documents_deleted_events();

-- A document's id never changes (generated always), but its organisation could be rewritten
-- by hand: refuse it while events point at it, as the foreign key did.
create function documents_rekeyed_events() returns trigger language plpgsql as $$
begin
  if exists (select 1 from dunning_events e where e.org_id = old.org_id and e.document_id = old.id) then
    raise exception 'update on table "documents" violates the reference from dunning_events'
      using errcode = 'foreign_key_violation';
  end if;
  return null;
end $$;

create trigger documents_rekeyed_events after update of org_id, id on documents
  for each row when ((new.org_id, new.id) is distinct from (old.org_id, old.id))
  execute function documents_rekeyed_events();
