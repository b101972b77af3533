-- Credit notes applied to invoices (issue 8): an "imputation d'avoir", read from a FEC's
-- lettering (an invoice and a credit note with the same EcritureLet on one customer).
-- No money moves, so it is not an allocation (allocations link a payment to a document,
-- and receipts, CEI and days to pay read them as cash). It is recorded as two write-offs
-- of opposite amounts, each naming the other document: +X on the invoice, -X on the
-- credit note. What each document owes at any date then follows DESIGN §3 unchanged
-- (total - allocations - write-offs), the receivables of the customer do not move, and
-- the movement totals of 0003 keep themselves up to date.
alter table write_offs add column applied_document_id bigint;
alter table write_offs add constraint write_offs_applied_document
  foreign key (org_id, applied_document_id) references documents (org_id, id) on delete cascade;
alter table write_offs add constraint write_offs_applied_elsewhere check (applied_document_id <> document_id);
create index write_offs_applied on write_offs (org_id, applied_document_id) where applied_document_id is not null;
