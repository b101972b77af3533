import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeFec,
  diagnoseFec,
  diagnoseFecContent,
  FEC_COLUMNS,
  type FecAging,
  type FecDiagnosis,
  FecError,
  type FecLine,
  parseFec,
  scanFec,
} from "./fec.js";

// ---------------------------------------------------------------------------------------
// A FEC built by hand: fiscal quarter 2024-01-01 → 2024-03-31 (91 days, 2024 is a leap year).
// Amounts in euros in the comments.
//
//  AN 1  01/01  opening: 411 C001 D 1 200 (invoice of 15/12/2023, lettered A on 25/01),
//               401 F001 C 600, 310 stock D 1 000, 512 D 5 000, 101 C 6 600
//  VE 1  10/01  invoice C001: 411 D 1 200 / 706 C 1 000 / 44571 C 200
//  VE 2  15/02  invoice C002: 411 D 2 400 / 701 C 2 000 / 44571 C 400
//  VE 3  20/03  credit note C001: 411 C 120 / 706 D 100 / 44571 D 20
//  BQ 1  25/01  C001 pays the opening invoice: 512 D 1 200 / 411 C 1 200 (lettered A)
//  BQ 2  05/03  C002 pays 1 000 on account: 512 D 1 000 / 411 C 1 000 (not lettered)
//  BQ 3  28/02  we pay F001: 401 D 600 / 512 C 600
//  AC 1  20/01  goods: 607 D 500 / 44566 D 100 / 401 F001 C 600
//  AC 2  10/02  fees: 6226 D 300 / 44566 D 60 / 401 F002 C 360
//  OD 1  31/03  stock decrease: 6031 D 200 / 310 C 200       (603 only: not a purchase entry)
//  OD 2  20/02  VAT return: 44571 D 200 / 44566 C 100 / 44551 C 100  (no 70*, no 60–62: no flow)
//  OD 3  31/03  invoice not received: 6061 D 50 / 44586 D 10 / 408 C 60   (44586 is not 4456*)
//  OD 4  31/03  invoice to issue: 418 D 240 / 708 C 200 / 44587 C 40       (44587 is not 4457*)
//
// Créances = 411 (1 200 + 1 200 + 2 400 − 120 − 1 200 − 1 000 = 2 480) + 418 240 = 2 720
// Ventes TTC = VE1 1 200 + VE2 2 400 + VE3 −120 + OD4 200 = 3 680
// DSO = 2 720 / 3 680 × 91 = 67.2608…
// Dettes = 600 + 600 + 360 − 600 + 60 (408) = 1 020
// Achats TTC = AC1 600 + AC2 360 + OD3 50 = 1 010;  DPO = 1 020 / 1 010 × 91 = 91.9009…
// Stocks = 1 000 − 200 = 800;  60* = 500 + 200 + 50 = 750;  DIO = 800 / 750 × 91 = 97.0666…
// BFR = 800 + 2 720 − 1 020 = 2 500;  cycle = 67.2608… + 97.0666… − 91.9009… = 72.4265…
// Top customers: C002 2 400 − 1 000 = 1 400; C001 1 200 + 1 200 − 120 − 1 200 = 1 080.
// Aging on 31/03 (open 411 lines aged from PieceDate): VE1 1 200 aged 81 days → 61_90;
// VE2 2 400 aged 45 days → 31_60; unapplied VE3 120 + BQ2 1 000 = 1 120; AN/BQ1 lettered (net 0).
// ---------------------------------------------------------------------------------------

type Row = Record<(typeof FEC_COLUMNS)[number], string>;

const JOURNALS: Record<string, string> = {
  AN: "A nouveaux",
  VE: "Ventes",
  BQ: "Banque",
  AC: "Achats",
  OD: "Opérations diverses",
};
const ACCOUNTS: Record<string, string> = {
  "411000": "Clients",
  "401000": "Fournisseurs",
  "310000": "Stocks matières",
  "512000": "Banque",
  "101000": "Capital",
  "706000": "Prestations de services",
  "701000": "Ventes de produits finis",
  "445710": "TVA collectée",
  "607000": "Achats de marchandises",
  "445660": "TVA déductible sur ABS",
  "622600": "Honoraires",
  "603100": "Variation des stocks",
  "445510": "TVA à décaisser",
  "606100": "Fournitures non stockables",
  "445860": "TVA sur factures non parvenues",
  "408100": "Fournisseurs - factures non parvenues",
  "418100": "Clients - factures à établir",
  "708000": "Produits des activités annexes",
  "445870": "TVA sur factures à établir",
};
const AUX: Record<string, string> = {
  C001: "Client Alpha",
  C002: "Client Bêta",
  F001: "Fournisseur Zêta",
  F002: "Cabinet Durand & Fils",
};

