import { mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openStore } from "../src/store/connect.js";
import { type CliResult, jsonOf, runCli } from "./helpers/cli.js";
import { freshDataDir } from "./helpers/db.js";
import { tableCounts } from "./helpers/import.js";

const cp1252 = (s: string) => Buffer.from(Uint8Array.from([...s].map((c) => (c === "€" ? 0x80 : c.charCodeAt(0)))));

const FACTURES =
  "N° facture;Code client;Raison sociale;Date facture;Échéance;Montant TTC;Montant réglé\r\n" +
  "FA-1;C1;Société Dupont;15/01/2024;14/02/2024;1 234,56;234,56\r\n" +
  "FA-2;C2;Hôtel Martin;20/01/2024;19/02/2024;500,00;\r\n";

const BAD = [
  "numero_facture;code_client;date_facture;montant_ttc",
  "B-1;C9;01/03/2024;10,00",
  "B-2;C9;02/03/2024;20,00",
  "B-3;C9;2024-13-01;30,00",
  "B-4;C9;04/03/2024;40,00",
  "B-5;C9;05/03/2024;50,00",
  "B-6;C9;06/03/2024;",
].join("\n");

describe("relance import (CLI)", () => {
  let data: string;
  let files: string;
  let cli: (...args: string[]) => Promise<CliResult>;

  beforeAll(async () => {
    data = await freshDataDir();
    files = await mkdtemp(path.join(inject("testRoot"), "files-"));
    await writeFile(path.join(files, "factures.csv"), cp1252(FACTURES));
    await writeFile(path.join(files, "bad.csv"), BAD);
    await writeFile(
      path.join(files, "releve.csv"),
      "date;montant;libelle\n01/03/2024;1 000,00;VIR DUPONT FACTURE FA-1\n02/03/2024;42,00;VIR INCONNU\n",
    );
    cli = (...args) => runCli(args, { RELANCE_DATA_DIR: data });
    const init = await cli("init", "--admin-password", "correct horse battery");
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(async () => {
    await rm(data, { recursive: true, force: true });
    await rm(files, { recursive: true, force: true });
  });

  it("imports a French CSV and prints the JSON summary of DESIGN §4", async () => {
    const res = await cli("import", "invoices", path.join(files, "factures.csv"), "--json");
    expect(res.code, res.stderr).toBe(0);
    const s = jsonOf(res);
    expect(s).toMatchObject({ file: "factures.csv", format: "csv", inserted: 2, updated: 0, skipped: 0, errors: [] });
    expect(Object.keys(s)).toEqual(expect.arrayContaining(["file", "format", "inserted", "updated", "skipped", "errors"]));
  });

  it("changes nothing on a second import of the same file (all skipped)", async () => {
    const res = await cli("import", "invoices", path.join(files, "factures.csv"), "--json");
    expect(res.code, res.stderr).toBe(0);
    expect(jsonOf(res)).toMatchObject({ inserted: 0, updated: 0, skipped: 2 });
    const human = await cli("import", "invoices", path.join(files, "factures.csv"));
    expect(human.stdout).toContain("0 documents inserted, 0 updated, 2 unchanged");
  });

  it("exits 3 on a bad file, one stderr line per problem with line and column, and writes nothing", async () => {
    const store = await openStore({ dataDir: data });
    const before = await tableCounts(store, 1);
    await store.close();
    const res = await cli("import", "invoices", path.join(files, "bad.csv"));
    expect(res.code).toBe(3);
    expect(res.stdout).toBe("");
    const lines = res.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^relance: bad\.csv: 2 problems, nothing imported/);
    expect(lines.slice(1).map((l) => l.trim())).toEqual([
      'line 4, issue_date: invalid date "2024-13-01": no such day',
      "line 7, amount_total: missing value",
    ]);
    const json = await cli("import", "invoices", path.join(files, "bad.csv"), "--json");
    expect(json.code).toBe(3);
    expect(jsonOf(json)).toMatchObject({
      file: "bad.csv",
      inserted: 0,
      errors: [
        { line: 4, field: "issue_date", message: 'invalid date "2024-13-01": no such day' },
        { line: 7, field: "amount_total", message: "missing value" },
      ],
    });
    const after = await openStore({ dataDir: data });
    expect(await tableCounts(after, 1)).toEqual(before);
    await after.close();
  });

  it("checks without writing in --dry-run", async () => {
    const res = await cli("import", "payments", path.join(files, "releve.csv"), "--dry-run", "--json");
    expect(res.code, res.stderr).toBe(0);
    expect(jsonOf(res)).toMatchObject({ dryRun: true, inserted: 2, batchId: null });
    const unmatched = await cli("payments", "unmatched", "--json");
    expect(jsonOf(unmatched)).toMatchObject({ items: [] });
  });

  it("imports payments, matches the certain one and lists the other to reconcile", async () => {
    const res = await cli("import", "payments", path.join(files, "releve.csv"), "--json");
    expect(jsonOf(res)).toMatchObject({ inserted: 2, matching: { matched: 1, unmatched: 1 } });
    const unmatched = await cli("payments", "unmatched", "--json");
    expect(unmatched.code, unmatched.stderr).toBe(0);
    const page = jsonOf<{ items: { amount: string; reference: string }[] }>(unmatched);
    expect(page.items.map((p) => [p.amount, p.reference])).toEqual([["42.00", "VIR INCONNU"]]);
    const human = await cli("payments", "unmatched");
    expect(human.stdout).toContain("42.00 EUR");
  });

  it("is a usage error (exit 2) to name an unknown kind or format, and an input error (exit 3) to import a bank statement as invoices", async () => {
    expect((await cli("import", "bills", path.join(files, "factures.csv"))).code).toBe(2);
    expect((await cli("import", "invoices", path.join(files, "factures.csv"), "--format", "docx")).code).toBe(2);
    const wrong = await cli("import", "invoices", "/work/shared/corpus/bank/camt/camt053.v2.minimal.xml");
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/holds payments, not invoices/);
    const missing = await cli("import", "invoices", path.join(files, "nope.csv"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});
