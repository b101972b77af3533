/**
 * Dunning benchmark (issue 6): a planning tick over N open invoices / M customers, timed
 * against a single hand-written `INSERT … SELECT` that finds the due steps, in the same
 * run, on the same data; then delivery throughput to a local SMTP server.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node --import tsx bench/dunning.ts
 *   node --import tsx bench/dunning.ts --invoices 100000 --customers 10000      # smaller
 *   … --backend pglite                                                           # embedded
 *
 * Data: every invoice open (no payment), due dates spread over 30 days before to 30 days
 * after the first tick, Standard policy. Two ticks are measured:
 *  - "first tick": nothing recorded yet — every due invoice gets its latest step, earlier
 *    steps are recorded as skipped (catch-up);
 *  - "daily tick": the next business day, only invoices reaching a new step.
 * The baseline of each tick is one INSERT … SELECT into a scratch table of (document, step)
 * pairs due and not yet recorded (calendar days, no business-day shift, no grouping, no
 * pause rules): the least work that finds the due steps.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import { planRun } from "../src/dunning/engine.js";
import { smtpTransport } from "../src/dunning/transport.js";
import { deliverDue } from "../src/dunning/worker.js";
import { ensureShippedPolicies } from "../src/services/dunning-policies.js";
import { initOrg } from "../src/services/orgs.js";
import { openStore, type Store } from "../src/store/connect.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const url = process.env.BENCH_DATABASE_URL;
const onPostgres = Boolean(url) && arg("backend") !== "pglite";
const invoices = Number(arg("invoices") ?? (onPostgres ? 1_000_000 : 100_000));
const customers = Number(arg("customers") ?? Math.max(10, Math.round(invoices / 10)));
const deliveries = Number(arg("deliveries") ?? 2000);
const DAY0 = "2026-03-03"; // Tuesday
const DAY1 = "2026-03-04";

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
}

async function baseline(store: Store, orgId: number, asOf: string): Promise<number> {
  await sql`drop table if exists bench_due`.execute(store.db);
  await sql`create unlogged table bench_due (document_id bigint, step_id bigint)`.execute(store.db);
  const r = await sql`
    insert into bench_due (document_id, step_id)
    select d.id, s.id
    from documents d
    join customers c on c.org_id = d.org_id and c.id = d.customer_id
    join dunning_policies p on p.org_id = d.org_id and p.id = coalesce(c.dunning_policy_id, (select id from dunning_policies where org_id = ${orgId} and is_default))
    join lateral (
      select st.id from dunning_steps st
      where st.org_id = p.org_id and st.policy_id = p.id and st.active and d.due_date + st.offset_days <= ${asOf}::date
      order by st.offset_days desc limit 1
    ) s on true
    where d.org_id = ${orgId} and d.kind = 'invoice'
      and d.total - coalesce((select sum(a.amount) from allocations a where a.org_id = d.org_id and a.document_id = d.id and a.date <= ${asOf}::date), 0) > 0
      and not exists (select 1 from dunning_events e where e.org_id = d.org_id and e.document_id = d.id and e.step_id = s.id)`.execute(
    store.db,
  );
  const n = Number(r.numAffectedRows ?? 0);
  await sql`drop table bench_due`.execute(store.db);
  return n;
}

async function main() {
  let store: Store;
  let cleanup: () => Promise<void>;
  if (onPostgres) {
    const name = `relance_bench_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(url as string);
    u.pathname = `/${name}`;
    store = await openStore({ databaseUrl: u.toString() });
    cleanup = async () => {
      await store.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  } else {
    const dir = await mkdtemp(path.join(tmpdir(), "relance-bench-"));
    store = await openStore({ dataDir: dir });
    cleanup = async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    };
  }
  try {
    console.log(`Dunning benchmark on ${onPostgres ? "PostgreSQL" : "PGlite"}: ${invoices} open invoices, ${customers} customers`);
    const init = await initOrg(store.db, {
      slug: "bench",
      orgName: "Bench SAS",
      adminEmail: "bench@example.com",
      adminPassword: "bench-password-123",
    });
    const orgId = init.org.id;
    await ensureShippedPolicies(store.db, orgId);
    const [, genSeconds] = await time(async () => {
      await sql`insert into customers (org_id, ref, name, email)
        select ${orgId}, 'B' || lpad(i::text, 7, '0'), 'Client ' || i, 'client' || i || '@bench.example'
        from generate_series(1, ${customers}) i`.execute(store.db);
      await sql`insert into documents (org_id, kind, number, customer_id, issue_date, due_date, total)
        select ${orgId}, 'invoice', 'F' || lpad(i::text, 8, '0'), c.id, x.due - 30, x.due, 10000 + (i * 7919) % 500000
        from generate_series(1::bigint, ${invoices}::bigint) i
        cross join lateral (select ${DAY0}::date - 30 + (i * 104729 % 61)::int as due) x
        join customers c on c.org_id = ${orgId} and c.ref = 'B' || lpad((1 + (i * 31) % ${customers})::text, 7, '0')`.execute(store.db);
      // A ledger in use has been vacuumed: without it, whichever query reads the fresh rows
      // first (the baseline) pays for setting their hint bits, and index-only scans fetch heap pages.
      await sql`vacuum analyze`.execute(store.db);
    });
    console.log(`data generated in ${genSeconds.toFixed(1)} s`);

    const rows: { tick: string; engine: number; baseline: number; messages: number; events: number; due: number }[] = [];
    for (const [tick, asOf] of [
      ["first tick", DAY0],
      ["daily tick", DAY1],
    ] as const) {
      const [due, base] = await time(() => baseline(store, orgId, asOf));
      const before = Number((await sql<{ n: number }>`select count(*)::bigint as n from dunning_events`.execute(store.db)).rows[0]?.n);
      const [result, engine] = await time(() => planRun(store.db, orgId, { asOf }));
      const after = Number((await sql<{ n: number }>`select count(*)::bigint as n from dunning_events`.execute(store.db)).rows[0]?.n);
      rows.push({ tick, engine, baseline: base, messages: result.planned, events: after - before, due });
      // Autovacuum would have processed the tick's rows by the next day's tick.
      await sql`vacuum analyze`.execute(store.db);
    }
    console.log(
      "\n| tick | plan + enqueue (s) | INSERT … SELECT baseline (s) | ratio | messages | events written | due pairs (baseline) |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (const r of rows) {
      console.log(
        `| ${r.tick} | ${r.engine.toFixed(2)} | ${r.baseline.toFixed(2)} | ${(r.engine / r.baseline).toFixed(2)}× | ${r.messages} | ${r.events} | ${r.due} |`,
      );
    }

    // Delivery throughput to a local SMTP server.
    let received = 0;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, _s, cb) {
        stream.on("data", () => {});
        stream.on("end", () => {
          received++;
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.server.address() as { port: number }).port;
    const transport = smtpTransport(`smtp://127.0.0.1:${port}`);
    const files = await mkdtemp(path.join(tmpdir(), "relance-bench-files-"));
    // Emails only (letters and calls write no SMTP message).
    await sql`update outbox set next_attempt_at = now() + interval '1 day' where channel <> 'email'`.execute(store.db);
    const [report, seconds] = await time(() => deliverDue({ store, orgId, transport, filesDir: files, limit: deliveries, concurrency: 4 }));
    transport.close();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(files, { recursive: true, force: true });
    console.log(
      `\ndelivery: ${report.sent} emails in ${seconds.toFixed(1)} s = ${(report.sent / seconds).toFixed(0)} messages/s (SMTP received ${received}, concurrency 4)`,
    );
  } finally {
    await cleanup();
  }
}

await main();