function row(
  journal: string,
  num: string,
  date: string,
  account: string,
  debit: string,
  credit: string,
  more: {
    aux?: string;
    piece?: string;
    pieceDate?: string;
    let?: string;
    dateLet?: string;
  } = {},
): Row {
  return {
    JournalCode: journal,
    JournalLib: JOURNALS[journal] ?? journal,
    EcritureNum: num,
    EcritureDate: date,
    CompteNum: account,
    CompteLib: ACCOUNTS[account] ?? account,
    CompAuxNum: more.aux ?? "",
    CompAuxLib: more.aux ? (AUX[more.aux] ?? "") : "",
    PieceRef: more.piece ?? `${journal}${num}`,
    PieceDate: more.pieceDate ?? date,
    EcritureLib: `Écriture ${journal} ${num} – 5 €`,
    Debit: debit,
    Credit: credit,
    EcritureLet: more.let ?? "",
    DateLet: more.dateLet ?? "",
    ValidDate: "20240415",
    Montantdevise: "",
    Idevise: "",
  };
}

const ROWS: Row[] = [
  row("AN", "1", "20240101", "411000", "1200,00", "0,00", {
    aux: "C001",
    piece: "FA-2023-090",
    pieceDate: "20231215",
    let: "A",
    dateLet: "20240125",
  }),
  row("AN", "1", "20240101", "401000", "0,00", "600,00", { aux: "F001" }),
  row("AN", "1", "20240101", "310000", "1000,00", "0,00"),
  row("AN", "1", "20240101", "512000", "5000,00", "0,00"),
  row("AN", "1", "20240101", "101000", "0,00", "6600,00"),
  row("VE", "1", "20240110", "411000", "1200,00", "0,00", {
    aux: "C001",
    piece: "FA-2024-001",
  }),
  row("VE", "1", "20240110", "706000", "0,00", "1000,00", {
    piece: "FA-2024-001",
  }),
  row("VE", "1", "20240110", "445710", "0,00", "200,00", {
    piece: "FA-2024-001",
  }),
  row("VE", "2", "20240215", "411000", "2400,00", "0,00", {
    aux: "C002",
    piece: "FA-2024-002",
  }),
  row("VE", "2", "20240215", "701000", "0,00", "2000,00", {
    piece: "FA-2024-002",
  }),
  row("VE", "2", "20240215", "445710", "0,00", "400,00", {
    piece: "FA-2024-002",
  }),
  row("VE", "3", "20240320", "411000", "0,00", "120,00", {
    aux: "C001",
    piece: "AV-2024-001",
  }),
  row("VE", "3", "20240320", "706000", "100,00", "0,00", {
    piece: "AV-2024-001",
  }),
  row("VE", "3", "20240320", "445710", "20,00", "0,00", {
    piece: "AV-2024-001",
  }),
  row("BQ", "1", "20240125", "512000", "1200,00", "0,00"),
  row("BQ", "1", "20240125", "411000", "0,00", "1200,00", {
    aux: "C001",
    let: "A",
    dateLet: "20240125",
  }),
  row("BQ", "2", "20240305", "512000", "1000,00", "0,00"),
  row("BQ", "2", "20240305", "411000", "0,00", "1000,00", { aux: "C002" }),
  row("BQ", "3", "20240228", "401000", "600,00", "0,00", { aux: "F001" }),
  row("BQ", "3", "20240228", "512000", "0,00", "600,00"),
  row("AC", "1", "20240120", "607000", "500,00", "0,00"),
  row("AC", "1", "20240120", "445660", "100,00", "0,00"),
  row("AC", "1", "20240120", "401000", "0,00", "600,00", { aux: "F001" }),
  row("AC", "2", "20240210", "622600", "300,00", "0,00"),
  row("AC", "2", "20240210", "445660", "60,00", "0,00"),
  row("AC", "2", "20240210", "401000", "0,00", "360,00", { aux: "F002" }),
  row("OD", "1", "20240331", "603100", "200,00", "0,00"),
  row("OD", "1", "20240331", "310000", "0,00", "200,00"),
  row("OD", "2", "20240220", "445710", "200,00", "0,00"),
  row("OD", "2", "20240220", "445660", "0,00", "100,00"),
  row("OD", "2", "20240220", "445510", "0,00", "100,00"),
  row("OD", "3", "20240331", "606100", "50,00", "0,00"),
  row("OD", "3", "20240331", "445860", "10,00", "0,00"),
  row("OD", "3", "20240331", "408100", "0,00", "60,00"),
  row("OD", "4", "20240331", "418100", "240,00", "0,00"),
  row("OD", "4", "20240331", "708000", "0,00", "200,00"),
  row("OD", "4", "20240331", "445870", "0,00", "40,00"),
];

