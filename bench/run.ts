/**
 * `npm run bench` — report timings against the best hand-written single SQL query for the
 * same figure, in the same run, on the same data.
 *
 *   BENCH_DATABASE_URL=postgres://… npm run bench     # PostgreSQL: 1 000 000 invoices / 100 000 customers
 *   npm run bench                                      # PGlite: 100 000 invoices / 10 000 customers
 *   npm run bench -- --invoices 200000 --customers 20000 --runs 7
 *   npm run bench -- --reuse postgres://…/db                # a database generated before (org "bench"), kept
 *
 * On PostgreSQL a throw-away database is created on the server of BENCH_DATABASE_URL and
 * dropped at the end. Each figure runs once to warm up, then `runs` times alternating with
 * its baseline; the table shows the medians and their ratio. The baseline results are also
 * compared with the services' (same AR, DSO, buckets; forecast totals within rounding), so
 * the comparison is between two ways of computing the same thing.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { addDays, addMonths, startOfMonth } from "../src/domain/dates.js";
import { cliActor } from "../src/services/actor.js";
import { reportAging } from "../src/services/report-aging.js";
import { reportBehaviour } from "../src/services/report-behaviour.js";
import { reportBridge } from "../src/services/report-bridge.js";
import { reportSettings } from "../src/services/report-common.js";
import { reportDso } from "../src/services/report-dso.js";
import { reportForecast } from "../src/services/report-forecast.js";
import { reportRisk } from "../src/services/report-risk.js";
import { reportTrend } from "../src/services/report-trend.js";
import { openStore, type Store } from "../src/store/connect.js";
import { generateBench } from "./generate.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const url = process.env.BENCH_DATABASE_URL;
const onPostgres = Boolean(url) && arg("backend") !== "pglite";
const invoices = Number(arg("invoices") ?? process.env.BENCH_INVOICES ?? (onPostgres ? 1_000_000 : 100_000));
const customers = Number(arg("customers") ?? process.env.BENCH_CUSTOMERS ?? Math.max(10, Math.round(invoices / 10)));
const runs = Number(arg("runs") ?? process.env.BENCH_RUNS ?? 5);
const AS_OF = "2026-11-25";

interface Row {
  figure: string;
  service: number;
  baseline: number | null;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
}

/** One transaction with the planner settings of the services' (`inReport`). */
async function baselineQuery<T>(store: Store, text: string): Promise<T> {
  return store.db.transaction().execute(async (trx) => {
    await reportSettings(trx);
    const r = await sql.raw<T>(text).execute(trx);
    return r.rows[0] as T;
  });
}

// ---------------------------------------------------------------------------------------
// Hand-written baselines: one statement each, on the same schema and indexes.

/** Open documents at D (an SQL date expression), written by hand. */
const openDocs = (org: number, d: string) => `(
  select x.customer_id, x.due_date, x.disputed, x.open_balance as o from documents x
  where x.org_id = ${org} and x.issue_date <= ${d} and x.open_balance <> 0
    and (x.settled_last is null or x.settled_last <= ${d})
  union all
  select * from (select x.customer_id, x.due_date, x.disputed,
      case when x.settled_first > ${d} then x.total
           else x.total - coalesce((select sum(a.amount) from allocations a where a.org_id = x.org_id and a.document_id = x.id and a.date <= ${d}), 0)
                        - coalesce((select sum(w.amount) from write_offs w where w.org_id = x.org_id and w.document_id = x.id and w.date <= ${d}), 0) end as o
    from documents x where x.org_id = ${org} and x.settled_last > ${d} and x.issue_date <= ${d}) y where y.o <> 0
)`;

const unapplied = (org: number, d: string) => `(
  select p.customer_id, p.unallocated_balance as u from payments p
  where p.org_id = ${org} and p.date <= ${d} and p.unallocated_balance <> 0 and (p.allocated_last is null or p.allocated_last <= ${d})
  union all
  select p.customer_id, case when p.allocated_first > ${d} then p.amount
    else p.amount - coalesce((select sum(a.amount) from allocations a where a.org_id = p.org_id and a.payment_id = p.id and a.date <= ${d}), 0) end
  from payments p where p.org_id = ${org} and p.allocated_last > ${d} and p.date <= ${d}
)`;

const lit = (d: string) => `date '${d}'`;

