import type { ColumnType, Generated, Kysely, Transaction } from "kysely";
import type { Db } from "../store/connect.js";
import type { Database } from "../store/schema.js";

/**
 * Kysely types of the tables of migration 0004_dunning.sql. They live beside the dunning
 * code (not in store/schema.ts, shared with other work in progress); `chaseDb(db)` gives a
 * Kysely instance that knows both.
 */
type Id = Generated<number>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T = Record<string, unknown>> = ColumnType<T, string | undefined, string>;

export type Channel = "email" | "letter" | "call" | "webhook";
export type OutboxStatus = "awaiting_approval" | "pending" | "sending" | "sent" | "failed" | "cancelled";
export type EventStatus = "planned" | "awaiting_approval" | "sent" | "failed" | "skipped" | "cancelled";
export type ActivityKind =
  | "reminder_sent"
  | "reminder_failed"
  | "reminder_cancelled"
  | "letter_generated"
  | "link_opened"
  | "payment"
  | "promise"
  | "promise_kept"
  | "promise_broken"
  | "dispute_opened"
  | "dispute_resolved"
  | "note"
  | "call"
  | "task"
  | "task_done"
  | "paused"
  | "resumed"
  | "policy_changed"
  | "approval"
  | "webhook";

export interface StepTemplate {
  subject: string;
  body: string;
}
export type StepTemplates = Partial<Record<"fr" | "en", StepTemplate>>;

export interface DunningPoliciesTable {
  org_id: number;
  id: Id;
  name: string;
  shipped_key: string | null;
  description: Generated<string>;
  is_default: Generated<boolean>;
  min_outstanding: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface DunningStepsTable {
  org_id: number;
  id: Id;
  policy_id: number;
  position: number;
  name: string;
  offset_days: number;
  channel: Channel;
  templates: Json<StepTemplates>;
  attach_statement: Generated<boolean>;
  attach_letter: Generated<boolean>;
  include_penalties: Generated<boolean>;
  require_approval: Generated<boolean>;
  min_outstanding: number | null;
  active: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface OutboxTable {
  org_id: number;
  id: Id;
  customer_id: number;
  policy_id: number | null;
  step_id: number | null;
  channel: Channel;
  origin: Generated<"auto" | "manual">;
  status: Generated<OutboxStatus>;
  as_of: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  claimed_by: string | null;
  locked_until: NullableTimestamp;
  message_id: string | null;
  payload: Json;
  attachment: Buffer | null;
  attachment_name: string | null;
  last_error: string | null;
  approved_by: number | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  sent_at: NullableTimestamp;
}

export interface DunningEventsTable {
  org_id: number;
  id: Id;
  document_id: number;
  step_id: number;
  customer_id: number;
  status: EventStatus;
  reason: string | null;
  scheduled_date: string;
  as_of: string;
  outbox_id: number | null;
  /** Catch-up: earlier steps skipped when this one was recorded (migration 0010). */
  skipped_steps: number[] | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ActivitiesTable {
  org_id: number;
  id: Id;
  customer_id: number;
  document_id: number | null;
  kind: ActivityKind;
  data: Json;
  actor: string;
  actor_user_id: number | null;
  at: CreatedAt;
}

/** customers.on_hold_until is added by 0004 too. */
export interface ChaseCustomerColumns {
  on_hold_until: string | null;
}

export interface ChaseDatabase extends Omit<Database, "customers"> {
  customers: Database["customers"] & { on_hold_until: ColumnType<string | null, string | null | undefined, string | null> };
  dunning_policies: DunningPoliciesTable;
  dunning_steps: DunningStepsTable;
  outbox: OutboxTable;
  dunning_events: DunningEventsTable;
  activities: ActivitiesTable;
}

export type ChaseDb = Kysely<ChaseDatabase>;
export type ChaseTrx = Transaction<ChaseDatabase>;

/** The same connection, typed with the dunning tables too. */
export function chaseDb(db: Db | Kysely<Database> | Transaction<Database>): ChaseDb {
  return db as unknown as ChaseDb;
}