interface BuildOptions {
  separator?: "\t" | "|";
  eol?: string;
  pad?: boolean;
  trailingSeparator?: boolean;
  headerCase?: (name: string) => string;
  extra?: string[];
  montantSens?: boolean;
  bom?: boolean;
}

function buildFec(rows: Row[], o: BuildOptions = {}): string {
  const sep = o.separator ?? "\t";
  const eol = o.eol ?? "\n";
  const cols: string[] = FEC_COLUMNS.flatMap((c) =>
    o.montantSens && c === "Debit" ? ["Montant"] : o.montantSens && c === "Credit" ? ["Sens"] : [c],
  );
  const header = [...cols.map(o.headerCase ?? ((x) => x)), ...(o.extra ?? [])];
  const line = (fields: string[]) => fields.join(sep) + (o.trailingSeparator ? sep : "");
  const body = rows.map((r) => {
    const fields = cols.map((c) => {
      if (c === "Montant") return r.Debit !== "0,00" ? r.Debit : r.Credit;
      if (c === "Sens") return r.Debit !== "0,00" ? "D" : "C";
      const v = r[c as keyof Row];
      if (!o.pad) return v;
      return c === "Debit" || c === "Credit" ? v.padStart(13, "0") : v.padEnd(20, " ");
    });
    return line([...fields, ...(o.extra ?? []).map((_, i) => (i === 0 ? "x" : ""))]);
  });
  return (o.bom ? "\ufeff" : "") + [line(header), ...body].join(eol) + eol;
}

/** Windows-1252 bytes (Latin-1 plus € at 0x80, enough for these labels). */
function cp1252(text: string): Uint8Array {
  return Uint8Array.from(
    [...text].map((ch) => {
      const code = ch === "€" ? 0x80 : ch === "–" ? 0x96 : ch.charCodeAt(0);
      if (code > 0xff) throw new Error(`cannot encode ${ch}`);
      return code;
    }),
  );
}

const EXPECTED = {
  from: "2024-01-01",
  to: "2024-03-31",
  days: 91,
  receivables: 272_000,
  salesTTC: 368_000,
  payables: 102_000,
  purchasesTTC: 101_000,
  inventory: 80_000,
  consumption: 75_000,
  bfr: 250_000,
};
const DSO = (2720 / 3680) * 91;
const DPO = (1020 / 1010) * 91;
const DIO = (800 / 750) * 91;

function agingOf(d: FecDiagnosis): FecAging {
  if (!d.aging) throw new Error("no aging");
  return d.aging;
}

function expectHandFigures(d: FecDiagnosis) {
  expect(d).toMatchObject(EXPECTED);
  expect(d.dso).toBeCloseTo(DSO, 10);
  expect(d.dpo).toBeCloseTo(DPO, 10);
  expect(d.dio).toBeCloseTo(DIO, 10);
  expect(d.cycle).toBeCloseTo(DSO + DIO - DPO, 10);
  expect(d.dso).toBeCloseTo(67.2608695652, 9);
  expect(d.cycle).toBeCloseTo(72.4265461329, 9);
}

