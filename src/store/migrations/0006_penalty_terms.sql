-- Late-payment terms of a customer (DESIGN §5, Code de commerce L441-10): the contract may set
-- its own penalty rate instead of the ECB rate + 10 points. Basis points (1215 = 12.15 %);
-- null = the organisation's setting `penalties.contractual_rate`, else the legal default.
-- The floor (3 × the legal interest rate) depends on the half-year, so it is applied when
-- interest is computed, with a warning, rather than checked here.
alter table customers add column penalty_rate_bp integer check (penalty_rate_bp between 1 and 10000);
