-- The cash forecast's snapshot (issue 5). 0005 kept each customer's delay profile, so that
-- the forecast read 100 000 profile rows and grouped every open document again on each
-- dashboard load, and rebuilding the profiles wrote 100 000 rows after every change of the
-- ledger. The snapshot now keeps what the forecast actually needs: the open documents of
-- each eve grouped by expected window (a few thousand rows), computed in one statement
-- from the paid documents (the profiles) and the open ones. Same cache rules as 0005:
-- unlogged, no foreign keys, deleted with the organisation's snapshots by any ledger write.

drop table customer_delay_profiles;
delete from snapshots where kind = 'delay_profile';
alter table snapshots drop constraint snapshots_kind_check;
alter table snapshots add constraint snapshots_kind_check check (kind in ('risk', 'forecast'));

-- Open documents at `eve` with the same expected window (due date shifted by their
-- customer's delay ± its spread), the same dispute state and the same doubt (customer
-- defaulted), summed.
create unlogged table forecast_groups (
  org_id bigint not null,
  eve date not null,
  win_from date not null,
  win_to date not null,
  disputed boolean not null,
  doubtful boolean not null,
  amount bigint not null,
  primary key (org_id, eve, win_from, win_to, disputed, doubtful)
);
