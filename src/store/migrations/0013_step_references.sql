-- References to dunning steps checked once per statement (issue 6 benchmark).
--
-- A planning tick writes every message (outbox) and every document's event
-- (dunning_events) pointing at one of a handful of steps. As foreign keys, each row ran
-- its own check: a lookup and a FOR KEY SHARE lock of the step row, which two writers
-- share, so each lock became a new multixact. Over a first tick on a million open
-- invoices that was 900 000 checks of ~10 rows: the 607k events of that tick, inserted
-- alone, took 13.4 s with the step key and 8.7 s without (PostgreSQL 15).
-- The checks below do the same, once per statement: every step the new rows name must
-- exist (in the row's organisation) and is locked FOR KEY SHARE until commit, so a
-- concurrent deletion waits, or, committed first, makes the insert fail, as a foreign key
-- would. Deleting steps (a policy deleted, an organisation deleted) cascades as before:
-- their events are deleted, their messages keep their history with step_id null.
--
-- The foreign keys to documents and customers stay: each row names a different one.
-- outbox → orgs is dropped: redundant with outbox → customers, which carries org_id.

alter table outbox drop constraint outbox_org_id_fkey;
alter table outbox drop constraint outbox_org_id_step_id_fkey;
alter table dunning_events drop constraint dunning_events_org_id_step_id_fkey;

-- For outbox and dunning_events (both have org_id, step_id), after each insert statement.
create function dunning_step_refs_check() returns trigger language plpgsql as $$
declare
  wanted bigint;
  found bigint;
  missing record;
begin
  select count(*) into wanted from (select distinct org_id, step_id from new_rows where step_id is not null) w;
  if wanted = 0 then
    return null;
  end if;
  select count(*) into found from (
    select s.id from dunning_steps s
    where (s.org_id, s.id) in (select org_id, step_id from new_rows)
    for key share of s
  ) l;
  if found < wanted then
    select n.org_id, n.step_id into missing from new_rows n
    where n.step_id is not null
      and not exists (select 1 from dunning_steps s where s.org_id = n.org_id and s.id = n.step_id)
    limit 1;
    raise exception 'insert or update on table "%" violates the reference to dunning_steps', tg_table_name
      using errcode = 'foreign_key_violation',
            detail = format('Key (org_id, step_id)=(%s, %s) is not present in table "dunning_steps".', missing.org_id, missing.step_id);
  end if;
  return null;
end $$;

create trigger outbox_step_refs after insert on outbox
  referencing new table as new_rows for each statement execute function dunning_step_refs_check();
create trigger dunning_events_step_refs after insert on dunning_events
  referencing new table as new_rows for each statement execute function dunning_step_refs_check();

-- Nothing moves a row to another step; should anything do so, it is checked row by row
-- (a trigger with a column condition cannot have a transition table).
create function dunning_step_ref_check_row() returns trigger language plpgsql as $$
begin
  perform 1 from dunning_steps s where s.org_id = new.org_id and s.id = new.step_id for key share of s;
  if not found then
    raise exception 'insert or update on table "%" violates the reference to dunning_steps', tg_table_name
      using errcode = 'foreign_key_violation',
            detail = format('Key (org_id, step_id)=(%s, %s) is not present in table "dunning_steps".', new.org_id, new.step_id);
  end if;
  return null;
end $$;

create trigger outbox_step_ref_update after update of org_id, step_id on outbox
  for each row when (new.step_id is not null and (new.step_id, new.org_id) is distinct from (old.step_id, old.org_id))
  execute function dunning_step_ref_check_row();
create trigger dunning_events_step_ref_update after update of org_id, step_id on dunning_events
  for each row when ((new.step_id, new.org_id) is distinct from (old.step_id, old.org_id))
  execute function dunning_step_ref_check_row();

-- What the dropped foreign keys did on delete: events go with their step, messages stay.
create function dunning_steps_deleted() returns trigger language plpgsql as $$
begin
  delete from dunning_events e using old_rows o where e.org_id = o.org_id and e.step_id = o.id;
  update outbox x set step_id = null from old_rows o where x.org_id = o.org_id and x.step_id = o.id;
  return null;
end $$;

create trigger dunning_steps_deleted after delete on dunning_steps
  referencing old table as old_rows for each statement execute function dunning_steps_deleted();

-- A step's id never changes (generated always), but its organisation could be rewritten by
-- hand: refuse it while anything points at it, as the foreign keys did.
create function dunning_steps_rekeyed() returns trigger language plpgsql as $$
begin
  if exists (select 1 from dunning_events e where e.org_id = old.org_id and e.step_id = old.id)
     or exists (select 1 from outbox x where x.org_id = old.org_id and x.step_id = old.id) then
    raise exception 'update on table "dunning_steps" violates the reference from dunning_events or outbox'
      using errcode = 'foreign_key_violation';
  end if;
  return null;
end $$;

create trigger dunning_steps_rekeyed after update of org_id, id on dunning_steps
  for each row when ((new.org_id, new.id) is distinct from (old.org_id, old.id))
  execute function dunning_steps_rekeyed();
