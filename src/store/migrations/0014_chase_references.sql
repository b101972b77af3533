-- References from the chase's rows to documents and customers checked once per statement
-- (issue 6 benchmark).
--
-- A first planning tick over a million open invoices writes ~600 000 events, each naming a
-- document, and ~300 000 messages (outbox), each naming a customer. As foreign keys, each
-- row looked its parent up and locked it FOR KEY SHARE: a write to the parent's heap page
-- (and its WAL record) per row. Measured on that tick (bench/dunning.ts ledger, PostgreSQL
-- 15): the events' key cost 3 of PostgreSQL's 13 CPU-seconds and 200 of 766 MB of WAL; the
-- messages' key 1.0 of the 2.8 s their rows took to insert in one statement.
-- What the keys guaranteed is kept with one lock per organisation instead of one per row:
-- - an insert statement takes a shared advisory lock per organisation it writes to, then
--   checks that every parent it names exists (with a snapshot taken after the lock);
-- - a delete statement on the parent takes the same lock exclusively for the organisations
--   it deleted from, so it waits for the inserts in flight there to commit, then deletes
--   their rows (what `on delete cascade` did); an insert that comes after waits for the
--   deletion to commit, then fails its check, as a foreign key would.
-- Relance never deletes documents or customers itself (an organisation deleted cascades to
-- them), so that lock costs nothing day to day.
--
-- The index of events by customer only serves counts of reminders sent (the customer
-- behaviour report): it now holds sent events only, so a planning tick, whose events are
-- all planned, writes no entry in it; delivery adds them as it sends.

alter table dunning_events drop constraint dunning_events_org_id_document_id_fkey;
alter table outbox drop constraint outbox_org_id_customer_id_fkey;

drop index dunning_events_customer;
create index dunning_events_customer on dunning_events (org_id, customer_id) where status = 'sent';

-- After each insert statement on a child table; arguments: the parent table, the child's column.
create function chase_refs_check() returns trigger language plpgsql as $$
declare
  parent text := tg_argv[0];
  col text := tg_argv[1];
  missing_org bigint;
  missing_id bigint;
begin
  perform pg_advisory_xact_lock_shared(hashtext('relance.' || parent), o.org_id::int)
  from (select distinct org_id from new_rows order by org_id) o;
  execute format('select n.org_id, n.%1$I from new_rows n
                  where not exists (select 1 from %2$I p where p.org_id = n.org_id and p.id = n.%1$I) limit 1', col, parent)
    into missing_org, missing_id;
  if missing_org is not null then
    raise exception 'insert or update on table "%" violates the reference to %', tg_table_name, parent
      using errcode = 'foreign_key_violation',
            detail = format('Key (org_id, %s)=(%s, %s) is not present in table "%s".', col, missing_org, missing_id, parent);
  end if;
  return null;
end $$;

-- Nothing moves such a row to another parent; should anything do so, it is checked row by row
-- (a trigger with a column condition cannot have a transition table).
create function chase_ref_check_row() returns trigger language plpgsql as $$
declare
  parent text := tg_argv[0];
  col text := tg_argv[1];
  ref bigint := (to_jsonb(new) ->> col)::bigint;
  ok boolean;
begin
  perform pg_advisory_xact_lock_shared(hashtext('relance.' || parent), new.org_id::int);
  execute format('select exists (select 1 from %I p where p.org_id = $1 and p.id = $2)', parent) into ok using new.org_id, ref;
  if not ok then
    raise exception 'insert or update on table "%" violates the reference to %', tg_table_name, parent
      using errcode = 'foreign_key_violation',
            detail = format('Key (org_id, %s)=(%s, %s) is not present in table "%s".', col, new.org_id, ref, parent);
  end if;
  return null;
end $$;

-- After each delete statement on a parent table; arguments: the child table, the child's column.
create function chase_parents_deleted() returns trigger language plpgsql as $$
begin
  perform pg_advisory_xact_lock(hashtext('relance.' || tg_table_name), o.org_id::int)
  from (select distinct org_id from old_rows order by org_id) o;
  execute format('delete from %1$I c using old_rows o where c.org_id = o.org_id and c.%2$I = o.id', tg_argv[0], tg_argv[1]);
  return null;
end $$;

-- A parent's id never changes (generated always), but its organisation could be rewritten by
-- hand: refuse it while rows point at it, as the foreign keys did. Arguments as above.
create function chase_parent_rekeyed() returns trigger language plpgsql as $$
declare
  used boolean;
begin
  execute format('select exists (select 1 from %1$I c where c.org_id = $1 and c.%2$I = $2)', tg_argv[0], tg_argv[1])
    into used using old.org_id, old.id;
  if used then
    raise exception 'update on table "%" violates the reference from %', tg_table_name, tg_argv[0]
      using errcode = 'foreign_key_violation';
  end if;
  return null;
end $$;

create trigger dunning_events_document_refs after insert on dunning_events
  referencing new table as new_rows for each statement execute function chase_refs_check('documents', 'document_id');
create trigger dunning_events_document_ref_update after update of org_id, document_id on dunning_events
  for each row when ((new.document_id, new.org_id) is distinct from (old.document_id, old.org_id))
  execute function chase_ref_check_row('documents', 'document_id');
create trigger documents_deleted_events after delete on documents
  referencing old table as old_rows for each statement execute function chase_parents_deleted('dunning_events', 'document_id');
create trigger documents_rekeyed_events after update of org_id, id on documents
  for each row when ((new.org_id, new.id) is distinct from (old.org_id, old.id))
  execute function chase_parent_rekeyed('dunning_events', 'document_id');

create trigger outbox_customer_refs after insert on outbox
  referencing new table as new_rows for each statement execute function chase_refs_check('customers', 'customer_id');
create trigger outbox_customer_ref_update after update of org_id, customer_id on outbox
  for each row when ((new.customer_id, new.org_id) is distinct from (old.customer_id, old.org_id))
  execute function chase_ref_check_row('customers', 'customer_id');
create trigger customers_deleted_outbox after delete on customers
  referencing old table as old_rows for each statement execute function chase_parents_deleted('outbox', 'customer_id');
create trigger customers_rekeyed_outbox after update of org_id, id on customers
  for each row when ((new.org_id, new.id) is distinct from (old.org_id, old.id))
  execute function chase_parent_rekeyed('outbox', 'customer_id');
