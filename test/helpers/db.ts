import { randomBytes } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { openStore, type Store } from "../../src/store/connect.js";

export type Backend = "pglite" | "postgres";

/** Store tests run on PGlite always, and on PostgreSQL too when TEST_DATABASE_URL is set. */
export const BACKENDS: Backend[] = process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

export interface TestDb {
  store: Store;
  /** What to pass to the CLI to reach the same database. */
  env: Record<string, string>;
  dataDir?: string;
  databaseUrl?: string;
  dispose(): Promise<void>;
}

/** A fresh, migrated PGlite data directory (copied from the template built once per run). */
export async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(inject("testRoot"), "db-"));
  await cp(inject("pgliteTemplate"), dir, { recursive: true });
  return dir;
}

/**
 * A throw-away PostgreSQL database on the server of TEST_DATABASE_URL, created for this
 * test and dropped at the end. Only databases this helper created are ever dropped.
 */
export async function freshPostgresUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("TEST_DATABASE_URL is not set");
  const name = `relance_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function openTestDb(backend: Backend): Promise<TestDb> {
  if (backend === "pglite") {
    const dataDir = await freshDataDir();
    const store = await openStore({ dataDir });
    return {
      store,
      dataDir,
      env: { RELANCE_DATA_DIR: dataDir, DATABASE_URL: "" },
      dispose: async () => {
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const { url, drop } = await freshPostgresUrl();
  const store = await openStore({ databaseUrl: url });
  return {
    store,
    databaseUrl: url,
    env: { DATABASE_URL: url },
    dispose: async () => {
      await store.close();
      await drop();
    },
  };
}
