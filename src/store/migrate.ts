import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** One database connection, outside Kysely, for scripts that hold several statements. */
export interface RawSession {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  exec(sql: string): Promise<void>;
}

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
// Arbitrary constant shared by every Relance process: the advisory lock that makes two
// processes starting at once apply each migration exactly once.
const MIGRATION_LOCK = 7_274_551_001;

export async function listMigrations(): Promise<{ version: string; sql: string }[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
  return Promise.all(files.map(async (f) => ({ version: f.replace(/\.sql$/, ""), sql: await readFile(MIGRATIONS_DIR + f, "utf8") })));
}

/** Applies pending migrations in order, each in its own transaction; returns those applied. */
export async function migrate(raw: RawSession): Promise<string[]> {
  const migrations = await listMigrations();
  await raw.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
  try {
    await raw.exec(
      "create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())",
    );
    const done = new Set((await raw.query("select version from schema_migrations")).map((r) => String(r.version)));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await raw.exec("begin");
      try {
        await raw.exec(m.sql);
        await raw.query("insert into schema_migrations (version) values ($1)", [m.version]);
        await raw.exec("commit");
      } catch (error) {
        await raw.exec("rollback");
        throw new Error(`migration ${m.version} failed: ${(error as Error).message}`);
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await raw.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
  }
}