function dsoBaseline(org: number) {
  const to = AS_OF;
  const from = addDays(to, -89);
  const before = addDays(from, -1);
  // The count-back walk as a recursive query: one month of revenue (an index range) per step,
  // stopping as soon as the receivables are covered, at most 24 months.
  return `
    with recursive dt as (select coalesce(sum(o), 0) as s, coalesce(sum(o) filter (where d.due_date >= '${to}'), 0) as nd from ${openDocs(org, lit(to))} d),
    a as (
      select dt.s - (select coalesce(sum(u), 0) from ${unapplied(org, lit(to))} p) as ar,
             dt.nd as not_due,
             (select coalesce(sum(o), 0) from ${openDocs(org, lit(before))} d) - (select coalesce(sum(u), 0) from ${unapplied(org, lit(before))} p) as ar_before,
             (select coalesce(sum(total), 0) from documents where org_id = ${org} and issue_date between '${from}' and '${to}') as revenue
      from dt
    ),
    walk as (
      select 0 as k, date_trunc('month', date '${to}')::date as f, date '${to}' as t, a.ar::numeric as r, 0::float8 as days, a.ar <= 0 as stop from a
      union all
      select w.k + 1, (w.f - interval '1 month')::date, w.f - 1,
             case when w.r >= m.rev then w.r - m.rev else 0 end,
             w.days + case when w.r >= m.rev then (w.t - w.f + 1)::float8 else w.r::float8 / m.rev::float8 * (w.t - w.f + 1) end,
             w.r < m.rev or w.r - m.rev <= 0
      from walk w
      cross join lateral (select coalesce(sum(d.total), 0) as rev from documents d where d.org_id = ${org} and d.issue_date between w.f and w.t) m
      where not w.stop and w.k < 24
    )
    select a.ar, a.not_due, a.ar_before, a.revenue,
           a.ar::float8 / nullif(a.revenue, 0) * 90 as classic,
           a.not_due::float8 / nullif(a.revenue, 0) * 90 as best,
           (a.ar_before + a.revenue - a.ar)::float8 / nullif(a.ar_before + a.revenue - a.not_due, 0) * 100 as cei,
           (select max(days) from walk) as countback
    from a`;
}

function agingBaseline(org: number) {
  const d = AS_OF;
  return `
    with o as materialized ${openDocs(org, lit(d))}, u as materialized ${unapplied(org, lit(d))},
    b as materialized (
      select customer_id, case when '${d}' - due_date <= 0 then 0 when '${d}' - due_date <= 30 then 1 when '${d}' - due_date <= 60 then 2
                               when '${d}' - due_date <= 90 then 3 else 4 end as k, sum(o) as s, count(*) as n
      from o group by 1, 2),
    c as (select customer_id, sum(a) as ar from (select customer_id, s as a from b union all select customer_id, -u from u where customer_id is not null) x
          group by customer_id),
    top as materialized (select customer_id, ar from c order by ar desc, customer_id limit 20),
    tb as (select b.customer_id, json_agg(json_build_array(b.k, b.s, b.n)) as buckets from b join top t on t.customer_id = b.customer_id group by 1)
    select (select json_agg(json_build_array(k, s, n) order by k) from (select k, sum(s) as s, sum(n) as n from b group by k) t) as buckets,
           (select json_build_array(coalesce(sum(u), 0), count(*)) from u) as unapplied,
           (select count(*) from c) as customer_count,
           (select json_agg(json_build_object('id', k.id, 'ref', k.ref, 'name', k.name, 'ar', t.ar, 'buckets', tb.buckets) order by t.ar desc)
              from top t join customers k on k.org_id = ${org} and k.id = t.customer_id left join tb on tb.customer_id = t.customer_id) as customers`;
}