describe("diagnoseFec on a FEC built by hand", () => {
  const { format, lines } = parseFec(buildFec(ROWS));

  it("reads 37 lines of 18 columns", () => {
    expect(lines).toHaveLength(37);
    expect(format).toMatchObject({
      separator: "\t",
      encoding: "utf-8",
      bom: false,
      amounts: "debit_credit",
      extraColumns: [],
    });
    expect(lines[0]).toMatchObject({
      line: 2,
      journalCode: "AN",
      ecritureDate: "2024-01-01",
      compteNum: "411000",
      compAuxNum: "C001",
      compAuxLib: "Client Alpha",
      pieceDate: "2023-12-15",
      debit: 120_000,
      credit: 0,
      ecritureLet: "A",
      dateLet: "2024-01-25",
      validDate: "2024-04-15",
    });
  });

  it("computes every figure as hand-computed", () => {
    const d = diagnoseFec(lines);
    expectHandFigures(d);
    expect(d.stats).toEqual({
      lines: 37,
      entries: 13,
      firstDate: "2024-01-01",
      lastDate: "2024-03-31",
      totalDebit: 1_538_000,
      totalCredit: 1_538_000,
    });
    expect(d.warnings).toEqual([]);
  });

  it("lists customers by outstanding on 411 auxiliary accounts", () => {
    expect(diagnoseFec(lines).topCustomers).toEqual([
      { account: "C002", name: "Client Bêta", outstanding: 140_000 },
      { account: "C001", name: "Client Alpha", outstanding: 108_000 },
    ]);
    expect(diagnoseFec(lines, { topCustomers: 1 }).topCustomers).toHaveLength(1);
  });

  it("ages unlettered 411 lines from their PieceDate", () => {
    const aging = agingOf(diagnoseFec(lines));
    expect(Object.fromEntries(aging.buckets.map((b) => [b.key, [b.total, b.count]]))).toEqual({
      not_due: [0, 0],
      "1_30": [0, 0],
      "31_60": [240_000, 1],
      "61_90": [120_000, 1],
      "91_plus": [0, 0],
    });
    expect(aging.unapplied).toEqual({ total: 112_000, count: 2 });
    expect(aging.lettered).toBe(0);
    // Σ open − unapplied + lettered = Σ(D − C) on 411 = 2 480.
    expect(aging.ar + aging.lettered).toBe(248_000);
  });

  it("applies assumed payment terms to the aging", () => {
    // 30 days of terms: VE1 81 − 30 = 51 → 31_60; VE2 45 − 30 = 15 → 1_30.
    const aging = agingOf(diagnoseFec(lines, { agingTermsDays: 30 }));
    expect(aging.buckets.filter((b) => b.count > 0).map((b) => [b.key, b.total])).toEqual([
      ["1_30", 240_000],
      ["31_60", 120_000],
    ]);
  });

  it("uses --days instead of the calendar days: 2 720 / 3 680 × 360", () => {
    const d = diagnoseFec(lines, { days: 360 });
    expect(d.days).toBe(360);
    expect(d.dso).toBeCloseTo((2720 / 3680) * 360, 10);
    expect(d.from).toBe("2024-01-01");
  });

  it("with --from/--to: flows of February, balances at 29/02", () => {
    // Créances ≤ 29/02: 1 200 + 1 200 + 2 400 − 1 200 = 3 600; ventes février: VE2 2 400;
    // DSO = 3 600 / 2 400 × 29 = 43.5. Dettes ≤ 29/02: 600 + 600 + 360 − 600 = 960; achats: AC2 360;
    // DPO = 960 / 360 × 29 = 77.33…. Stocks 1 000, no 60* in February → DIO null, cycle null.
    const d = diagnoseFec(lines, { from: "2024-02-01", to: "2024-02-29" });
    expect(d).toMatchObject({
      from: "2024-02-01",
      to: "2024-02-29",
      days: 29,
      receivables: 360_000,
      salesTTC: 240_000,
      payables: 96_000,
      purchasesTTC: 36_000,
      inventory: 100_000,
      consumption: 0,
      dio: null,
      bfr: 364_000,
      cycle: null,
    });
    expect(d.dso).toBeCloseTo(43.5, 12);
    expect(d.dpo).toBeCloseTo(77.3333333333, 9);
    // Aging on 29/02: VE1 aged 50 days → 31_60, VE2 aged 14 → 1_30.
    expect(
      agingOf(d)
        .buckets.filter((b) => b.count > 0)
        .map((b) => [b.key, b.total]),
    ).toEqual([
      ["1_30", 240_000],
      ["31_60", 120_000],
    ]);
  });

  it("with only --to: a line lettered after the as-of date is still open", () => {
    // On 20/01 the opening invoice (lettered on 25/01) is open, aged from 15/12/2023: 36 days.
    const d = diagnoseFec(lines, { to: "2024-01-20" });
    expect(d.from).toBe("2024-01-01");
    expect(d.days).toBe(20);
    expect(d.receivables).toBe(240_000);
    expect(d.salesTTC).toBe(120_000);
    expect(d.dso).toBeCloseTo(40, 12);
    expect(
      agingOf(d)
        .buckets.filter((b) => b.count > 0)
        .map((b) => [b.key, b.total]),
    ).toEqual([
      ["1_30", 120_000],
      ["31_60", 120_000],
    ]);
  });

  it("rejects --from after --to and a non-positive --days", () => {
    expect(() => diagnoseFec(lines, { from: "2024-03-01", to: "2024-02-01" })).toThrow(RangeError);
    expect(() => diagnoseFec(lines, { days: 0 })).toThrow(RangeError);
  });

  it("does not need the lines of an entry to be contiguous", () => {
    const shuffled = [...ROWS].reverse();
    expectHandFigures(diagnoseFec(parseFec(buildFec(shuffled)).lines));
  });

  it("groups by date when every entry is numbered 0, and warns", () => {
    const d = diagnoseFec(parseFec(buildFec(ROWS.map((r) => ({ ...r, EcritureNum: "0" })))).lines);
    expectHandFigures(d);
    expect(d.warnings.join("\n")).toMatch(/span several EcritureDate/);
  });

  it("says when there is no lettering to age customers", () => {
    const d = diagnoseFec(parseFec(buildFec(ROWS.map((r) => ({ ...r, EcritureLet: "", DateLet: "" })))).lines);
    expect(d.aging).toBeNull();
    expect(d.warnings.join("\n")).toMatch(/no lettering/);
  });

  it("warns about an unbalanced file", () => {
    const d = diagnoseFec(parseFec(buildFec(ROWS.slice(1))).lines);
    expect(d.warnings.join("\n")).toMatch(/not balanced: total debit 14180.00 ≠ total credit 15380.00/);
  });

  it("an empty FEC (header only) gives zeros and null ratios", () => {
    const d = diagnoseFecContent(`${FEC_COLUMNS.join("\t")}\n`).diagnosis;
    expect(d).toMatchObject({
      from: null,
      to: null,
      days: 0,
      receivables: 0,
      dso: null,
      dpo: null,
      dio: null,
      cycle: 0,
    });
    expect(d.aging).toBeNull();
  });
});

