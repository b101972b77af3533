/**
 * FEC — Fichier des Écritures Comptables (LPF art. A47 A-1): reader and financial
 * diagnosis (DESIGN §5 "FEC diagnosis"). Pure: works on a string or on the file's bytes,
 * the caller does the I/O.
 *
 * Reader tolerance (what real files do, see shared/corpus/MANIFEST.md):
 * - separator TAB or `|`, detected on the header line; header names matched
 *   case-insensitively (accents and surrounding spaces ignored): `Montantdevise` = `MontantDevise`;
 * - extra columns (the 22-column BNC/cash-basis variant: DateRglt, ModeRglt, NatOp, IdClient)
 *   are kept in `extra`, never an error;
 * - fields padded with spaces are trimmed; amounts may be zero-padded (`0000000069,60`);
 * - a trailing separator at the end of each line (empty trailing fields) is ignored;
 * - line ends LF, CRLF, CR CR LF (any run of CR before LF), or CR alone; blank lines skipped;
 * - UTF-8 with or without BOM, UTF-16 with BOM, otherwise Windows-1252 when the bytes
 *   are not valid UTF-8 (bytes 0x80–0x9F mapped by our own table: see `decodeWindows1252`);
 * - the `Montant` + `Sens` variant allowed by A47 A-1 instead of `Debit` + `Credit`
 *   (Sens `D`/`C`, `+1`/`-1`, `Débit`/`Crédit`);
 * - dates are `YYYYMMDD`; `YYYY-MM-DD` and `DD/MM/YYYY` are accepted too;
 * - an empty Debit or Credit reads as 0; empty PieceDate, DateLet, ValidDate read as null.
 * Anything else is a `FecError` naming the line and the field.
 */

import { AgingAccumulator, type AgingAmounts, DEFAULT_AGING_LIMITS } from "./aging.js";
import { DateParseError, daysBetween, daysInclusive, type IsoDate, parseDate } from "./dates.js";
import { daysRatio } from "./dso.js";
import { type Cents, MoneyParseError, parseMoney, toDecimalString } from "./money.js";

/** The 18 standard columns, in their regulatory order. */
export const FEC_COLUMNS = [
  "JournalCode",
  "JournalLib",
  "EcritureNum",
  "EcritureDate",
  "CompteNum",
  "CompteLib",
  "CompAuxNum",
  "CompAuxLib",
  "PieceRef",
  "PieceDate",
  "EcritureLib",
  "Debit",
  "Credit",
  "EcritureLet",
  "DateLet",
  "ValidDate",
  "Montantdevise",
  "Idevise",
] as const;
export type FecColumn = (typeof FEC_COLUMNS)[number] | "Montant" | "Sens";

export class FecError extends Error {
  constructor(
    /** What is wrong, without the location. */
    readonly reason: string,
    /** 1-based physical line (the header is line 1); null when the problem is the whole file. */
    readonly line: number | null = null,
    /** Column name as the standard spells it. */
    readonly field: string | null = null,
    readonly file: string | null = null,
  ) {
    super(FecError.format(reason, line, field, file));
    this.name = "FecError";
  }

  static format(reason: string, line: number | null, field: string | null, file: string | null): string {
    const where = [file, line !== null ? `line ${line}` : null].filter((x) => x !== null).join(", ");
    const at = [where || null, field].filter((x) => x !== null).join(", ");
    return at ? `${at}: ${reason}` : reason;
  }

  /** The same error, located in a file. */
  inFile(file: string): FecError {
    return new FecError(this.reason, this.line, this.field, file);
  }
}

export interface FecLine {
  /** Physical line in the file (header = 1). */
  line: number;
  journalCode: string;
  journalLib: string;
  ecritureNum: string;
  ecritureDate: IsoDate;
  compteNum: string;
  compteLib: string;
  compAuxNum: string;
  compAuxLib: string;
  pieceRef: string;
  pieceDate: IsoDate | null;
  ecritureLib: string;
  debit: Cents;
  credit: Cents;
  ecritureLet: string;
  dateLet: IsoDate | null;
  validDate: IsoDate | null;
  /** Kept as written: foreign-currency amounts may carry any number of decimals. */
  montantDevise: string;
  idevise: string;
  /** Values of non-standard columns, by header name (only when the file has some). */
  extra?: Record<string, string>;
}

