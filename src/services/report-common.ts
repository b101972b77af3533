/**
 * What every report shares: the as-of date and period rules, the read transaction, and the
 * JSON forms of money and days.
 *
 * - The as-of date defaults to today in Europe/Paris (where invoices fall due).
 * - A DSO window defaults to the 90 days ending at the as-of date; `to` defaults to the
 *   as-of date and `from` to `to` − 89. Giving `to` without `asOf` makes `to` the as-of
 *   date; giving both with different dates is a usage error (the figures are "at" one date).
 */
import { sql, type Transaction } from "kysely";
import { addDays, type IsoDate, isIsoDate, today } from "../domain/dates.js";
import { type Cents, toDecimalString } from "../domain/money.js";
import { AppError } from "../errors.js";
import type { Db } from "../store/connect.js";
import type { Database } from "../store/schema.js";

export const DEFAULT_WINDOW_DAYS = 90;

export function usageError(message: string): AppError {
  return new AppError("usage", message);
}

export function checkDate(value: string | undefined, name: string): IsoDate | undefined {
  if (value === undefined) return undefined;
  if (!isIsoDate(value)) throw usageError(`${name} must be a date YYYY-MM-DD, got "${value}"`);
  return value;
}

export function resolveAsOf(asOf: string | undefined): IsoDate {
  return checkDate(asOf, "--as-of") ?? today();
}

export function checkPositiveInteger(value: number | undefined, name: string, max = 100_000): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw usageError(`${name} must be a whole number from 1 to ${max}, got ${value}`);
  return value;
}

export interface WindowInput {
  asOf?: string;
  from?: string;
  to?: string;
  /** Days of the ratio (360/365 conventions) instead of the calendar days of [from, to]. */
  days?: number;
}

export interface ReportWindow {
  asOf: IsoDate;
  from: IsoDate;
  to: IsoDate;
  days?: number;
}

export function resolveWindow(input: WindowInput): ReportWindow {
  const asOfGiven = checkDate(input.asOf, "--as-of");
  const toGiven = checkDate(input.to, "--to");
  const fromGiven = checkDate(input.from, "--from");
  if (asOfGiven && toGiven && asOfGiven !== toGiven) {
    throw usageError(`--to ${toGiven} and --as-of ${asOfGiven} differ: the figures are at one date, give one of them`);
  }
  const to = toGiven ?? asOfGiven ?? today();
  const from = fromGiven ?? addDays(to, -(DEFAULT_WINDOW_DAYS - 1));
  if (from > to) throw usageError(`--from ${from} is after --to ${to}`);
  return { asOf: to, from, to, days: checkPositiveInteger(input.days, "--days", 3660) };
}

/**
 * Runs a report's queries in one read-only transaction, so that all its figures come from
 * the same snapshot. JIT compilation is turned off for it: report queries are short and
 * their cost estimates (correlated subqueries that almost never run) would otherwise make
 * PostgreSQL spend more time compiling than executing. The settings are LOCAL: they end
 * with the transaction (the caller's, when `db` is already one).
 */
export async function inReport<T>(db: Db, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  // Inside a caller's transaction (a snapshot being rebuilt from a report), run in it.
  if (db.isTransaction) {
    const trx = db as Transaction<Database>;
    await reportSettings(trx);
    return fn(trx);
  }
  await ensureStatistics(db);
  return db
    .transaction()
    .setIsolationLevel("repeatable read")
    .setAccessMode("read only")
    .execute(async (trx) => {
      await reportSettings(trx);
      return fn(trx);
    });
}

/**
 * Planner settings of a report's transaction (also used by the benchmark's baselines, so
 * that both are planned alike). The reports read covering indexes whose pages are in
 * memory: the default cost of a random page (4, for spinning disks) makes the planner
 * prefer scanning whole tables. Grouping a hundred thousand open documents by customer
 * must not spill to disk. JIT compilation costs more than it saves at these sizes.
 */
export async function reportSettings(trx: Transaction<Database>): Promise<void> {
  await sql`select set_config('jit', 'off', true), set_config('random_page_cost', '1.1', true), set_config('work_mem', '64MB', true)`.execute(
    trx,
  );
}

export const money = (cents: Cents): string => toDecimalString(cents);

/** A `cast('{…}' as date[])` parameter for a list of dates. */
export function dateList(dates: readonly IsoDate[]): string {
  return `{${dates.join(",")}}`;
}

const REPORT_TABLES = ["documents", "payments", "allocations", "write_offs", "customers", "promises", "disputes"];

/**
 * The planner needs table statistics to pick the report indexes. PostgreSQL's autovacuum
 * keeps them fresh; the embedded database (PGlite) has no autovacuum, so a table never
 * analysed, or that has more than doubled since, is analysed here first. The check reads
 * the catalog only; an ANALYZE that would wait for a lock is skipped.
 */
export async function ensureStatistics(db: Db): Promise<void> {
  const now = Date.now();
  if (now - (statisticsCheckedAt.get(db) ?? 0) < STATISTICS_CHECK_MS) return;
  statisticsCheckedAt.set(db, now);
  const stale = await sql<{ relname: string }>`
    select c.relname from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relname = any(${`{${REPORT_TABLES.join(",")}}`}::text[])
      and (c.reltuples < 0 or pg_relation_size(c.oid) / current_setting('block_size')::int > 2 * c.relpages + 8)`.execute(db);
  for (const { relname } of stale.rows) {
    await db
      .transaction()
      .execute(async (trx) => {
        await sql`set local lock_timeout = '200ms'`.execute(trx);
        await sql`analyze ${sql.table(relname)}`.execute(trx);
      })
      .catch(() => {});
  }
}

/** One catalog check a minute per database handle is plenty (tables do not double faster). */
const STATISTICS_CHECK_MS = 60_000;
const statisticsCheckedAt = new WeakMap<Db, number>();
