/**
 * Snapshots of figures over the whole organisation (migrations 0005_snapshots.sql and
 * 0009_forecast_snapshot.sql): made for one as-of date, kept until the ledger changes — a
 * statement trigger on every table they are computed from deletes them — and rebuilt by
 * the next read.
 *
 * A write that commits while a snapshot is being rebuilt can be missed by it (the rebuild
 * read the ledger before that write); `SNAPSHOT_TTL_SECONDS` bounds how long such a
 * snapshot is trusted. Concurrent reads rebuild once: the second waits on the lock, then
 * finds the snapshot made.
 */
import { sql, type Transaction } from "kysely";
import type { IsoDate } from "../domain/dates.js";
import type { Db } from "../store/connect.js";
import type { Database } from "../store/schema.js";

export type SnapshotKind = "risk" | "forecast";

/** The longest a snapshot is trusted, even when no write was seen since. */
export const SNAPSHOT_TTL_SECONDS = 600;

export interface Snapshot<T> {
  asOf: IsoDate;
  computedAt: Date;
  data: T;
}

interface Row {
  as_of: string;
  computed_at: Date;
  data: unknown;
}

async function current(db: Db | Transaction<Database>, orgId: number, kind: SnapshotKind): Promise<Row | undefined> {
  const r = await sql<Row>`
    select as_of, computed_at, data from snapshots
    where org_id = ${orgId} and kind = ${kind} and computed_at > now() - make_interval(secs => ${SNAPSHOT_TTL_SECONDS})`.execute(db);
  return r.rows[0];
}

/**
 * The snapshot of `kind` for `asOf`. When there is none (or one for another date), `build`
 * replaces the snapshot's rows in the transaction and returns the organisation-wide data
 * stored with them.
 *
 * A snapshot can hold parts computed on demand (the forecast's eves): when the one for
 * `asOf` does not `cover` what the caller needs, `build` gets its data as `kept` and adds
 * the missing rows to those kept. The snapshot then keeps its first `computed_at`: the
 * TTL bounds the age of its oldest part.
 */
export async function freshSnapshot<T>(
  db: Db,
  orgId: number,
  kind: SnapshotKind,
  asOf: IsoDate,
  build: (trx: Transaction<Database>, kept?: T) => Promise<T>,
  covers: (data: T) => boolean = () => true,
): Promise<Snapshot<T>> {
  const found = await current(db, orgId, kind);
  if (found?.as_of === asOf && covers(found.data as T)) return { asOf, computedAt: found.computed_at, data: found.data as T };
  return db.transaction().execute(async (trx) => {
    // One builder per organisation and kind; one that waited here finds the work done.
    await sql`select pg_advisory_xact_lock(hashtext(${`relance.snapshot.${kind}`}), ${orgId}::int)`.execute(trx);
    const again = await current(trx, orgId, kind);
    const kept = again?.as_of === asOf ? (again.data as T) : undefined;
    if (kept !== undefined && covers(kept)) return { asOf, computedAt: again?.computed_at ?? new Date(), data: kept };
    const data = await build(trx, kept);
    const saved = await sql<{ computed_at: Date }>`
      insert into snapshots (org_id, kind, as_of, computed_at, data)
      values (${orgId}, ${kind}, ${asOf}::date, now(), ${JSON.stringify(data ?? {})}::jsonb)
      on conflict (org_id, kind) do update set
        as_of = excluded.as_of, data = excluded.data,
        computed_at = case when ${kept !== undefined}::boolean then snapshots.computed_at else excluded.computed_at end
      returning computed_at`.execute(trx);
    return { asOf, computedAt: saved.rows[0]?.computed_at ?? new Date(), data };
  });
}

/** The data of the snapshot of `kind` made for `asOf`, if at hand (without building one). */
export async function snapshotData<T>(
  db: Db | Transaction<Database>,
  orgId: number,
  kind: SnapshotKind,
  asOf: IsoDate,
): Promise<T | undefined> {
  const found = await current(db, orgId, kind);
  return found?.as_of === asOf ? (found.data as T) : undefined;
}

/** Whether a snapshot of `kind` made for `asOf` is at hand (without building one). */
export async function hasSnapshot(db: Db | Transaction<Database>, orgId: number, kind: SnapshotKind, asOf: IsoDate): Promise<boolean> {
  return (await snapshotData(db, orgId, kind, asOf)) !== undefined;
}