export type FecEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

export interface FecFormat {
  separator: "\t" | "|";
  encoding: FecEncoding;
  bom: boolean;
  /** Header names as written (trailing empty names from a trailing separator removed). */
  columns: string[];
  /** Non-standard columns, as written. */
  extraColumns: string[];
  amounts: "debit_credit" | "montant_sens";
  lineEnding: "LF" | "CRLF" | "CRCRLF" | "CR" | "none";
}

// ---------------------------------------------------------------------------------------
// Decoding

/** Decodes a FEC file's bytes: BOM first, then strict UTF-8, else Windows-1252. */
export function decodeFec(bytes: Uint8Array): {
  text: string;
  encoding: FecEncoding;
  bom: boolean;
} {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return {
      text: new TextDecoder("utf-8").decode(bytes.subarray(3)),
      encoding: "utf-8",
      bom: true,
    };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return {
      text: new TextDecoder("utf-16le").decode(bytes.subarray(2)),
      encoding: "utf-16le",
      bom: true,
    };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return {
      text: new TextDecoder("utf-16be").decode(bytes.subarray(2)),
      encoding: "utf-16be",
      bom: true,
    };
  }
  try {
    return {
      text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes),
      encoding: "utf-8",
      bom: false,
    };
  } catch {
    return {
      text: decodeWindows1252(bytes),
      encoding: "windows-1252",
      bom: false,
    };
  }
}

/** WHATWG index-windows-1252 for bytes 0x80–0x9F (the rest is Latin-1). */
const CP1252_C1 =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

