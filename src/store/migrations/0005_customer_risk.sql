-- Risk scores of every customer, as last computed (services/risk-snapshot.ts). The score
-- needs the whole organisation (concentration, 30-day comparison), so a list filtered or
-- sorted by risk reads this snapshot instead of scoring 100 000 customers per request; the
-- snapshot is recomputed when it is older than its time to live or made for another date.

create table risk_snapshots (
  org_id bigint not null references orgs (id) on delete cascade,
  as_of date not null,
  computed_at timestamptz not null default now(),
  customer_count integer not null,
  primary key (org_id)
);

create table customer_risk (
  org_id bigint not null,
  customer_id bigint not null,
  score smallint not null check (score between 0 and 100),
  previous_score smallint not null check (previous_score between 0 and 100),
  rose boolean not null,
  factors jsonb not null,
  primary key (org_id, customer_id),
  foreign key (org_id, customer_id) references customers (org_id, id) on delete cascade
);
create index customer_risk_score on customer_risk (org_id, score desc);
