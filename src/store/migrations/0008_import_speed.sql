-- Import speed (issue 8). Measured on 1M invoices (bench/import-csv.ts): the cost of an
-- import is the maintenance of the documents indexes and the rewriting of each row the
-- allocation trigger updates, not the reading of the file.

-- documents_issue (org_id, issue_date) has exactly the key of documents_issue_total
-- (0003_reports.sql), which carries more columns: every query that could walk the one can
-- walk the other in the same order, and the planner already prefers the covering one for
-- the reports. Keeping both cost ≈ 10 % of the time of inserting a document.
drop index if exists documents_issue;

-- An import that creates documents, the synthetic payments of their "already paid" amounts
-- and the allocations between them in one statement can store the movement totals with the
-- rows it creates (documents.paid…, payments.allocated…). Adding the allocations to them
-- afterwards, as the insert trigger does, would rewrite each of those documents and
-- payments once more, with a new entry in every index (≈ 25 % of the whole import).
--
-- So an INSERT of allocations made while the transaction-local setting
-- relance.ledger_prefilled is 'on' does not add; it checks instead that every document and
-- payment it touches already carries exactly the totals of all its movements (the same
-- recomputation as relance_resync_documents/payments), and fails the statement otherwise.
-- The totals stay exact whoever sets the flag; the flag only says "already done".
-- Meant for rows created in the same transaction (nobody else can allocate to them yet).
create or replace function relance_allocations_sync() returns trigger
language plpgsql as $$
declare
  org_ids bigint[];
  ids bigint[];
  seqscan text;
begin
  if TG_OP = 'INSERT' and current_setting('relance.ledger_prefilled', true) = 'on' then
    -- One index lookup per document and payment: the statistics of tables the transaction
    -- is filling may still say "empty", and a sequential scan per row would be quadratic.
    seqscan := current_setting('enable_seqscan');
    perform set_config('enable_seqscan', 'off', true);
    if exists (
      select 1
      from (select distinct org_id, payment_id from new_rows) k
      join payments p on p.org_id = k.org_id and p.id = k.payment_id
      cross join lateral (select sum(x.amount) as amount, min(x.date) as first, max(x.date) as last
                          from allocations x where x.org_id = k.org_id and x.payment_id = k.payment_id) a
      where p.allocated is distinct from coalesce(a.amount, 0)
         or p.allocated_first is distinct from a.first or p.allocated_last is distinct from a.last
    ) then
      raise exception 'relance.ledger_prefilled: payments inserted without the totals of their allocations';
    end if;
    if exists (
      select 1
      from (select distinct org_id, document_id from new_rows) k
      join documents d on d.org_id = k.org_id and d.id = k.document_id
      cross join lateral (select sum(x.amount) as amount, min(x.date) as first, max(x.date) as last
                          from allocations x where x.org_id = k.org_id and x.document_id = k.document_id) a
      cross join lateral (select sum(x.amount) as amount, min(x.date) as first, max(x.date) as last
                          from write_offs x where x.org_id = k.org_id and x.document_id = k.document_id) w
      where d.paid is distinct from coalesce(a.amount, 0) or d.paid_last is distinct from a.last
         or d.written_off is distinct from coalesce(w.amount, 0)
         or d.settled_first is distinct from least(a.first, w.first)
         or d.settled_last is distinct from greatest(a.last, w.last)
    ) then
      raise exception 'relance.ledger_prefilled: documents inserted without the totals of their allocations';
    end if;
    perform set_config('enable_seqscan', seqscan, true);
    return null;
  end if;
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