/**
 * Windows-1252 decoding. `TextDecoder("windows-1252")` is not used alone: Node ≥ 20.18.3 and
 * ≥ 22.13 decode it as ISO-8859-1, turning 0x80 (€), 0x92 (’)… into C1 control characters
 * (nodejs/node#56542, #60888). The bytes 0x80–0x9F are therefore mapped here, which gives
 * the right text whether or not the running Node has the bug.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  return new TextDecoder("windows-1252").decode(bytes).replace(/[\u0080-\u009f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80] as string);
}

// ---------------------------------------------------------------------------------------
// Reading

const normalizeName = (s: string): string =>
  s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .trim()
    .toLowerCase();

const KNOWN = new Map<string, FecColumn>([...FEC_COLUMNS, "Montant" as const, "Sens" as const].map((c) => [normalizeName(c), c]));

interface PhysicalLine {
  number: number;
  text: string;
}

/** Splits into physical lines: LF with any CRs before it, or CR alone when the file has no LF. */
function* physicalLines(text: string): Generator<PhysicalLine> {
  const sep = text.includes("\n") ? "\n" : "\r";
  let start = 0;
  let number = 0;
  while (start <= text.length) {
    let end = text.indexOf(sep, start);
    if (end < 0) end = text.length;
    number++;
    let stop = end;
    while (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    yield { number, text: text.slice(start, stop) };
    start = end + 1;
  }
}

function detectLineEnding(text: string): FecFormat["lineEnding"] {
  const lf = text.indexOf("\n");
  if (lf < 0) return text.includes("\r") ? "CR" : "none";
  if (lf >= 2 && text[lf - 1] === "\r" && text[lf - 2] === "\r") return "CRCRLF";
  if (lf >= 1 && text[lf - 1] === "\r") return "CRLF";
  return "LF";
}

interface Header {
  format: Omit<FecFormat, "encoding" | "bom">;
  /** Index of each known column. */
  index: Map<FecColumn, number>;
  /** [name, index] of extra columns. */
  extra: Array<[string, number]>;
  /** Number of meaningful fields per line. */
  width: number;
}

function dropTrailingEmpty(fields: string[], keep: number): string[] {
  let n = fields.length;
  while (n > keep && (fields[n - 1] as string).trim() === "") n--;
  return n === fields.length ? fields : fields.slice(0, n);
}

function readHeader(line: PhysicalLine): Header {
  const candidates = (["\t", "|"] as const).map((separator) => {
    const names = dropTrailingEmpty(line.text.split(separator), 0);
    const known = names.filter((n) => KNOWN.has(normalizeName(n))).length;
    return { separator, names, known };
  });
  const best = candidates.reduce((a, b) => (b.known > a.known ? b : a));
  if (best.known < 3 || best.names.length < 2) {
    throw new FecError(
      `not a FEC file: the header line does not hold FEC column names separated by tab or "|" (expected ${FEC_COLUMNS.join(", ")})`,
      line.number,
    );
  }
  const index = new Map<FecColumn, number>();
  const extra: Array<[string, number]> = [];
  best.names.forEach((raw, i) => {
    const known = KNOWN.get(normalizeName(raw));
    if (known && !index.has(known)) index.set(known, i);
    else extra.push([raw.trim(), i]);
  });
  const montantSens = !index.has("Debit") && !index.has("Credit") && index.has("Montant") && index.has("Sens");
  const required = FEC_COLUMNS.filter((c) => !(montantSens && (c === "Debit" || c === "Credit")));
  const missing = required.filter((c) => !index.has(c));
  if (missing.length > 0) {
    throw new FecError(`not a FEC file: missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`, line.number);
  }
  if (!montantSens) {
    // Montant/Sens next to Debit/Credit are ordinary extra columns.
    for (const c of ["Montant", "Sens"] as const) {
      const i = index.get(c);
      if (i !== undefined) {
        index.delete(c);
        extra.push([(best.names[i] as string).trim(), i]);
      }
    }
    extra.sort((a, b) => a[1] - b[1]);
  }
  const columns = best.names.map((n) => n.trim());
  return {
    format: {
      separator: best.separator,
      columns,
      extraColumns: extra.map(([n]) => n),
      amounts: montantSens ? "montant_sens" : "debit_credit",
      lineEnding: "none",
    },
    index,
    extra,
    width: best.names.length,
  };
}

function parseFecDate(value: string, line: number, field: string, required: true): IsoDate;
function parseFecDate(value: string, line: number, field: string, required: false): IsoDate | null;
function parseFecDate(value: string, line: number, field: string, required: boolean): IsoDate | null {
  if (value === "") {
    if (required) throw new FecError("missing date", line, field);
    return null;
  }
  try {
    return parseDate(value);
  } catch (e) {
    if (e instanceof DateParseError) throw new FecError(`invalid date "${value}"`, line, field);
    throw e;
  }
}

function parseFecAmount(value: string, line: number, field: string): Cents {
  if (value === "") return 0;
  try {
    return parseMoney(value);
  } catch (e) {
    if (e instanceof MoneyParseError) throw new FecError(`invalid amount "${value}"`, line, field);
    throw e;
  }
}

function parseSens(value: string, line: number): "D" | "C" {
  const v = normalizeName(value);
  if (v === "d" || v === "debit" || v === "+1" || v === "1") return "D";
  if (v === "c" || v === "credit" || v === "-1") return "C";
  throw new FecError(`invalid direction "${value}" (expected D or C)`, line, "Sens");
}

function recordOf(header: Header, pl: PhysicalLine): FecLine {
  const n = pl.number;
  const fields = dropTrailingEmpty(pl.text.split(header.format.separator), header.width);
  if (fields.length !== header.width) {
    throw new FecError(
      `expected ${header.width} fields separated by ${header.format.separator === "\t" ? "tabs" : '"|"'}, found ${fields.length}`,
      n,
    );
  }
  const get = (c: FecColumn): string => {
    const i = header.index.get(c);
    return i === undefined ? "" : (fields[i] as string).trim();
  };
  const compteNum = get("CompteNum");
  if (compteNum === "") throw new FecError("missing account number", n, "CompteNum");
  let debit: Cents;
  let credit: Cents;
  if (header.format.amounts === "montant_sens") {
    const amount = parseFecAmount(get("Montant"), n, "Montant");
    const sens = parseSens(get("Sens"), n);
    debit = sens === "D" ? amount : 0;
    credit = sens === "C" ? amount : 0;
  } else {
    debit = parseFecAmount(get("Debit"), n, "Debit");
    credit = parseFecAmount(get("Credit"), n, "Credit");
  }
  const record: FecLine = {
    line: n,
    journalCode: get("JournalCode"),
    journalLib: get("JournalLib"),
    ecritureNum: get("EcritureNum"),
    ecritureDate: parseFecDate(get("EcritureDate"), n, "EcritureDate", true),
    compteNum,
    compteLib: get("CompteLib"),
    compAuxNum: get("CompAuxNum"),
    compAuxLib: get("CompAuxLib"),
    pieceRef: get("PieceRef"),
    pieceDate: parseFecDate(get("PieceDate"), n, "PieceDate", false),
    ecritureLib: get("EcritureLib"),
    debit,
    credit,
    ecritureLet: get("EcritureLet"),
    dateLet: parseFecDate(get("DateLet"), n, "DateLet", false),
    validDate: parseFecDate(get("ValidDate"), n, "ValidDate", false),
    montantDevise: get("Montantdevise"),
    idevise: get("Idevise"),
  };
  if (header.extra.length > 0) {
    const extra: Record<string, string> = {};
    for (const [name, i] of header.extra) extra[name] = (fields[i] as string).trim();
    record.extra = extra;
  }
  return record;
}

export interface FecScan {
  format: FecFormat;
  /** Parsed lines, lazily: iterating throws a `FecError` at the first bad line. Iterable once. */
  lines: Iterable<FecLine>;
}

/**
 * Reads the header at once and returns the data lines as a lazy iterable, so a file of
 * tens of MB is never held as an array of records.
 */
export function scanFec(input: string | Uint8Array): FecScan {
  let text: string;
  let encoding: FecEncoding = "utf-8";
  let bom = false;
  if (typeof input === "string") {
    bom = input.charCodeAt(0) === 0xfeff;
    text = bom ? input.slice(1) : input;
  } else {
    ({ text, encoding, bom } = decodeFec(input));
  }
  const iterator = physicalLines(text);
  let first = iterator.next();
  while (!first.done && first.value.text.trim() === "") first = iterator.next();
  if (first.done) throw new FecError("not a FEC file: the file is empty");
  const header = readHeader(first.value);
  const format: FecFormat = {
    ...header.format,
    encoding,
    bom,
    lineEnding: detectLineEnding(text),
  };
  function* records(): Generator<FecLine> {
    for (const pl of iterator) {
      if (pl.text.trim() === "") continue;
      yield recordOf(header, pl);
    }
  }
  return { format, lines: records() };
}

/** Reads a whole FEC into an array (convenient for small files and tests). */
export function parseFec(input: string | Uint8Array): {
  format: FecFormat;
  lines: FecLine[];
} {
  const scan = scanFec(input);
  return { format: scan.format, lines: [...scan.lines] };
}

// ---------------------------------------------------------------------------------------
// Accounts (Plan comptable général)

const startsWithAny = (account: string, prefixes: readonly string[]) => prefixes.some((p) => account.startsWith(p));

/** Créances clients: 411 clients, 413 effets à recevoir, 416 douteux, 418 factures à établir. */
export const isReceivablesAccount = (a: string) => startsWithAny(a, ["411", "413", "416", "418"]);
/** Dettes fournisseurs: 401 fournisseurs, 403 effets à payer, 408 factures non parvenues. */
export const isPayablesAccount = (a: string) => startsWithAny(a, ["401", "403", "408"]);
/** Ventes: 70*. */
export const isSalesAccount = (a: string) => a.startsWith("70");
/** TVA collectée: 4457*. */
export const isOutputVatAccount = (a: string) => a.startsWith("4457");
/** Achats for DPO: 60* except 603* (variation de stocks), 61*, 62*. */
export const isPurchaseAccount = (a: string) => (a.startsWith("60") && !a.startsWith("603")) || a.startsWith("61") || a.startsWith("62");
/** TVA déductible: 4456*. */
export const isInputVatAccount = (a: string) => a.startsWith("4456");
/** Stocks et en-cours: 31* to 37*. */
export const isInventoryAccount = (a: string) => /^3[1-7]/.test(a);
/** Achats consommés for DIO: 60* (603 variation de stocks included). */
export const isConsumptionAccount = (a: string) => a.startsWith("60");
/** Client accounts carrying auxiliary (per-customer) detail: 411*. */
export const isCustomerAccount = (a: string) => a.startsWith("411");

// ---------------------------------------------------------------------------------------
// Diagnosis

export interface FecDiagnosisOptions {
  /** Start of the period for flows (default: first EcritureDate of the file). */
  from?: IsoDate;
  /** End of the period: flows up to it, balances at it (default: last EcritureDate). */
  to?: IsoDate;
  /** Days of the period for the ratios (default: calendar days of [from, to]). */
  days?: number;
  /** How many customers in `topCustomers` (default 10). */
  topCustomers?: number;
  /** Aging bucket limits (default 30, 60, 90). */
  agingLimits?: readonly number[];
  /**
   * Payment terms assumed for the FEC aging (the FEC has no due dates): an open line
   * dated P is `to − P − termsDays` days past due. Default 0: buckets by age.
   */
  agingTermsDays?: number;
}

export interface FecCustomer {
  /** CompAuxNum, or CompteNum when the line has no auxiliary account. */
  account: string;
  name: string;
  /** Σ(Debit − Credit) on the customer's 411 lines. */
  outstanding: Cents;
}

export interface FecAging extends AgingAmounts {
  asOf: IsoDate;
  limits: number[];
  termsDays: number;
  /**
   * Σ(D − C) of the 411 lines lettered at `asOf`: 0 when every lettering group balances.
   * Receivables on 411 = ar + lettered.
   */
  lettered: Cents;
}

export interface FecDiagnosis {
  from: IsoDate | null;
  to: IsoDate | null;
  days: number;
  receivables: Cents;
  salesTTC: Cents;
  dso: number | null;
  payables: Cents;
  purchasesTTC: Cents;
  dpo: number | null;
  inventory: Cents;
  /** Σ(D − C) on 60* over the period: the DIO denominator. */
  consumption: Cents;
  dio: number | null;
  bfr: Cents;
  cycle: number | null;
  topCustomers: FecCustomer[];
  /** Aging of the open (unlettered) 411 lines; null when the file has no lettering on 411. */
  aging: FecAging | null;
  stats: {
    lines: number;
    entries: number;
    firstDate: IsoDate | null;
    lastDate: IsoDate | null;
    totalDebit: Cents;
    totalCredit: Cents;
  };
  warnings: string[];
}

interface EntryFlows {
  touchesSales: boolean;
  touchesPurchases: boolean;
  sales: Cents; // Σ(C−D) 70*
  outputVat: Cents; // Σ(C−D) 4457*
  purchases: Cents; // Σ(D−C) 60* (not 603*), 61*, 62*
  inputVat: Cents; // Σ(D−C) 4456*
}

interface CustomerLine {
  amount: Cents; // D − C
  lettered: string;
  dateLet: IsoDate | null;
  date: IsoDate; // PieceDate, else EcritureDate
}

/**
 * Diagnosis of a FEC, DESIGN §5. One pass over the lines (an iterable, so a lazy scan works).
 *
 * - Balances (receivables, payables, inventory, top customers, aging) over the lines dated
 *   ≤ `to` (all lines when `to` is not given).
 * - Flows (sales, purchases, consumption) over the entries dated in [from, to]. An entry is
 *   JournalCode + EcritureNum; its lines are also keyed by EcritureDate, which changes
 *   nothing for a regular file (an entry has one date) and keeps a file that numbers every
 *   entry `0` from merging a whole journal into one entry (a warning says so).
 * - Ratios are null when their denominator is 0 or negative. In `cycle`, a ratio that is
 *   null because both its balance and its flow are 0 counts as 0 days (a service company
 *   without stocks has a DIO of 0 in its cycle); any other null makes `cycle` null.
 */
export function diagnoseFec(lines: Iterable<FecLine>, options: FecDiagnosisOptions = {}): FecDiagnosis {
  const { from: optFrom, to: optTo } = options;
  if (optFrom && optTo && optFrom > optTo) throw new RangeError(`--from ${optFrom} is after --to ${optTo}`);
  if (options.days !== undefined && !(options.days > 0)) throw new RangeError(`days must be positive, got ${options.days}`);

  let receivables = 0;
  let payables = 0;
  let inventory = 0;
  let consumption = 0;
  let count = 0;
  let totalDebit = 0;
  let totalCredit = 0;
  let firstDate: IsoDate | null = null;
  let lastDate: IsoDate | null = null;
  const entries = new Map<string, EntryFlows>();
  const entryKeys = new Set<string>();
  const entryDates = new Map<string, IsoDate>();
  const multiDated = new Set<string>();
  const customers = new Map<string, FecCustomer>();
  const customerLines: CustomerLine[] = [];
  let anyLettering = false;

  for (const l of lines) {
    count++;
    totalDebit += l.debit;
    totalCredit += l.credit;
    const date = l.ecritureDate;
    if (firstDate === null || date < firstDate) firstDate = date;
    if (lastDate === null || date > lastDate) lastDate = date;
    const a = l.compteNum;
    const dc = l.debit - l.credit;

    const entryNum = `${l.journalCode}\u0000${l.ecritureNum}`;
    const seen = entryDates.get(entryNum);
    if (seen === undefined) entryDates.set(entryNum, date);
    else if (seen !== date) multiDated.add(entryNum);

    // Balances: lines dated ≤ to.
    if (optTo === undefined || date <= optTo) {
      if (isReceivablesAccount(a)) receivables += dc;
      if (isPayablesAccount(a)) payables -= dc;
      if (isInventoryAccount(a)) inventory += dc;
      if (isCustomerAccount(a)) {
        const key = l.compAuxNum || a;
        let c = customers.get(key);
        if (!c) {
          c = {
            account: key,
            name: l.compAuxLib || l.compteLib,
            outstanding: 0,
          };
          customers.set(key, c);
        }
        c.outstanding += dc;
        if (l.ecritureLet !== "") anyLettering = true;
        customerLines.push({
          amount: dc,
          lettered: l.ecritureLet,
          dateLet: l.dateLet,
          date: l.pieceDate ?? date,
        });
      }
    }

    // Flows: entries dated in [from, to].
    if ((optFrom === undefined || date >= optFrom) && (optTo === undefined || date <= optTo)) {
      const key = `${entryNum}\u0000${date}`;
      entryKeys.add(key);
      if (isConsumptionAccount(a)) consumption += dc;
      const sales = isSalesAccount(a);
      const outVat = isOutputVatAccount(a);
      const purchase = isPurchaseAccount(a);
      const inVat = isInputVatAccount(a);
      if (sales || outVat || purchase || inVat) {
        let e = entries.get(key);
        if (!e) {
          e = {
            touchesSales: false,
            touchesPurchases: false,
            sales: 0,
            outputVat: 0,
            purchases: 0,
            inputVat: 0,
          };
          entries.set(key, e);
        }
        if (sales) {
          e.touchesSales = true;
          e.sales -= dc;
        }
        if (outVat) e.outputVat -= dc;
        if (purchase) {
          e.touchesPurchases = true;
          e.purchases += dc;
        }
        if (inVat) e.inputVat += dc;
      }
    }
  }

  let salesTTC = 0;
  let purchasesTTC = 0;
  for (const e of entries.values()) {
    if (e.touchesSales) salesTTC += e.sales + e.outputVat;
    if (e.touchesPurchases) purchasesTTC += e.purchases + e.inputVat;
  }

  const from = optFrom ?? firstDate;
  const to = optTo ?? lastDate;
  const days = options.days ?? (from !== null && to !== null ? daysInclusive(from, to) : 0);
  const dso = daysRatio(receivables, salesTTC, days);
  const dpo = daysRatio(payables, purchasesTTC, days);
  const dio = daysRatio(inventory, consumption, days);
  const term = (ratio: number | null, balance: Cents, flow: Cents) => (ratio !== null ? ratio : balance === 0 && flow === 0 ? 0 : null);
  const dsoTerm = term(dso, receivables, salesTTC);
  const dioTerm = term(dio, inventory, consumption);
  const dpoTerm = term(dpo, payables, purchasesTTC);
  const cycle = dsoTerm === null || dioTerm === null || dpoTerm === null ? null : dsoTerm + dioTerm - dpoTerm;

  const warnings: string[] = [];
  if (multiDated.size > 0) {
    warnings.push(
      `${multiDated.size} entr${multiDated.size > 1 ? "ies" : "y"} (JournalCode+EcritureNum) span several EcritureDate values; their lines were grouped by date`,
    );
  }
  if (totalDebit !== totalCredit) {
    warnings.push(`the file is not balanced: total debit ${toDecimalString(totalDebit)} ≠ total credit ${toDecimalString(totalCredit)}`);
  }

  let aging: FecAging | null = null;
  if (to !== null && customerLines.length > 0) {
    if (anyLettering) aging = fecAging(customerLines, to, options);
    else warnings.push("no lettering (EcritureLet) on 411 accounts: the receivables aging is not available");
  }

  const topN = options.topCustomers ?? 10;
  const topCustomers = [...customers.values()]
    .filter((c) => c.outstanding > 0)
    .sort((x, y) => y.outstanding - x.outstanding || (x.account < y.account ? -1 : x.account > y.account ? 1 : 0))
    .slice(0, topN);

  return {
    from,
    to,
    days,
    receivables,
    salesTTC,
    dso,
    payables,
    purchasesTTC,
    dpo,
    inventory,
    consumption,
    dio,
    bfr: inventory + receivables - payables,
    cycle,
    topCustomers,
    aging,
    stats: {
      lines: count,
      entries: entryKeys.size,
      firstDate,
      lastDate,
      totalDebit,
      totalCredit,
    },
    warnings,
  };
}

/**
 * Approximate aging of client accounts from lettering. A 411 line is open at `asOf` when
 * it has no lettering code, or was lettered after `asOf` (DateLet > asOf); any lettering
 * code counts as settled (partial lettering is not told apart). An open debit line is aged
 * from its PieceDate (the invoice date; EcritureDate when PieceDate is empty) plus the
 * assumed terms; an open credit line (payment or credit note not lettered) is `unapplied`.
 */
function fecAging(lines: readonly CustomerLine[], asOf: IsoDate, options: FecDiagnosisOptions): FecAging {
  const limits = [...(options.agingLimits ?? DEFAULT_AGING_LIMITS)];
  const termsDays = options.agingTermsDays ?? 0;
  const acc = new AgingAccumulator(limits);
  let lettered = 0;
  for (const l of lines) {
    const open = l.lettered === "" || (l.dateLet !== null && l.dateLet > asOf);
    if (!open) {
      lettered += l.amount;
      continue;
    }
    if (l.amount > 0) acc.add(daysBetween(l.date, asOf) - termsDays, l.amount);
    else if (l.amount < 0) acc.addUnapplied(-l.amount);
  }
  return { asOf, limits, termsDays, lettered, ...acc.result() };
}

/** Reads and diagnoses a FEC held in memory (string or bytes). */
export function diagnoseFecContent(
  input: string | Uint8Array,
  options: FecDiagnosisOptions = {},
): { format: FecFormat; diagnosis: FecDiagnosis } {
  const scan = scanFec(input);
  return { format: scan.format, diagnosis: diagnoseFec(scan.lines, options) };
}
