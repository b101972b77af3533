-- Dunning at scale (issue 6 benchmark): a planning run over a large ledger writes one
-- dunning_events row per document and step, and most rows of a first run are the earlier
-- steps recorded as skipped by the catch-up rule. Those rows carry no message (outbox_id is
-- null) and nothing looks them up by outbox or by customer (the reports count sent
-- reminders), so the two secondary indexes leave them out: fewer index entries to write per
-- run, smaller indexes to read. The unique key (org_id, document_id, step_id), which makes
-- every step happen once, still covers every row.

drop index dunning_events_outbox;
create index dunning_events_outbox on dunning_events (org_id, outbox_id) where outbox_id is not null;

drop index dunning_events_customer;
create index dunning_events_customer on dunning_events (org_id, customer_id) where status <> 'skipped';
