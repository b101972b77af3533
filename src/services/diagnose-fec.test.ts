import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FecError } from "../domain/fec.js";
import { diagnoseFecFile, diagnosisToJson, formatDiagnosis } from "./diagnose-fec.js";

// A small FEC, January 2024, figures by hand (euros):
//  VE 1 05/01 invoice C001: 411 D 1 200 / 706 C 1 000 / 44571 C 200  (lettered A, 25/01)
//  AC 1 10/01 goods:        607 D 400 / 44566 D 80 / 401 F001 C 480
//  VE 2 20/01 invoice C002: 411 D 600 / 706 C 500 / 44571 C 100
//  BQ 1 25/01 C001 pays:    512 D 1 200 / 411 C 1 200                  (lettered A, 25/01)
//  OD 1 31/01 stock up:     37 D 300 / 603 C 300
// Days 05/01 → 31/01 = 27. Créances 600, ventes TTC 1 800 → DSO = 600 / 1 800 × 27 = 9.
// Dettes 480, achats TTC 480 → DPO = 27. Stocks 300, 60* = 400 − 300 = 100 → DIO = 81.
// BFR = 300 + 600 − 480 = 420; cycle = 9 + 81 − 27 = 63. Aging on 31/01: VE2 600, 11 days → 1_30.
const HEADER =
  "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise";
const L = (j: string, n: string, d: string, acc: string, aux: string, deb: string, cred: string, lt = "", dl = "") =>
  [j, j, n, d, acc, acc, aux, aux ? `Client ${aux}` : "", `${j}${n}`, d, "lib", deb, cred, lt, dl, "20240205", "", ""].join("\t");
const SMALL_FEC = `${[
  HEADER,
  L("VE", "1", "20240105", "411000", "C001", "1200,00", "0,00", "A", "20240125"),
  L("VE", "1", "20240105", "706000", "", "0,00", "1000,00"),
  L("VE", "1", "20240105", "445710", "", "0,00", "200,00"),
  L("AC", "1", "20240110", "607000", "", "400,00", "0,00"),
  L("AC", "1", "20240110", "445660", "", "80,00", "0,00"),
  L("AC", "1", "20240110", "401000", "F001", "0,00", "480,00"),
  L("VE", "2", "20240120", "411000", "C002", "600,00", "0,00"),
  L("VE", "2", "20240120", "706000", "", "0,00", "500,00"),
  L("VE", "2", "20240120", "445710", "", "0,00", "100,00"),
  L("BQ", "1", "20240125", "512000", "", "1200,00", "0,00"),
  L("BQ", "1", "20240125", "411000", "C001", "0,00", "1200,00", "A", "20240125"),
  L("OD", "1", "20240131", "370000", "", "300,00", "0,00"),
  L("OD", "1", "20240131", "603700", "", "0,00", "300,00"),
].join("\r\n")}\r\n`;

