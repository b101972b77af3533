-- The risk report reads the risk snapshot (issue 5): the dashboard shows it, and scoring
-- 100 000 customers takes seconds. Its lists are ordered by receivables after the score,
-- so the snapshot keeps each customer's receivables too (a cache: emptied, then rebuilt).
delete from snapshots where kind = 'risk';
delete from customer_risk;
alter table customer_risk add column receivables bigint not null default 0;
-- The customers whose risk rose, largest rise first (the report's second list).
create index customer_risk_rose on customer_risk (org_id, (score - previous_score) desc, score desc) where rose;