describe("FEC reader tolerance (same figures in every form)", () => {
  const variants: Array<[string, string | Uint8Array]> = [
    ["pipe, padded fields, zero-padded amounts, trailing |", buildFec(ROWS, { separator: "|", pad: true, trailingSeparator: true })],
    ["CR CR LF line ends", buildFec(ROWS, { eol: "\r\r\n" })],
    ["CRLF and a final blank line", `${buildFec(ROWS, { eol: "\r\n" })}\r\n`],
    ["CR only", buildFec(ROWS, { eol: "\r" })],
    ["UTF-8 BOM bytes", new TextEncoder().encode(buildFec(ROWS, { bom: true }))],
    ["Windows-1252 bytes", cp1252(buildFec(ROWS))],
    [
      "header in upper/lower case",
      buildFec(ROWS, {
        headerCase: (c) => (c.length % 2 ? c.toUpperCase() : c.toLowerCase()),
      }),
    ],
    ["22 columns (BNC variant)", buildFec(ROWS, { extra: ["DateRglt", "ModeRglt", "NatOp", "IdClient"] })],
    ["Montant + Sens", buildFec(ROWS, { montantSens: true })],
  ];
  for (const [name, input] of variants) {
    it(name, () => {
      const { format, diagnosis } = diagnoseFecContent(input);
      expectHandFigures(diagnosis);
      expect(diagnosis.topCustomers[0]?.name).toBe("Client Bêta");
      if (name.startsWith("Windows")) expect(format.encoding).toBe("windows-1252");
      if (name.startsWith("UTF-8 BOM")) expect(format).toMatchObject({ encoding: "utf-8", bom: true });
      if (name.startsWith("pipe")) expect(format.separator).toBe("|");
      if (name.startsWith("CR CR")) expect(format.lineEnding).toBe("CRCRLF");
      if (name.startsWith("22")) expect(format.extraColumns).toEqual(["DateRglt", "ModeRglt", "NatOp", "IdClient"]);
      if (name.startsWith("Montant")) expect(format.amounts).toBe("montant_sens");
    });
  }

  it("decodes Windows-1252 labels and keeps UTF-8 ones", () => {
    const { lines } = parseFec(cp1252(buildFec(ROWS)));
    expect(lines.find((l) => l.journalCode === "OD")?.journalLib).toBe("Opérations diverses");
    expect(lines[0]?.ecritureLib).toBe("Écriture AN 1 – 5 €");
    expect(decodeFec(new TextEncoder().encode("é")).encoding).toBe("utf-8");
    expect(decodeFec(Uint8Array.from([0xe9])).text).toBe("é");
    // 0x80–0x9F are not Latin-1 control characters in Windows-1252 (Node's own decoder gets them wrong).
    expect(decodeFec(Uint8Array.from([0x80, 0x20, 0x63, 0x9c, 0x75, 0x72, 0x92, 0x96, 0x81])).text).toBe("€ cœur’–\u0081");
  });

  it("keeps extra columns' values", () => {
    const { lines } = parseFec(buildFec(ROWS.slice(0, 1), { extra: ["DateRglt", "IdClient"] }));
    expect(lines[0]?.extra).toEqual({ DateRglt: "x", IdClient: "" });
  });
});