const dir = mkdtempSync(join(tmpdir(), "relance-fec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe("diagnoseFecFile", () => {
  it("diagnoses a file and gives the JSON contract of the CLI", async () => {
    const result = await diagnoseFecFile(write("999999999FEC20240131.txt", SMALL_FEC));
    expect(result.format).toMatchObject({
      separator: "\t",
      lineEnding: "CRLF",
      encoding: "utf-8",
    });
    const json = diagnosisToJson(result);
    expect(Object.keys(json).slice(0, 13)).toEqual([
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
    expect(json).toMatchObject({
      from: "2024-01-05",
      to: "2024-01-31",
      days: 27,
      receivables: "600.00",
      salesTTC: "1800.00",
      payables: "480.00",
      purchasesTTC: "480.00",
      inventory: "300.00",
      consumption: "100.00",
      bfr: "420.00",
      topCustomers: [{ account: "C002", name: "Client C002", outstanding: "600.00" }],
    });
    expect(json.dso).toBeCloseTo(9, 12);
    expect(json.dpo).toBeCloseTo(27, 12);
    expect(json.dio).toBeCloseTo(81, 12);
    expect(json.cycle).toBeCloseTo(63, 12);
    expect(json.aging?.buckets.find((b) => b.key === "1_30")).toEqual({
      key: "1_30",
      total: "600.00",
      count: 1,
    });
    expect(json.aging).toMatchObject({
      total: "600.00",
      unapplied: "0.00",
      ar: "600.00",
      lettered: "0.00",
    });
    // The JSON form survives a round trip.
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it("passes --from/--to/--days through", async () => {
    const path = write("period.txt", SMALL_FEC);
    const r = await diagnoseFecFile(path, {
      from: "2024-01-01",
      to: "2024-01-15",
      days: 30,
    });
    // Créances ≤ 15/01: 1 200; ventes 1–15/01: 1 200 → DSO = 30.
    expect(diagnosisToJson(r)).toMatchObject({
      from: "2024-01-01",
      to: "2024-01-15",
      days: 30,
      receivables: "1200.00",
      dso: 30,
    });
  });

  it("nulls (not NaN) in JSON when a denominator is 0", async () => {
    const path = write(
      "no-sales.txt",
      `${HEADER}\n${L("BQ", "1", "20240105", "512000", "", "10,00", "0,00")}\n${L("BQ", "1", "20240105", "411000", "C1", "0,00", "10,00")}\n`,
    );
    const json = diagnosisToJson(await diagnoseFecFile(path));
    expect(json).toMatchObject({
      receivables: "-10.00",
      salesTTC: "0.00",
      dso: null,
      dpo: null,
      dio: null,
      cycle: null,
    });
    expect(JSON.stringify(json)).not.toMatch(/NaN|Infinity/);
  });

  it("locates errors in the file", async () => {
    const bad = SMALL_FEC.replace("20240120\t411000", "2024-13-45\t411000");
    const path = write("bad.txt", bad);
    const err = await diagnoseFecFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FecError);
    expect((err as FecError).message).toBe('bad.txt, line 8, EcritureDate: invalid date "2024-13-45"');
    expect(err).toMatchObject({
      line: 8,
      field: "EcritureDate",
      file: "bad.txt",
    });
  });

  it("rejects a file that is not a FEC", async () => {
    const path = write("invoices.csv", "invoice_number;customer_ref;amount_total\nF1;C1;12,00\n");
    await expect(diagnoseFecFile(path)).rejects.toThrow(/^invoices\.csv, line 1: not a FEC file/);
  });
});

describe("formatDiagnosis", () => {
  it("prints French labels by default", async () => {
    const text = formatDiagnosis(await diagnoseFecFile(write("fr.txt", SMALL_FEC)));
    expect(text).toContain("Créances clients");
    expect(text).toContain("DSO (jours)");
    expect(text).toContain("BFR d'exploitation");
    expect(text).toMatch(/DSO \(jours\)\s+9,0\n/);
    expect(text).toMatch(/Cycle de conversion \(jours\)\s+63,0\n/);
    expect(text).toContain("600,00\u00a0€");
    expect(text).toContain("2024-01-05 au 2024-01-31 (27 j)");
  });

  it("prints English labels on request", async () => {
    const text = formatDiagnosis(await diagnoseFecFile(write("en.txt", SMALL_FEC)), "en");
    expect(text).toContain("Trade receivables");
    expect(text).toMatch(/DPO \(days\)\s+27\.0\n/);
    expect(text).toContain("€600.00");
  });

  it("shows a dash for a null ratio", async () => {
    const path = write("dash.txt", `${HEADER}\n`);
    expect(formatDiagnosis(await diagnoseFecFile(path))).toMatch(/DSO \(jours\)\s+—/);
  });
});

// Every FEC of the shared corpus goes through the file service too.
const corpus = new URL("../../../shared/corpus/fec/", import.meta.url);

describe("corpus FEC files through the service", () => {
  for (const file of readdirSync(corpus).filter((f) => !f.startsWith("."))) {
    const invalid = file.toLowerCase().startsWith("invalid");
    it(`${invalid ? "rejects" : "diagnoses"} ${file}`, async () => {
      const path = fileURLToPath(new URL(file, corpus));
      if (invalid) {
        const err = await diagnoseFecFile(path).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(FecError);
        expect((err as FecError).message).toMatch(new RegExp(`^${file.replace(/\./g, "\\.")}, line \\d+`));
        return;
      }
      const result = await diagnoseFecFile(path);
      const json = diagnosisToJson(result);
      for (const key of ["receivables", "salesTTC", "payables", "purchasesTTC", "inventory", "bfr"] as const) {
        expect(json[key]).toMatch(/^-?\d+\.\d{2}$/);
      }
      expect(JSON.stringify(json)).not.toMatch(/NaN|Infinity/);
      expect(formatDiagnosis(result)).toContain("Créances clients");
    });
  }
});