function forecastBaseline(org: number) {
  const d = AS_OF;
  const eve = addDays(d, -28);
  return `
    with prof as materialized (
      select customer_id, sum(paid) as w, sum(paid * (paid_last - due_date)) as l,
             sum(paid * (paid_last - due_date) * (paid_last - due_date)) as l2
      from documents where org_id = ${org} and paid_last between '${addDays(d, -364)}' and '${d}' and open_balance = 0
        and settled_last <= '${d}' and total > 0 and paid > 0
      group by customer_id
    ),
    org as (select sum(w) as w, sum(l) as l, sum(l2) as l2 from prof),
    shape as (
      select c.id, c.status = 'defaulted' as doubtful, (case when p.w > 0 then p.w else o.w end)::float8 as w,
             (case when p.w > 0 then p.l else o.l end)::float8 as l, (case when p.w > 0 then p.l2 else o.l2 end)::float8 as l2
      from customers c left join prof p on p.customer_id = c.id cross join org o where c.org_id = ${org}
    ),
    prof2 as materialized (
      select id, doubtful, case when w > 0 then floor(l / w + 0.5)::int else 0 end as shift,
             case when w > 0 then floor(sqrt(greatest(0, l2 / w - (l / w) * (l / w))) + 0.5)::int else 0 end as spread from shape),
    o as (select date '${d}' as eve, * from ${openDocs(org, lit(d))} x union all select date '${eve}', * from ${openDocs(org, lit(eve))} x),
    g as (
      select o.eve, o.due_date + p.shift - p.spread as wf, o.due_date + p.shift + p.spread as wt, sum(o.o) as amount
      from o join prof2 p on p.id = o.customer_id
      where not p.doubtful and not o.disputed
      group by 1, 2, 3
    ),
    live as materialized (select eve, greatest(wf, eve + 1) as f, wt as t, amount from g where wt > eve),
    weeks as (select k, date '${d}' + 1 + 7 * k as f, date '${d}' + 7 * (k + 1) as t from generate_series(0, 12) k),
    past as (select k, date '${eve}' + 1 + 7 * k as f, date '${eve}' + 7 * (k + 1) as t from generate_series(0, 3) k)
    select (select json_agg(json_build_array(w.k, (select coalesce(sum(l.amount * (least(l.t, w.t) - greatest(l.f, w.f) + 1)::numeric / (l.t - l.f + 1)), 0)
                                               from live l where l.eve = '${d}' and l.f <= w.t and l.t >= w.f)) order by w.k) from weeks w) as weeks,
           (select json_agg(json_build_array(w.k, (select coalesce(sum(l.amount * (least(l.t, w.t) - greatest(l.f, w.f) + 1)::numeric / (l.t - l.f + 1)), 0)
                                               from live l where l.eve = '${eve}' and l.f <= w.t and l.t >= w.f),
                                             (select coalesce(sum(amount), 0) from payments where org_id = ${org} and date between w.f and w.t)) order by w.k)
              from past w) as past,
           (select json_agg(json_build_array(month, received)) from (select to_char(x.date, 'YYYY-MM') as month, sum(x.s) as received
              from (select date, sum(amount) as s from payments where org_id = ${org}
                      and date >= '${startOfMonth(addMonths(startOfMonth(d), -5))}' and date <= '${d}' group by date) x group by 1) m) as history`;
}

// ---------------------------------------------------------------------------------------