describe("FEC errors name the line and the field", () => {
  const header = FEC_COLUMNS.join("\t");
  const good = buildFec(ROWS.slice(0, 3)).split("\n");
  const withLine = (n: number, edit: (fields: string[]) => string[]) =>
    good.map((l, i) => (i === n - 1 ? edit(l.split("\t")).join("\t") : l)).join("\n");
  const error = (input: string | Uint8Array): FecError => {
    try {
      parseFec(input);
    } catch (e) {
      if (e instanceof FecError) return e;
      throw e;
    }
    throw new Error("no error");
  };

  it("a file that is not a FEC", () => {
    const e = error("numero_facture;client;montant_ttc\nF1;ACME;12,00\n");
    expect(e.line).toBe(1);
    expect(e.message).toMatch(/^line 1: not a FEC file/);
  });

  it("missing columns are named", () => {
    const cols = FEC_COLUMNS.filter((c) => c !== "PieceDate" && c !== "ValidDate");
    const e = error(`${cols.join("\t")}\n`);
    expect(e.message).toBe("line 1: not a FEC file: missing columns PieceDate, ValidDate");
  });

  it("an empty file", () => {
    expect(error("").message).toMatch(/empty/);
    expect(error("\n\n").message).toMatch(/empty/);
  });

  it("wrong number of fields", () => {
    const e = error(withLine(3, (f) => f.slice(0, 15)));
    expect(e).toMatchObject({ line: 3, field: null });
    expect(e.message).toBe("line 3: expected 18 fields separated by tabs, found 15");
    expect(error(withLine(2, (f) => [...f, "surplus"])).message).toMatch(/^line 2: expected 18 fields/);
  });

  it("a bad date", () => {
    const e = error(withLine(3, (f) => f.map((v, i) => (i === 3 ? "2024-13-45" : v))));
    expect(e).toMatchObject({ line: 3, field: "EcritureDate" });
    expect(e.message).toBe('line 3, EcritureDate: invalid date "2024-13-45"');
    expect(error(withLine(2, (f) => f.map((v, i) => (i === 3 ? "" : v)))).message).toBe("line 2, EcritureDate: missing date");
    expect(error(withLine(2, (f) => f.map((v, i) => (i === 14 ? "20240230" : v)))).message).toBe(
      'line 2, DateLet: invalid date "20240230"',
    );
  });

  it("a bad amount", () => {
    const e = error(withLine(4, (f) => f.map((v, i) => (i === 12 ? "12,3x" : v))));
    expect(e.message).toBe('line 4, Credit: invalid amount "12,3x"');
    expect(error(withLine(2, (f) => f.map((v, i) => (i === 11 ? "1,234" : v)))).message).toBe('line 2, Debit: invalid amount "1,234"');
  });

  it("a missing account number", () => {
    expect(error(withLine(2, (f) => f.map((v, i) => (i === 4 ? "  " : v)))).message).toBe("line 2, CompteNum: missing account number");
  });

  it("a bad direction in the Montant/Sens variant", () => {
    const text = buildFec(ROWS.slice(0, 1), { montantSens: true }).replace("\tD\t", "\tX\t");
    expect(error(text).message).toBe('line 2, Sens: invalid direction "X" (expected D or C)');
  });

  it("reports the first bad line lazily when scanning", () => {
    const scan = scanFec(`${header}\n${good[1]}\nnot\ta\tline\n`);
    const iter = scan.lines[Symbol.iterator]();
    expect(iter.next().value?.line).toBe(2);
    expect(() => iter.next()).toThrow(/^line 3: expected 18 fields/);
  });

  it("locates the error in a file", () => {
    const e = new FecError('invalid date "x"', 12, "EcritureDate").inFile("FEC.txt");
    expect(e.message).toBe('FEC.txt, line 12, EcritureDate: invalid date "x"');
  });
});

