-- Catch-up skips recorded on the step that was sent (issue 6). When a document reaches
-- Relance late (an import, the engine not run for a while), only its most recent due step
-- goes out; the earlier ones were each recorded as a 'skipped' row. On a first run over a
-- million open invoices that is 1.16 million rows (two thirds of what the tick wrote, and
-- of its time) saying nothing the planner needs: any recorded step marks every earlier
-- one done (no de-escalation). They are now listed on the event of the step recorded
-- instead. Rows written as 'skipped' before this migration keep their meaning.
alter table dunning_events add column skipped_steps bigint[];
comment on column dunning_events.skipped_steps is
  'Steps of the policy due before this one and skipped when it was recorded (catch-up), never sent';
