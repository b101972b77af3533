import { loadEnv } from "../config.js";
import { type Actor, cliActor } from "../services/actor.js";
import { resolveOrg } from "../services/orgs.js";
import { openStore, type Store } from "../store/connect.js";

export interface GlobalOptions {
  data?: string;
  org?: string;
}

/** Opens the database chosen by DATABASE_URL or --data/RELANCE_DATA_DIR, runs fn, closes it. */
export async function withStore<T>(opts: GlobalOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const env = loadEnv();
  const store = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: opts.data ?? env.RELANCE_DATA_DIR });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The org of --org (or the only one) and an owner-level actor for CLI writes. */
export async function withOrg<T>(
  opts: GlobalOptions,
  fn: (store: Store, actor: Actor, org: { id: number; slug: string; name: string }) => Promise<T>,
): Promise<T> {
  return withStore(opts, async (store) => {
    const org = await resolveOrg(store.db, opts.org);
    return fn(store, cliActor(org.id), org);
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
