/**
 * Import benchmark (issue 8): N invoices from a CSV through `importFile` (both passes, one
 * transaction), against a raw `COPY` of the same file into a bare table of the same columns,
 * in the same run and the same database. Reports rows/s, the ratio and the import's peak RSS
 * (measured in a child process that does nothing else).
 *
 *   node --import tsx bench/import-csv.ts --rows 1000000 --backend postgres   # BENCH_DATABASE_URL or TEST_DATABASE_URL
 *   node --import tsx bench/import-csv.ts --rows 1000000 --backend pglite
 *   node --import tsx bench/import-csv.ts --rows 3000000 --backend postgres --skip-copy   # ~200 MB file: memory
 *   node --import tsx bench/import-csv.ts --rows 3000000 --generate /tmp/invoices.csv      # the file only
 *   npm run build && node --import tsx bench/import-csv.ts --rows 1000000 --backend pglite --cli
 *
 * --cli times the built command a user runs, `relance import invoices FILE --json` (after
 * `relance init`), from spawn to exit, and reads its peak RSS from /proc (VmHWM, Linux):
 * without it the child runs the TypeScript sources under tsx, whose loader thread and
 * transpiled sources add ~100 MB of RSS that `relance` does not have.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { cliActor } from "../src/services/actor.js";
import { importFile } from "../src/services/import-file.js";
import { openStore } from "../src/store/connect.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const COLUMNS = "invoice_number,customer_ref,customer_name,issue_date,due_date,amount_total,amount_paid";

/** A deterministic invoices export: 10 % of the invoices partly paid, 10 000 customers. */
async function generate(file: string, rows: number): Promise<number> {
  const out = createWriteStream(file);
  let seed = 42;
  // mulberry32: deterministic and well spread.
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const day0 = Date.UTC(2024, 0, 1);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r())));
  await write(`${COLUMNS}\n`);
  let buf = "";
  for (let i = 1; i <= rows; i++) {
    const c = Math.floor(rand() * 10_000);
    const issue = new Date(day0 + Math.floor(rand() * 700) * 86_400_000).toISOString().slice(0, 10);
    const due = new Date(Date.parse(issue) + 30 * 86_400_000).toISOString().slice(0, 10);
    const cents = 1000 + Math.floor(rand() * 5_000_000);
    const paid = rand() < 0.1 ? Math.floor(cents / 2) : 0;
    const money = (x: number) => `${Math.trunc(x / 100)}.${String(x % 100).padStart(2, "0")}`;
    buf += `FA-${String(i).padStart(9, "0")},C${String(c).padStart(5, "0")},"Client ${c}, SARL",${issue},${due},${money(cents)},${paid ? money(paid) : ""}\n`;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = "";
    }
  }
  await write(buf);
  await new Promise<void>((r) => out.end(() => r()));
  return (await stat(file)).size;
}

/** The import alone, in this process: prints {ms, maxRssMb, counts} as JSON. */
async function child(): Promise<void> {
  const file = arg("file") as string;
  const store = await openStore(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : { dataDir: arg("data") as string });
  const org = await store.db.insertInto("orgs").values({ slug: "bench-import", name: "Bench" }).returning("id").executeTakeFirstOrThrow();
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const t = performance.now();
  const s = await importFile(store, cliActor(org.id), { kind: "invoices", path: file, today: "2026-01-01" });
  const ms = performance.now() - t;
  clearInterval(sampler);
  await store.close();
  process.stdout.write(
    `${JSON.stringify({
      ms,
      maxRssMb: Math.round(Math.max(peak, process.resourceUsage().maxRSS * 1024) / 1048576),
      inserted: s.inserted,
      customers: s.details.customers.inserted,
      allocations: s.details.allocations.inserted,
    })}\n`,
  );
}

function runChild(
  env: Record<string, string>,
  args: string[],
): Promise<{ ms: number; maxRssMb: number; inserted: number; customers: number; allocations: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", "bench/import-csv.ts", "--child", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (c) => {
      out += c;
    });
    p.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop() as string)) : reject(new Error(`import child exited ${code}`)),
    );
  });
}

