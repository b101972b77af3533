import { pino } from "pino";
import { buildApp } from "../api/app.js";
import { loadEnv } from "../config.js";
import { startScheduler } from "../dunning/scheduler.js";
import { cliActor } from "../services/actor.js";
import { initOrg } from "../services/orgs.js";
import { seedDemo } from "../services/seed-demo.js";
import { openStore } from "../store/connect.js";

export interface ServeOptions {
  data?: string;
  port?: number;
  host?: string;
  /** `relance start`: an empty database first gets an organisation and the demo data. */
  demoIfEmpty?: boolean;
}

export async function serve(options: ServeOptions): Promise<void> {
  const env = loadEnv();
  const store = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: options.data ?? env.RELANCE_DATA_DIR });
  let login: { email: string; password?: string } | undefined;
  if (options.demoIfEmpty) {
    const existing = await store.db.selectFrom("orgs").select("id").limit(1).executeTakeFirst();
    if (!existing) {
      console.log("First start: creating the organisation and loading demo data…");
      const init = await initOrg(store.db, { orgName: "Démo Relance SAS", adminEmail: "admin@example.com" });
      const counts = await seedDemo(store, cliActor(init.org.id), { seed: 1 });
      console.log(`Demo data: ${counts.customers} customers, ${counts.documents} documents, ${counts.payments} payments.`);
      login = { email: init.admin.email, password: init.generatedPassword };
    }
  }
  const logger = pino({
    level: env.LOG_LEVEL,
    ...(process.stdout.isTTY ? { transport: { target: "pino-pretty", options: { colorize: true, ignore: "pid,hostname" } } } : {}),
  });
  const app = await buildApp({ store, env, logger });
  const port = options.port ?? env.PORT ?? 3000;
  const host = options.host ?? env.HOST ?? "127.0.0.1";
  await app.listen({ port, host });
  const address = app.server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  console.log(
    `Relance is running on http://${host}:${actualPort} (database: ${store.kind === "pglite" ? `embedded, ${store.location}` : `PostgreSQL ${store.location}`})`,
  );
  if (login?.password) console.log(`Log in with ${login.email} / ${login.password} (shown once: write it down)`);
  else if (options.demoIfEmpty) console.log('Log in with the owner created by "relance init" (admin@example.com on a demo install).');
  // Dunning: scheduled runs (dunning.schedule) and the outbox worker — see src/dunning/scheduler.ts.
  const scheduler = startScheduler(store, app.log);
  const stop = async () => {
    await scheduler.stop();
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
