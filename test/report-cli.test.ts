import { readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initOrg } from "../src/services/orgs.js";
import { openStore } from "../src/store/connect.js";
import { type CliResult, jsonOf, runCli } from "./helpers/cli.js";
import { freshDataDir } from "./helpers/db.js";
import { makeCustomer, makeInvoice } from "./helpers/factories.js";

const EUR = 100;

function ok(r: CliResult) {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  expect(r.stderr).toBe("");
}

describe("relance report … on the embedded database", () => {
  let data: string;
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { RELANCE_DATA_DIR: data, ...env });

  beforeAll(async () => {
    // DESIGN count-back seed: Jan 50 000, Feb 60 000, Mar 80 000; 40 000 paid on 20/2; AR 150 000 on 31/3/2025.
    data = await freshDataDir();
    const store = await openStore({ dataDir: data });
    try {
      const { org } = await initOrg(store.db, {
        slug: "default",
        orgName: "Dupont SAS",
        adminEmail: "a@dupont.example",
        adminPassword: "correct horse battery",
      });
      const c = await makeCustomer(store, org.id, "C1");
      const jan = await makeInvoice(store, org.id, c.id, "F-JAN", 50_000 * EUR, "2025-01-15", "2025-02-14");
      await makeInvoice(store, org.id, c.id, "F-FEB", 60_000 * EUR, "2025-02-15", "2025-03-17");
      await makeInvoice(store, org.id, c.id, "F-MAR", 80_000 * EUR, "2025-03-15", "2025-04-14");
      const p = await store.db
        .insertInto("payments")
        .values({ org_id: org.id, customer_id: c.id, date: "2025-02-20", amount: 40_000 * EUR })
        .returning("id")
        .executeTakeFirstOrThrow();
      await store.db
        .insertInto("allocations")
        .values({ org_id: org.id, payment_id: p.id, document_id: jan.id, amount: 40_000 * EUR, date: "2025-02-20" })
        .execute();
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    await rm(data, { recursive: true, force: true });
  });

  it("report dso --json prints the contract", async () => {
    const r = await cli(["report", "dso", "--as-of", "2025-03-31", "--json"]);
    ok(r);
    const j = jsonOf<Record<string, unknown>>(r);
    expect(Object.keys(j).slice(0, 10)).toEqual([
      "asOf",
      "from",
      "to",
      "days",
      "receivables",
      "revenue",
      "dso",
      "cei",
      "countbackExhausted",
      "notDue",
    ]);
    expect(Object.keys(j.dso as object)).toEqual(["classic", "countback", "bestPossible", "add"]);
    expect(j).toMatchObject({
      asOf: "2025-03-31",
      from: "2025-01-01",
      to: "2025-03-31",
      days: 90,
      receivables: "150000.00",
      revenue: "190000.00",
    });
    expect((j.dso as { countback: number }).countback).toBeCloseTo(65.2, 10);
    expect(j.countbackExhausted).toBe(false);
  });

  it("report dso --from/--to --days prints one table in French by default, English with LANG=en", async () => {
    const fr = await cli(["report", "dso", "--from", "2025-03-01", "--to", "2025-03-31", "--days", "30"], { LANG: "" });
    ok(fr);
    expect(fr.stdout).toContain("DSO classique");
    expect(fr.stdout).toMatch(/150\s000,00\s€/u);
    expect(fr.stdout).toContain("(30 jours)");
    const en = await cli(["report", "dso", "--as-of", "2025-03-31"], { LANG: "en_GB.UTF-8" });
    ok(en);
    expect(en.stdout).toContain("Count-back DSO");
    expect(en.stdout).toContain("65.2");
  });

  it("report aging --json prints the contract, money as decimal strings", async () => {
    const r = await cli(["report", "aging", "--as-of", "2025-03-31", "--json"]);
    ok(r);
    const j = jsonOf<Record<string, unknown>>(r);
    expect(Object.keys(j).slice(0, 3)).toEqual(["asOf", "buckets", "counts"]);
    expect(j).toMatchObject({
      asOf: "2025-03-31",
      // F-JAN due 14/2 (45 days): 10 000; F-FEB due 17/3 (14 days): 60 000; F-MAR not due.
      buckets: { not_due: "80000.00", "1_30": "60000.00", "31_60": "10000.00", "61_90": "0.00", "91_plus": "0.00" },
      total: "150000.00",
      customers: [expect.objectContaining({ ref: "C1", receivables: "150000.00" })],
    });
  });

  it("report aging --customer lists the customer's documents; an unknown customer is an error on one line", async () => {
    const r = await cli(["report", "aging", "--as-of", "2025-03-31", "--customer", "C1", "--json"]);
    ok(r);
    expect(jsonOf<{ documents: Array<{ number: string }> }>(r).documents.map((d) => d.number)).toEqual(["F-JAN", "F-FEB", "F-MAR"]);
    const bad = await cli(["report", "aging", "--customer", "NOPE"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr.trim().split("\n")).toEqual(['relance: customer "NOPE" not found']);
  });

  // The embedded database takes one process at a time: these run one after the other.
  it("report forecast --json prints one JSON object", async () => {
    const r = await cli(["report", "forecast", "--as-of", "2025-03-31", "--weeks", "4", "--json"]);
    ok(r);
    const j = jsonOf<{ weeks: unknown[] }>(r);
    expect(j).toMatchObject({ asOf: "2025-03-31", total: "150000.00", pastFrom: "2025-03-03" });
    expect(j.weeks).toHaveLength(4);
  });

  it("report risk --json prints one JSON object", async () => {
    const r = await cli(["report", "risk", "--as-of", "2025-03-31", "--json"]);
    ok(r);
    expect(jsonOf(r)).toMatchObject({ asOf: "2025-03-31", comparedTo: "2025-03-01", customers: [expect.objectContaining({ ref: "C1" })] });
  });

  it("report trend --json prints one JSON object", async () => {
    const r = await cli(["report", "trend", "--as-of", "2025-03-31", "--months", "3", "--json"]);
    ok(r);
    expect(jsonOf<{ points: Array<{ month: string }> }>(r).points.map((p) => p.month)).toEqual(["2025-01", "2025-02", "2025-03"]);
  });

  it("report bridge --json prints one JSON object", async () => {
    const r = await cli(["report", "bridge", "--as-of", "2025-03-31", "--compare-to", "2025-02-28", "--json"]);
    ok(r);
    expect(jsonOf(r)).toMatchObject({
      before: { to: "2025-02-28" },
      after: { to: "2025-03-31" },
      lines: [expect.objectContaining({ ref: "C1" })],
    });
  });

  it("report behaviour --json prints one JSON object", async () => {
    const r = await cli(["report", "behaviour", "--as-of", "2025-03-31", "--json"]);
    ok(r);
    // Nothing is fully paid yet: no payment behaviour to show.
    expect(jsonOf(r)).toMatchObject({ asOf: "2025-03-31", customers: [] });
  });

  it("refuses an impossible date with a usage error (exit 2) on one line", async () => {
    const r = await cli(["report", "dso", "--as-of", "2025-02-30"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--as-of");
  });
});

// ---------------------------------------------------------------------------------------
// relance diagnose

// A FEC built by hand, January 2025, `|`-separated, figures in euros:
//  VE 1 10/01 sale C1:   411 D 1 200 / 706 C 1 000 / 44571 C 200   (lettered A)
//  AC 1 15/01 purchase:  607 D 500 / 44566 D 100 / 401 C 600
//  VE 2 20/01 sale C2:   411 D 600 / 706 C 500 / 44571 C 100
//  BQ 1 25/01 C1 pays:   512 D 1 200 / 411 C 1 200                    (lettered A)
//  OD 1 31/01 stock:     37 D 300 / 603 C 300
// Days 10/01 → 31/01 = 22. Créances 600; ventes TTC 1 800 → DSO = 600 / 1 800 × 22 = 7.33.
// Dettes 600; achats TTC 600 → DPO = 22. Stocks 300; 60* = 500 − 300 = 200 → DIO = 33.
// BFR = 300 + 600 − 600 = 300; cycle = 7.33 + 33 − 22 = 18.33.
const HEADER =
  "JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|Idevise";
const line = (j: string, n: string, d: string, acc: string, aux: string, deb: string, cred: string, lt = "", dl = "") =>
  [j, j, n, d, acc, acc, aux, aux ? `Client ${aux}` : "", `${j}${n}`, d, "libellé", deb, cred, lt, dl, "20250205", "", ""].join("|");
const FEC = `${[
  HEADER,
  line("VE", "1", "20250110", "411000", "C1", "1200,00", "0,00", "A", "20250125"),
  line("VE", "1", "20250110", "706000", "", "0,00", "1000,00"),
  line("VE", "1", "20250110", "445710", "", "0,00", "200,00"),
  line("AC", "1", "20250115", "607000", "", "500,00", "0,00"),
  line("AC", "1", "20250115", "445660", "", "100,00", "0,00"),
  line("AC", "1", "20250115", "401000", "F1", "0,00", "600,00"),
  line("VE", "2", "20250120", "411000", "C2", "600,00", "0,00"),
  line("VE", "2", "20250120", "706000", "", "0,00", "500,00"),
  line("VE", "2", "20250120", "445710", "", "0,00", "100,00"),
  line("BQ", "1", "20250125", "512000", "", "1200,00", "0,00"),
  line("BQ", "1", "20250125", "411000", "C1", "0,00", "1200,00", "A", "20250125"),
  line("OD", "1", "20250131", "370000", "", "300,00", "0,00"),
  line("OD", "1", "20250131", "603700", "", "0,00", "300,00"),
].join("\n")}\n`;

describe("relance diagnose FEC_FILE", () => {
  let dir: string;
  // Neither database can be opened: diagnose must not try.
  const noDatabase = { RELANCE_DATA_DIR: "/dev/null/relance", DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" };
  const file = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "relance-diagnose-"));
    await writeFile(file("123456789FEC20250131.txt"), FEC);
    await writeFile(file("bad.txt"), FEC.replace("|20250115|607000|607000|", "|20250115|607000|"));
    await writeFile(file("notes.txt"), "Ceci n'est pas un FEC\nmais une note\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the JSON contract with the hand-computed figures, without any database", async () => {
    const r = await runCli(["diagnose", file("123456789FEC20250131.txt"), "--json"], noDatabase);
    ok(r);
    const j = jsonOf<Record<string, unknown>>(r);
    expect(Object.keys(j).slice(0, 13)).toEqual([
      "from",
      "to",
      "days",
      "receivables",
      "salesTTC",
      "dso",
      "payables",
      "purchasesTTC",
      "dpo",
      "inventory",
      "dio",
      "bfr",
      "cycle",
    ]);
    expect(j).toMatchObject({
      from: "2025-01-10",
      to: "2025-01-31",
      days: 22,
      receivables: "600.00",
      salesTTC: "1800.00",
      payables: "600.00",
      purchasesTTC: "600.00",
      inventory: "300.00",
      bfr: "300.00",
    });
    expect(j.dso).toBeCloseTo((600 / 1800) * 22, 10);
    expect(j.dpo).toBeCloseTo(22, 10);
    expect(j.dio).toBeCloseTo(33, 10);
    expect(j.cycle).toBeCloseTo((600 / 1800) * 22 + 33 - 22, 10);
  });

  it("takes --from/--to and --days", async () => {
    const r = await runCli(
      ["diagnose", file("123456789FEC20250131.txt"), "--from", "2025-01-01", "--to", "2025-01-31", "--days", "30", "--json"],
      noDatabase,
    );
    ok(r);
    const j = jsonOf<{ days: number; dso: number; from: string }>(r);
    expect(j.from).toBe("2025-01-01");
    expect(j.days).toBe(30);
    expect(j.dso).toBeCloseTo((600 / 1800) * 30, 10);
  });

  it("prints a readable table", async () => {
    const r = await runCli(["diagnose", file("123456789FEC20250131.txt")], { ...noDatabase, LANG: "fr_FR.UTF-8" });
    ok(r);
    expect(r.stdout).toContain("Créances clients");
    expect(r.stdout).toContain("BFR d'exploitation");
  });

  it("names the line of a file that is not a FEC (exit 3)", async () => {
    const bad = await runCli(["diagnose", file("bad.txt")], noDatabase);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/bad\.txt, line 5/);
    const notes = await runCli(["diagnose", file("notes.txt"), "--json"], noDatabase);
    expect(notes.code).toBe(3);
    expect(notes.stderr).toMatch(/line 1/);
    expect(notes.stderr).not.toContain("    at ");
  });

  it("says so when the file does not exist (usage, exit 2)", async () => {
    const r = await runCli(["diagnose", file("missing.txt")], noDatabase);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing.txt");
  });

  const corpus = fileURLToPath(new URL("../../shared/corpus/fec/", import.meta.url));
  for (const name of readdirSync(corpus).filter((f) => !f.startsWith("."))) {
    it(`diagnoses ${name} from the shared corpus`, async () => {
      const r = await runCli(["diagnose", path.join(corpus, name), "--json"], noDatabase);
      ok(r);
      const j = jsonOf<Record<string, unknown>>(r);
      for (const key of ["receivables", "salesTTC", "payables", "purchasesTTC", "inventory", "bfr"])
        expect(j[key]).toMatch(/^-?\d+\.\d{2}$/);
      expect(j.days).toBeGreaterThan(0);
      expect(r.stdout).not.toMatch(/NaN|Infinity/);
    });
  }
});