/** The built CLI (dist/), as a user runs it: init (untimed), then the import, timed from spawn to exit. */
async function runCli(env: Record<string, string>, file: string): ReturnType<typeof runChild> {
  const cli = path.resolve("dist/cli/main.js");
  await stat(cli).catch(() => {
    throw new Error("--cli measures the built command: run `npm run build` first");
  });
  const childEnv = { ...process.env, ...env };
  execFileSync(process.execPath, [cli, "init", "--json", "--admin-password", "bench-password-123"], { env: childEnv, stdio: "ignore" });
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn(process.execPath, [cli, "import", "invoices", file, "--json"], { env: childEnv, stdio: ["ignore", "pipe", "inherit"] });
    let peakKb = 0;
    // VmHWM is the process's own high-water mark: any read after the peak has it.
    const sampler = setInterval(() => {
      readFile(`/proc/${p.pid}/status`, "utf8")
        .then((status) => {
          peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
        })
        .catch(() => {});
    }, 20);
    let out = "";
    p.stdout.on("data", (c) => {
      out += c;
    });
    p.on("close", (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`relance import exited ${code}`));
      const s = JSON.parse(out) as { inserted: number; details: { customers: { inserted: number }; allocations: { inserted: number } } };
      resolve({
        ms: performance.now() - t,
        maxRssMb: Math.round(peakKb / 1024),
        inserted: s.inserted,
        customers: s.details.customers.inserted,
        allocations: s.details.allocations.inserted,
      });
    });
  });
}

/**
 * The same rows moved from the bare table into the real schema (customers, documents with
 * every index and foreign key, the paid part as payments + allocations) by set-based SQL,
 * the movement totals written with the rows (relance.ledger_prefilled, 0008_import_speed.sql)
 * as the import does: the floor any importer pays for this schema.
 */
const SCHEMA_FLOOR = (org: number) => `
  analyze bare_invoices;
  insert into customers (org_id, ref, name) select distinct on (customer_ref) ${org}, customer_ref, customer_name from bare_invoices order by customer_ref;
  insert into documents (org_id, kind, number, customer_id, issue_date, due_date, total, source, paid, paid_last, settled_first, settled_last)
    select ${org}, 'invoice', b.invoice_number, c.id, b.issue_date, b.due_date, (b.amount_total * 100)::bigint, 'bench',
      coalesce((b.amount_paid * 100)::bigint, 0), p.day, p.day, p.day
    from bare_invoices b join customers c on c.org_id = ${org} and c.ref = b.customer_ref
    cross join lateral (select case when b.amount_paid > 0 then b.due_date end as day) p;
  analyze customers, documents;
  insert into payments (org_id, customer_id, date, amount, bank_tx_id, source, allocated, allocated_first, allocated_last)
    select ${org}, c.id, b.due_date, (b.amount_paid * 100)::bigint, 'floor:' || b.invoice_number, 'bench', (b.amount_paid * 100)::bigint, b.due_date, b.due_date
    from bare_invoices b join customers c on c.org_id = ${org} and c.ref = b.customer_ref where b.amount_paid > 0;
  analyze customers, documents, payments;
  select set_config('relance.ledger_prefilled', 'on', true);
  insert into allocations (org_id, payment_id, document_id, amount, date)
    select ${org}, p.id, d.id, p.amount, p.date from payments p join documents d on d.org_id = ${org} and d.number = substr(p.bank_tx_id, 7)
    where p.org_id = ${org};`;

const BARE = `create table bare_invoices (invoice_number text, customer_ref text, customer_name text, issue_date date, due_date date, amount_total numeric(14,2), amount_paid numeric(14,2))`;

