/**
 * Web app API benchmark (issue 7): the responses the dashboard and the customer list ask
 * for, timed through the HTTP layer (Fastify inject: routing, auth, validation,
 * serialisation included), median of `--runs`.
 *
 *   node --import tsx bench/web-api.ts                       # demo data on PGlite (what `npm start` shows)
 *   node --import tsx bench/web-api.ts --reuse postgres://…/db   # a bench database (org "bench"), e.g. 100 000 customers
 *
 * Each URL is called once to warm up. Risk-filtered lists are timed twice: the first call
 * of the day (which scores every customer and keeps the snapshot) and then the median.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApp } from "../src/api/app.js";
import { cliActor } from "../src/services/actor.js";
import { createApiKey } from "../src/services/auth.js";
import { initOrg } from "../src/services/orgs.js";
import { seedDemo } from "../src/services/seed-demo.js";
import { openStore, type Store } from "../src/store/connect.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const runs = Number(arg("runs") ?? 7);
const reuse = arg("reuse");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  let store: Store;
  let cleanup = async () => {};
  let orgId: number;
  let asOf: string;
  if (reuse) {
    store = await openStore({ databaseUrl: reuse });
    orgId = (await store.db.selectFrom("orgs").select("id").where("slug", "=", "bench").executeTakeFirstOrThrow()).id;
    asOf = "2026-11-25";
  } else {
    const dir = await mkdtemp(path.join(tmpdir(), "relance-web-bench-"));
    store = await openStore({ dataDir: dir });
    cleanup = () => rm(dir, { recursive: true, force: true });
    orgId = (await initOrg(store.db, { orgName: "Démo", adminEmail: "bench@demo.example", adminPassword: "bench-password-123" })).org.id;
    await seedDemo(store, cliActor(orgId), { seed: 1 });
    asOf = new Date().toISOString().slice(0, 10);
  }
  const key = await createApiKey(store.db, cliActor(orgId), { name: "bench", role: "owner" });
  const app = await buildApp({ store, env: { RELANCE_SESSION_DAYS: 14, RELANCE_COOKIE_SECURE: "false" } });
  await app.ready();
  const headers = { authorization: `Bearer ${key.key}` };
  const call = async (url: string) => {
    const t = performance.now();
    const res = await app.inject({ method: "GET", url, headers });
    const ms = performance.now() - t;
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    return ms;
  };
  const before = new Date(Date.parse(`${asOf}T00:00:00Z`) - 30 * 86_400_000).toISOString().slice(0, 10);
  const dashboard = [
    `/api/reports/dso?asOf=${asOf}`,
    `/api/reports/aging?asOf=${asOf}&limit=50`,
    `/api/reports/trend?asOf=${asOf}&months=24`,
    `/api/reports/forecast?asOf=${asOf}&weeks=8`,
    `/api/reports/risk?asOf=${asOf}&limit=6`,
    `/api/reports/bridge?asOf=${asOf}&compareTo=${before}&limit=8`,
    "/api/tasks?status=open&limit=20",
    "/api/promises?status=pending",
    "/api/disputes?status=open",
    "/api/dunning/approvals",
  ];
  const lists = [
    `/api/customers?asOf=${asOf}`,
    `/api/customers?asOf=${asOf}&sort=ref`,
    `/api/customers?asOf=${asOf}&sort=outstanding`,
    `/api/customers?asOf=${asOf}&sort=overdue`,
    `/api/customers?asOf=${asOf}&overdue=true&sort=overdue`,
    `/api/customers?asOf=${asOf}&disputed=true`,
    `/api/customers?asOf=${asOf}&q=client%2012`,
  ];
  const riskLists = [`/api/customers?asOf=${asOf}&risk=high`, `/api/customers?asOf=${asOf}&risk=rising&sort=risk`];
  console.log(`${reuse ? `PostgreSQL ${new URL(reuse).pathname.slice(1)}` : "PGlite demo data"}, as of ${asOf}, median of ${runs}`);
  const first = await call(riskLists[0] as string);
  console.log(`${"first risk-filtered list (scores every customer)".padEnd(70)} ${first.toFixed(0).padStart(6)} ms`);
  for (const url of [...dashboard, ...lists, ...riskLists]) {
    await call(url);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await call(url));
    console.log(`${url.replace(/asOf=[\d-]+&?/, "").padEnd(70)} ${median(times).toFixed(0).padStart(6)} ms`);
  }
  await app.close();
  await store.close();
  await cleanup();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