describe("property: scaling every amount by an integer k leaves DSO, DPO, DIO and the cycle unchanged", () => {
  const lines: FecLine[] = parseFec(buildFec(ROWS)).lines;
  it("holds for the hand-built FEC and random period ends", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 90 }),
        fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
        (k, offset, days) => {
          const to = new Date(Date.UTC(2024, 0, 1 + offset)).toISOString().slice(0, 10);
          const scaled = lines.map((l) => ({
            ...l,
            debit: l.debit * k,
            credit: l.credit * k,
          }));
          const a = diagnoseFec(lines, { to, days });
          const b = diagnoseFec(scaled, { to, days });
          for (const key of ["dso", "dpo", "dio", "cycle"] as const) {
            const x = a[key];
            if (x === null) expect(b[key]).toBeNull();
            else expect(b[key]).toBeCloseTo(x, 9);
          }
          expect(b.receivables).toBe(a.receivables * k);
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------
// Real files: every FEC of the shared corpus (the directory is listed, so new files are covered).

const corpus = new URL("../../../shared/corpus/fec/", import.meta.url);

describe("corpus FEC files", () => {
  const files = readdirSync(corpus).filter((f) => !f.startsWith("."));

  it("finds the corpus", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    const invalid = file.toLowerCase().startsWith("invalid");
    it(`${invalid ? "rejects" : "diagnoses"} ${file}`, () => {
      const bytes = readFileSync(new URL(file, corpus));
      if (invalid) {
        let err: unknown;
        try {
          diagnoseFecContent(bytes);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(FecError);
        expect((err as FecError).line).not.toBeNull();
        return;
      }
      const { format, diagnosis: d } = diagnoseFecContent(bytes);
      expect(d.stats.lines).toBeGreaterThan(0);
      expect(d.from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(d.days).toBeGreaterThan(0);
      for (const v of [d.receivables, d.salesTTC, d.payables, d.purchasesTTC, d.inventory, d.bfr]) {
        expect(Number.isSafeInteger(v)).toBe(true);
      }
      for (const v of [d.dso, d.dpo, d.dio, d.cycle]) {
        if (v !== null) expect(Number.isFinite(v)).toBe(true);
      }
      expect(d.bfr).toBe(d.inventory + d.receivables - d.payables);
      expect(d.topCustomers.length).toBeLessThanOrEqual(10);
      if (d.aging) expect(agingOf(d).buckets.reduce((s, b) => s + b.total, 0)).toBe(d.aging.total);
      // What MANIFEST.md says about these files.
      const known: Record<string, Partial<typeof format>> = {
        "0000000001FEC20220831.txt": {
          separator: "\t",
          bom: true,
          extraColumns: [],
        },
        "000000000FEC20231231.txt": {
          separator: "\t",
          extraColumns: ["DateRglt", "ModeRglt", "NatOp", "IdClient"],
        },
        "111111111FEC20221231.TXT": { separator: "|", extraColumns: [] },
        "123456789FEC20500930.txt": { separator: "\t", lineEnding: "CRCRLF" },
      };
      if (known[file]) expect(format).toMatchObject(known[file]);
    });
  }
});