async function main(): Promise<void> {
  if (flag("child")) return child();
  const only = arg("generate");
  if (only) {
    // Just the file (for measuring elsewhere, e.g. the compiled build): --generate PATH --rows N
    const size = await generate(only, Number(arg("rows") ?? 1_000_000));
    console.log(`${only}: ${(size / 1048576).toFixed(1)} MB`);
    return;
  }
  const rows = Number(arg("rows") ?? 1_000_000);
  const backend = arg("backend") ?? "postgres";
  const dir = await mkdtemp(path.join(tmpdir(), "relance-bench-import-"));
  await chmod(dir, 0o755);
  const file = path.join(dir, "invoices.csv");
  try {
    const g = performance.now();
    const size = await generate(file, rows);
    await chmod(file, 0o644);
    console.log(`generated ${rows} invoices, ${(size / 1048576).toFixed(1)} MB, in ${((performance.now() - g) / 1000).toFixed(1)} s`);
    let copyMs: number | null = null;
    let floorMs: number | null = null;
    let result: Awaited<ReturnType<typeof runChild>>;
    if (backend === "postgres") {
      const base = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
      if (!base) throw new Error("set BENCH_DATABASE_URL (or TEST_DATABASE_URL)");
      const name = `relance_bench_${randomBytes(4).toString("hex")}`;
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      await admin.query(`create database ${name}`);
      const url = new URL(base);
      url.pathname = `/${name}`;
      try {
        // Migrations first (outside the timing), in the child's database.
        const migrated = await openStore({ databaseUrl: url.toString() });
        await migrated.close();
        result = flag("cli")
          ? await runCli({ DATABASE_URL: url.toString() }, file)
          : await runChild({ DATABASE_URL: url.toString() }, ["--file", file]);
        if (!flag("skip-copy")) {
          const c = new pg.Client({ connectionString: url.toString() });
          await c.connect();
          await c.query(BARE);
          const t = performance.now();
          await c.query(`copy bare_invoices from '${file}' with (format csv, header true)`);
          copyMs = performance.now() - t;
          const org = (await c.query("insert into orgs (slug, name) values ('bench-floor', 'Floor') returning id")).rows[0].id as number;
          const f = performance.now();
          await c.query(`begin; ${SCHEMA_FLOOR(org)} commit;`);
          floorMs = performance.now() - f;
          await c.end();
        }
      } finally {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    } else {
      const data = path.join(dir, "pglite");
      const migrated = await openStore({ dataDir: data });
      await migrated.close();
      result = flag("cli")
        ? await runCli({ DATABASE_URL: "", RELANCE_DATA_DIR: data }, file)
        : await runChild({ DATABASE_URL: "" }, ["--file", file, "--data", data]);
      if (!flag("skip-copy")) {
        // A migrated database of its own, opened directly (COPY … FROM '/dev/blob' needs the PGlite handle).
        const floorDir = path.join(dir, "pglite-floor");
        await (await openStore({ dataDir: floorDir })).close();
        const db = await PGlite.create(path.join(floorDir, "pg"));
        await db.exec(BARE);
        const blob = new Blob([await readFile(file)]);
        const t = performance.now();
        await db.query("copy bare_invoices from '/dev/blob' with (format csv, header true)", [], { blob });
        copyMs = performance.now() - t;
        const org = (await db.query<{ id: number }>("insert into orgs (slug, name) values ('bench-floor', 'Floor') returning id")).rows[0]
          ?.id as number;
        const f = performance.now();
        await db.exec(`begin; ${SCHEMA_FLOOR(org)} commit;`);
        floorMs = performance.now() - f;
        await db.close();
      }
    }
    const rate = (ms: number) => Math.round(rows / (ms / 1000)).toLocaleString("en");
    console.log(`backend ${backend}, ${execFileSync("nproc").toString().trim()} CPU(s)`);
    console.log(
      `${flag("cli") ? "relance import (built CLI, spawn to exit)" : "importFile"}: ${(result.ms / 1000).toFixed(1)} s, ${rate(result.ms)} rows/s, peak RSS ${result.maxRssMb} MB (${result.inserted} invoices, ${result.customers} customers, ${result.allocations} allocations)`,
    );
    if (copyMs !== null) {
      console.log(`raw COPY:   ${(copyMs / 1000).toFixed(1)} s, ${rate(copyMs)} rows/s`);
      console.log(`ratio importFile / COPY = ${(result.ms / copyMs).toFixed(2)}`);
    }
    if (floorMs !== null) {
      console.log(
        `set-based SQL into the real schema (same rows, from the bare table): ${(floorMs / 1000).toFixed(1)} s, ${rate(floorMs)} rows/s`,
      );
      console.log(`ratio importFile / (COPY + set-based SQL) = ${(result.ms / ((copyMs ?? 0) + floorMs)).toFixed(2)}`);
    }
    console.log(`extrapolated to 1 GB: ${(size > 0 ? (1024 * 1048576) / size : 0).toFixed(1)}× the rows of this file`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
