import { constants as fsc } from "node:fs";
import { access, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PostgresDialect } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import { AppError } from "../errors.js";
import { migrate, type RawSession } from "./migrate.js";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;

export interface Store {
  db: Db;
  kind: "pglite" | "postgres";
  /** Where the data lives, for messages: the data directory or host:port/database. */
  location: string;
  /** A raw session for multi-statement scripts and bulk loads (one connection). */
  withRaw<T>(fn: (raw: RawSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL connection string; when absent the embedded database in dataDir is used. */
  databaseUrl?: string;
  dataDir?: string;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
}

// Type OIDs: int8 (ids, cents, counts) and numeric (sums) as JS numbers; date as the
// 'YYYY-MM-DD' string it is, never a Date shifted by the process's time zone.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const toNumber = (v: string) => Number(v);
const asText = (v: string) => v;

export async function openStore(options: StoreOptions): Promise<Store> {
  const store = options.databaseUrl ? await openPostgres(options.databaseUrl) : await openPglite(options.dataDir ?? "./data");
  if (options.migrate !== false) {
    try {
      await store.withRaw((raw) => migrate(raw));
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

async function openPostgres(url: string): Promise<Store> {
  const parsed = new URL(url);
  const where = `${parsed.hostname || "localhost"}:${parsed.port || 5432}`;
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        if (oid === INT8 || oid === NUMERIC) return toNumber;
        if (oid === DATE) return asText;
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server must not crash the process.
  pool.on("error", () => {});
  try {
    await pool.query("select 1");
  } catch (error) {
    await pool.end().catch(() => {});
    throw new AppError("unavailable", `cannot connect to PostgreSQL at ${where}${parsed.pathname}: ${describePgError(error)}`);
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: "postgres",
    location: `${where}${parsed.pathname}`,
    async withRaw(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
          exec: async (sql) => {
            await client.query(sql);
          },
        });
      } finally {
        client.release();
      }
    },
    close: () => db.destroy(),
  };
}

function describePgError(error: unknown): string {
  const e = error as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = e.code ?? e.errors?.[0]?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  if (code === "ETIMEDOUT") return "connection timed out";
  if (code === "3D000") return "database does not exist";
  if (code === "28P01" || code === "28000") return "authentication failed";
  return e.message || String(code ?? "unknown error");
}

async function openPglite(dataDir: string): Promise<Store> {
  const dir = path.resolve(dataDir);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, fsc.W_OK);
  } catch (error) {
    throw new AppError("unavailable", `data directory ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const release = await lockDataDir(dir);
  let client: PGlite;
  try {
    client = await PGlite.create(path.join(dir, "pg"), {
      parsers: { [INT8]: toNumber, [NUMERIC]: toNumber, [DATE]: asText },
    });
  } catch (error) {
    await release();
    throw new AppError("unavailable", `cannot open the embedded database in ${dir}: ${(error as Error).message}`);
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  // PGlite has one connection; serialise raw sessions with Kysely's own queries.
  return {
    db,
    kind: "pglite",
    location: dir,
    withRaw: (fn) =>
      db.connection().execute(() =>
        fn({
          query: async (sql, params) => (await client.query(sql, params as unknown[])).rows as Record<string, unknown>[],
          exec: async (sql) => {
            await client.exec(sql);
          },
        }),
      ),
    async close() {
      await db.destroy();
      await release();
    },
  };
}

/**
 * PGlite is a single-process database: two processes opening the same directory would
 * corrupt it. A pid lock file turns that into a clear error instead.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lockPath = path.join(dir, "relance.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, String(process.pid), { flag: "wx" });
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new AppError("unavailable", `data directory ${dir} is not writable (${(error as NodeJS.ErrnoException).code})`);
      }
      const pid = Number((await readFile(lockPath, "utf8").catch(() => "")).trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new AppError(
          "unavailable",
          `the embedded database in ${dir} is in use by process ${pid} (is "relance serve" running? stop it, or use PostgreSQL with DATABASE_URL)`,
        );
      }
      if (pid === process.pid) {
        throw new AppError("unavailable", `the embedded database in ${dir} is already open in this process`);
      }
      await rm(lockPath, { force: true }); // stale lock of a process that died
    }
  }
  throw new AppError("unavailable", `cannot lock data directory ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