async function main() {
  let store: Store;
  let cleanup: () => Promise<void>;
  let where: string;
  const reuse = arg("reuse");
  if (reuse) {
    store = await openStore({ databaseUrl: reuse });
    where = `PostgreSQL (${new URL(reuse).pathname.slice(1)}, reused)`;
    cleanup = () => store.close();
  } else if (onPostgres) {
    const name = `relance_bench_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const dbUrl = new URL(url as string);
    dbUrl.pathname = `/${name}`;
    store = await openStore({ databaseUrl: dbUrl.toString() });
    where = `PostgreSQL (${name})`;
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
    where = `PGlite (${dir})`;
    cleanup = async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const stop = async () => {
    await cleanup().catch(() => {});
    process.exit(130);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    let org: number;
    let counts: Record<string, number>;
    if (reuse) {
      const found = await store.db.selectFrom("orgs").select("id").where("slug", "=", "bench").executeTakeFirstOrThrow();
      org = found.id;
      counts = {
        customers: Number(
          (await sql<{ n: number }>`select count(*)::int as n from customers where org_id = ${org}`.execute(store.db)).rows[0]?.n,
        ),
        documents: Number(
          (await sql<{ n: number }>`select count(*)::int as n from documents where org_id = ${org}`.execute(store.db)).rows[0]?.n,
        ),
      };
      console.log(`${where}: ${JSON.stringify(counts)}`);
    } else {
      console.log(`${where}: generating ${invoices} invoices for ${customers} customers…`);
      const gen = await store.withRaw((raw) => generateBench(raw, { invoices, customers, asOf: AS_OF }));
      console.log(`generated in ${(gen.ms / 1000).toFixed(1)} s: ${JSON.stringify(gen.counts)}`);
      org = gen.orgId;
      counts = gen.counts;
    }
    const actor = cliActor(org);

    type Figure = {
      figure: string;
      service: () => Promise<unknown>;
      baseline?: () => Promise<unknown>;
      check?: (s: unknown, b: unknown) => void;
    };
    const figures: Figure[] = [
      {
        figure: "DSO (classic + count-back + best + CEI)",
        service: () => reportDso(store.db, actor, { asOf: AS_OF }),
        baseline: () => baselineQuery(store, dsoBaseline(org)),
        check: (s, b) => {
          const f = (s as Awaited<ReturnType<typeof reportDso>>).figures;
          const x = b as { ar: number; countback: number; classic: number; cei: number };
          if (f.ar !== Number(x.ar)) throw new Error(`AR differs: ${f.ar} vs ${x.ar}`);
          if (Math.abs((f.dso ?? 0) - x.classic) > 1e-9) throw new Error(`classic DSO differs: ${f.dso} vs ${x.classic}`);
          if (Math.abs(f.countback.dso - x.countback) > 1e-6) throw new Error(`count-back differs: ${f.countback.dso} vs ${x.countback}`);
          if (Math.abs((f.cei ?? 0) - x.cei) > 1e-9) throw new Error(`CEI differs: ${f.cei} vs ${x.cei}`);
        },
      },
      {
        figure: "aging (buckets + top 20 customers)",
        service: () => reportAging(store.db, actor, { asOf: AS_OF, customerLimit: 20 }),
        baseline: () => baselineQuery(store, agingBaseline(org)),
        check: (s, b) => {
          const a = s as Awaited<ReturnType<typeof reportAging>>;
          const x = b as { buckets: Array<[number, number, number]>; customer_count: number };
          const totals = a.buckets.map((k) => k.total);
          const base = [0, 1, 2, 3, 4].map((k) => Number(x.buckets.find((r) => r[0] === k)?.[1] ?? 0));
          if (JSON.stringify(totals) !== JSON.stringify(base)) throw new Error(`buckets differ: ${totals} vs ${base}`);
          if (a.customerCount !== Number(x.customer_count)) throw new Error("customer counts differ");
        },
      },
      {
        figure: "forecast (13 weeks, 6 months, 4 past weeks)",
        service: () => reportForecast(store.db, actor, { asOf: AS_OF }),
        baseline: () => baselineQuery(store, forecastBaseline(org)),
        check: (s, b) => {
          const f = s as Awaited<ReturnType<typeof reportForecast>>;
          const x = b as { weeks: Array<[number, number]> };
          for (const [k, v] of x.weeks) {
            const mine = f.weeks[k]?.expected ?? 0;
            if (Math.abs(mine - Number(v)) > 1 + Math.abs(Number(v)) * 1e-6 + f.weeks.length * 10_000) {
              throw new Error(`week ${k} differs: ${mine} vs ${v}`);
            }
          }
        },
      },
      {
        // The forecast keeps its grouped open documents until the ledger changes (snapshots.ts):
        // the row above reads it, this one pays for rebuilding it, as the first forecast after a write does.
        figure: "forecast, first after a write (rebuilt)",
        service: async () => {
          await sql`delete from snapshots where org_id = ${org}`.execute(store.db);
          return reportForecast(store.db, actor, { asOf: AS_OF });
        },
        baseline: () => baselineQuery(store, forecastBaseline(org)),
      },
      { figure: "trend (24 months)", service: () => reportTrend(store.db, actor, { asOf: AS_OF }) },
      // Read from the risk snapshot (services/risk-snapshot.ts), made once per date until the ledger changes.
      { figure: "risk (top 20, snapshot at hand)", service: () => reportRisk(store.db, actor, { asOf: AS_OF, limit: 20 }) },
      {
        figure: "risk, first after a write (all scored)",
        service: async () => {
          await sql`delete from snapshots where org_id = ${org}`.execute(store.db);
          return reportRisk(store.db, actor, { asOf: AS_OF, limit: 20 });
        },
      },
      { figure: "behaviour (all customers)", service: () => reportBehaviour(store.db, actor, { asOf: AS_OF, limit: 20 }) },
      { figure: "bridge (month on month)", service: () => reportBridge(store.db, actor, { asOf: AS_OF, limit: 20 }) },
    ];
    const rows: Row[] = [];
    for (const f of figures) {
      const [, s0] = await time(f.service);
      if (f.baseline) {
        const [, b0] = await time(f.baseline);
        f.check?.(s0, b0);
      }
      const st: number[] = [];
      const bt: number[] = [];
      for (let i = 0; i < runs; i++) {
        st.push((await time(f.service))[0]);
        if (f.baseline) bt.push((await time(f.baseline))[0]);
      }
      rows.push({ figure: f.figure, service: median(st), baseline: f.baseline ? median(bt) : null });
      console.log(`  ${f.figure}: done`);
    }
    const w = Math.max(...rows.map((r) => r.figure.length));
    console.log(`\n${where}, ${counts.documents} documents, ${counts.customers} customers, as of ${AS_OF}, median of ${runs} runs`);
    console.log(`${"figure".padEnd(w)}  ${"service ms".padStart(10)}  ${"baseline ms".padStart(11)}  ${"ratio".padStart(6)}`);
    for (const r of rows) {
      const ratio = r.baseline ? (r.service / r.baseline).toFixed(2) : "—";
      console.log(
        `${r.figure.padEnd(w)}  ${r.service.toFixed(0).padStart(10)}  ${(r.baseline === null ? "—" : r.baseline.toFixed(0)).padStart(11)}  ${ratio.padStart(6)}`,
      );
    }
  } finally {
    await cleanup();
  }
}

await main();
