/**
 * CSV and XLSX readers for customers, invoices and payments (DESIGN §4 columns).
 *
 * Streaming: bytes come in as an async iterable of chunks and records go out one by one,
 * so a file of any size is read in bounded memory. Every row is checked and every problem
 * is reported with its physical line (the header is line 1) and the column it concerns;
 * a reader never stops at the first bad row.
 *
 * - encoding: UTF-8 with or without BOM, UTF-16 with BOM (Excel "Texte Unicode"), else
 *   Windows-1252 (French Excel's default) when the bytes are not valid UTF-8. When invalid
 *   UTF-8 shows up after the first chunk, `EncodingMismatch` is thrown and the caller reads
 *   again with `encoding: "windows-1252"` (see `readTableBytes`, and the import service);
 * - separator: `,` `;` or tab, chosen on the header line (the one that yields the most known
 *   column names, then the most fields);
 * - header names: English or French, any case; accents, spaces, underscores and punctuation
 *   are ignored (`N° Facture` = `n_facture`); unknown columns are ignored and listed in a warning;
 * - dates `YYYY-MM-DD`, `DD/MM/YYYY` (also `.` or `-`), spreadsheet dates and serial numbers;
 * - amounts `1234.56`, `1 234,56`, `1234,56` (parseMoney), spreadsheet numbers.
 */

import { pipeline, Readable } from "node:stream";
import { type CsvError, parse } from "csv-parse";
import { DateParseError, type IsoDate, parseDate } from "../domain/dates.js";
import { decodeWindows1252 } from "../domain/fec.js";
import { type Cents, MoneyParseError, parseMoney } from "../domain/money.js";
import type { Problem } from "../errors.js";
import type { ImportedCustomer, ImportedInvoice, ImportedPayment } from "./types.js";

export type TableKind = "customers" | "invoices" | "payments";
export type TableEncoding = "utf-8" | "utf-8-bom" | "utf-16le" | "utf-16be" | "windows-1252";
export type Separator = "," | ";" | "\t";

/** A spreadsheet cell: text from CSV; typed values from XLSX. */
export type Cell = string | number | boolean | Date | null;
export interface RawRow {
  /** Physical line of the row's first character (CSV) or spreadsheet row number (XLSX). */
  line: number;
  cells: Cell[];
}

export interface LineProblem extends Problem {
  line: number;
  field: string;
}

export class EncodingMismatch extends Error {
  constructor() {
    super("the file is not valid UTF-8 after its first bytes: read it again as Windows-1252");
    this.name = "EncodingMismatch";
  }
}

/** A file-level problem that stops reading (unclosed quote, not a spreadsheet…). */
export class TableError extends Error {
  constructor(
    message: string,
    readonly line: number | null = null,
  ) {
    super(message);
    this.name = "TableError";
  }
}

// ---------------------------------------------------------------------------------------
// Decoding

function detectEncoding(first: Uint8Array): TableEncoding {
  if (first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) return "utf-8-bom";
  if (first[0] === 0xff && first[1] === 0xfe) return "utf-16le";
  if (first[0] === 0xfe && first[1] === 0xff) return "utf-16be";
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(first, { stream: true });
    return "utf-8";
  } catch {
    return "windows-1252";
  }
}

/**
 * Bytes → text with line ends normalised to `\n` (CRLF, CR CR LF and lone CR alike).
 * `state.encoding` is filled from the first chunk when not given.
 */
export async function* decodeText(chunks: AsyncIterable<Uint8Array>, state: { encoding?: TableEncoding }): AsyncGenerator<string> {
  let decoder: InstanceType<typeof TextDecoder> | null = null;
  let skip = 0;
  let pendingCr = false;
  const normalise = (text: string, final: boolean): string => {
    let t = pendingCr ? `\r${text}` : text;
    pendingCr = false;
    if (!final && t.endsWith("\r")) {
      pendingCr = true;
      t = t.slice(0, -1);
    }
    return t.includes("\r") ? t.replace(/\r+\n|\r/g, "\n") : t;
  };
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (!state.encoding) state.encoding = detectEncoding(chunk);
    if (!decoder) {
      const enc = state.encoding;
      skip = enc === "utf-8-bom" ? 3 : enc === "utf-16le" || enc === "utf-16be" ? 2 : 0;
      if (enc !== "windows-1252")
        decoder = new TextDecoder(enc === "utf-8-bom" ? "utf-8" : enc, { fatal: enc === "utf-8", ignoreBOM: true });
    }
    let bytes = chunk;
    if (skip > 0) {
      const n = Math.min(skip, bytes.length);
      bytes = bytes.subarray(n);
      skip -= n;
    }
    let text: string;
    if (state.encoding === "windows-1252") text = decodeWindows1252(bytes);
    else {
      try {
        text = (decoder as InstanceType<typeof TextDecoder>).decode(bytes, { stream: true });
      } catch {
        throw new EncodingMismatch();
      }
    }
    const out = normalise(text, false);
    if (out) yield out;
  }
  let tail = "";
  if (decoder) {
    try {
      tail = decoder.decode();
    } catch {
      throw new EncodingMismatch();
    }
  }
  const out = normalise(tail, true);
  if (out) yield out;
}

// ---------------------------------------------------------------------------------------
// CSV rows

/** Field counts of a line split by `sep`, outside double quotes. */
function countFields(line: string, sep: string): number {
  let n = 1;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === sep && !quoted) n++;
  }
  return n;
}

function splitSimple(line: string, sep: string): string[] {
  return line.split(sep).map((s) => s.replace(/^\s*"?|"?\s*$/g, ""));
}

/** The separator of a header line: the one giving the most known column names, then the most fields. */
export function detectSeparator(headerLine: string): Separator {
  const seps: Separator[] = [";", ",", "\t"];
  let best: Separator = ",";
  let bestScore = -1;
  for (const sep of seps) {
    const known = splitSimple(headerLine, sep).filter((n) => ALL_ALIASES.has(normalizeHeader(n))).length;
    const score = known * 1000 + countFields(headerLine, sep);
    if (score > bestScore) {
      bestScore = score;
      best = sep;
    }
  }
  return best;
}

export interface CsvState {
  encoding?: TableEncoding;
  separator?: Separator;
}

/** CSV bytes → rows. Fills `state.encoding` and `state.separator` as soon as it knows them. */
export async function* csvRows(chunks: AsyncIterable<Uint8Array>, state: CsvState = {}): AsyncGenerator<RawRow> {
  const text = decodeText(chunks, state)[Symbol.asyncIterator]();
  // Peek at the text up to the first non-blank line to choose the separator.
  let head = "";
  let done = false;
  while (!done) {
    const next = await text.next();
    if (next.done) done = true;
    else head += next.value;
    const firstLine = head.split("\n").find((l) => l.trim() !== "");
    if (firstLine !== undefined && (head.indexOf("\n", head.indexOf(firstLine)) >= 0 || done)) break;
    if (head.length > 1_000_000) break;
  }
  const firstLine = head.split("\n").find((l) => l.trim() !== "") ?? "";
  state.separator ??= detectSeparator(firstLine);
  async function* all(): AsyncGenerator<string> {
    if (head) yield head;
    if (done) return;
    while (true) {
      const next = await text.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const parser = parse({
    delimiter: state.separator,
    record_delimiter: "\n",
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
  });
  // pipeline (not pipe): an error of the source (EncodingMismatch) reaches the reader below.
  pipeline(Readable.from(all(), { objectMode: false, encoding: "utf8" }), parser, () => {});
  // Line ends are normalised to "\n" and empty lines come as records, so a record spans
  // 1 + (line breaks inside its quoted fields) lines: no need for csv-parse's costly `info`.
  let next = 1;
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      const line = next;
      next++;
      for (const c of cells) if (c.includes("\n")) next += c.split("\n").length - 1;
      if (cells.length === 1 && (cells[0] as string).trim() === "") continue;
      yield { line, cells };
    }
  } catch (error) {
    if (error instanceof EncodingMismatch) throw error;
    const e = error as CsvError & { lines?: number };
    if (e?.code && String(e.code).startsWith("CSV_")) {
      const reason = e.code === "CSV_QUOTE_NOT_CLOSED" ? `a quoted field opened after line ${next - 1} is never closed` : e.message;
      throw new TableError(reason, e.lines ?? next);
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------
// XLSX rows

function excelCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (value instanceof Date) return value;
  if (typeof value === "object") {
    const v = value as { result?: unknown; richText?: { text: string }[]; text?: unknown; error?: string };
    if ("result" in v) return excelCell(v.result);
    if (Array.isArray(v.richText)) return v.richText.map((r) => r.text).join("");
    if ("text" in v) return excelCell(v.text);
    if ("error" in v) return String(v.error);
  }
  return String(value);
}

/** XLSX bytes → rows of the first worksheet that has any. Streaming (exceljs WorkbookReader). */
export async function* xlsxRows(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<RawRow> {
  // Loaded on demand: a CSV import does not pay for the workbook library's memory.
  const { default: ExcelJS } = await import("exceljs");
  const input = Readable.from(chunks);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    sharedStrings: "cache",
    styles: "cache",
    hyperlinks: "ignore",
    worksheets: "emit",
    entries: "ignore",
  });
  let sawRows = false;
  try {
    for await (const sheet of reader) {
      for await (const row of sheet) {
        const values = (row as unknown as { values: unknown[] }).values;
        const cells: Cell[] = [];
        for (let i = 1; i < values.length; i++) cells.push(excelCell(values[i]));
        if (cells.every((c) => c === null || (typeof c === "string" && c.trim() === ""))) continue;
        sawRows = true;
        yield { line: (row as unknown as { number: number }).number, cells };
      }
      if (sawRows) break;
    }
  } catch (error) {
    if (error instanceof TableError) throw error;
    throw new TableError(`not a readable Excel (.xlsx) workbook: ${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------
// Columns

/** Lower case, no accents, no spaces, underscores or punctuation: `N° Facture` → `nfacture`. */
export function normalizeHeader(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
}

const FIELDS = {
  customers: {
    ref: [
      "customer_ref",
      "code_client",
      "ref",
      "code",
      "reference",
      "customer_code",
      "client_code",
      "numero_client",
      "compte_client",
      "ref_client",
      "customer_id",
      "id_client",
    ],
    name: ["name", "customer_name", "nom", "raison_sociale", "client", "societe", "company", "nom_client", "denomination"],
    siren: ["siren", "siret", "customer_siren"],
    vat: ["vat_number", "vat_id", "tva_intracom", "tva_intracommunautaire", "numero_tva", "n_tva", "num_tva"],
    email: ["email", "customer_email", "e_mail", "courriel", "mail", "email_facturation", "adresse_email"],
    phone: ["phone", "telephone", "tel", "phone_number"],
    address: ["address", "adresse", "adresse_facturation", "billing_address"],
    language: ["language", "langue", "lang"],
    terms: [
      "payment_terms_days",
      "payment_terms",
      "delai_paiement",
      "delai_de_paiement",
      "conditions_paiement",
      "conditions_de_paiement",
      "terms",
      "delai",
    ],
    creditLimit: ["credit_limit", "encours_autorise", "plafond", "plafond_encours", "limite_credit", "encours_max"],
    iban: ["iban", "customer_iban"],
  },
  invoices: {
    number: [
      "invoice_number",
      "numero_facture",
      "n_facture",
      "no_facture",
      "num_facture",
      "invoice_no",
      "invoice",
      "facture",
      "numero",
      "number",
      "numero_piece",
      "piece",
      "document_number",
    ],
    customerRef: [
      "customer_ref",
      "code_client",
      "customer_code",
      "client_code",
      "ref_client",
      "numero_client",
      "compte_client",
      "customer_id",
      "id_client",
    ],
    customerName: ["customer_name", "client", "raison_sociale", "nom_client", "customer", "nom"],
    issueDate: ["issue_date", "date_facture", "date_emission", "invoice_date", "date"],
    dueDate: ["due_date", "date_echeance", "echeance", "date_d_echeance"],
    total: ["amount_total", "montant_ttc", "total_ttc", "ttc", "total", "amount", "montant"],
    tax: ["amount_tax", "tax", "montant_tva", "tva", "vat_amount", "total_tva"],
    currency: ["currency", "devise"],
    paid: ["amount_paid", "montant_regle", "regle", "deja_regle", "montant_paye", "paid", "paye"],
    paidDate: ["payment_date", "date_reglement", "date_paiement", "paid_date", "date_de_reglement"],
    type: ["type", "kind", "type_document", "type_piece", "nature"],
    email: ["customer_email", "email", "e_mail", "courriel"],
    siren: ["siren", "customer_siren", "siret"],
    vat: ["vat_number", "vat_id", "tva_intracom", "numero_tva", "n_tva"],
  },
  payments: {
    date: ["payment_date", "date_paiement", "date_reglement", "date", "date_operation", "value_date", "date_valeur", "booking_date"],
    amount: ["amount", "montant", "montant_regle", "credit", "amount_received", "montant_recu"],
    currency: ["currency", "devise"],
    customerRef: ["customer_ref", "code_client", "customer_code", "client_code", "ref_client", "numero_client", "compte_client"],
    customerName: ["customer_name", "client", "raison_sociale", "nom_client"],
    invoiceNumber: ["invoice_number", "invoice_numbers", "numero_facture", "n_facture", "no_facture", "factures", "facture", "invoices"],
    reference: [
      "reference",
      "libelle",
      "label",
      "libelle_operation",
      "communication",
      "remittance",
      "remittance_information",
      "motif",
      "description",
    ],
    bankTxId: ["bank_tx_id", "transaction_id", "id_transaction", "reference_bancaire", "bank_reference", "end_to_end_id", "id"],
    payerName: ["payer_name", "payer", "emetteur", "donneur_ordre", "tireur", "debtor", "debiteur"],
    payerIban: ["payer_iban", "iban", "iban_emetteur", "debtor_iban"],
    structuredReference: ["structured_reference", "rf_reference", "reference_structuree", "creditor_reference"],
  },
} as const;

type FieldOf<K extends TableKind> = keyof (typeof FIELDS)[K] & string;
export type CustomerField = FieldOf<"customers">;
export type InvoiceField = FieldOf<"invoices">;
export type PaymentField = FieldOf<"payments">;

/** The column name reported in problems: the first (English, DESIGN §4) alias. */
export function columnName<K extends TableKind>(kind: K, field: FieldOf<K>): string {
  return (FIELDS[kind] as Record<string, readonly string[]>)[field]?.[0] ?? field;
}

const ALL_ALIASES = new Set(
  Object.values(FIELDS).flatMap((fields) =>
    Object.values(fields as Record<string, readonly string[]>).flatMap((a) => a.map(normalizeHeader)),
  ),
);

const REQUIRED: { [K in TableKind]: FieldOf<K>[][] } = {
  // each inner list: at least one of these columns
  customers: [["name"]],
  invoices: [["number"], ["customerRef", "customerName"], ["issueDate"], ["total"]],
  payments: [["date"], ["amount"]],
};

export interface TableHeader<K extends TableKind = TableKind> {
  kind: K;
  line: number;
  /** Column index of each recognised field. */
  index: Map<FieldOf<K>, number>;
  /** Header names as written, by column. */
  columns: string[];
  unknownColumns: string[];
}

/** Scores how well a row looks like the header of `kind` (number of recognised names). */
function headerScore(kind: TableKind, cells: Cell[]): number {
  const aliases = new Set(Object.values(FIELDS[kind] as Record<string, readonly string[]>).flatMap((a) => a.map(normalizeHeader)));
  return cells.filter((c) => typeof c === "string" && aliases.has(normalizeHeader(c))).length;
}

/** Which kind of table a header looks like, for a hint when the user picked another. */
function likelyKind(cells: Cell[]): TableKind | null {
  const scores = (["invoices", "payments", "customers"] as TableKind[]).map((k) => {
    const required = REQUIRED[k].every((alts) =>
      alts.some((f) => {
        const names = (FIELDS[k] as Record<string, readonly string[]>)[f]?.map(normalizeHeader) ?? [];
        return cells.some((c) => typeof c === "string" && names.includes(normalizeHeader(c)));
      }),
    );
    return { k, ok: required, score: headerScore(k, cells) };
  });
  const ok = scores.filter((s) => s.ok).sort((a, b) => b.score - a.score);
  return ok[0]?.k ?? null;
}

export function readHeader<K extends TableKind>(kind: K, row: RawRow): { header: TableHeader<K>; problems: LineProblem[] } {
  const fields = FIELDS[kind] as Record<string, readonly string[]>;
  const lookup = new Map<string, string>();
  // Earlier fields win a shared alias (`client` is a name, not a reference).
  for (const [field, aliases] of Object.entries(fields))
    for (const a of aliases) if (!lookup.has(normalizeHeader(a))) lookup.set(normalizeHeader(a), field);
  const index = new Map<FieldOf<K>, number>();
  const columns = row.cells.map((c) => (c === null ? "" : String(c).trim()));
  const unknownColumns: string[] = [];
  const problems: LineProblem[] = [];
  // Exact names first, so that `date` does not take the place of `date_facture`.
  const priority = (field: string, name: string) => (fields[field] as readonly string[]).findIndex((a) => normalizeHeader(a) === name);
  const claims = new Map<string, { i: number; rank: number }>();
  columns.forEach((name, i) => {
    const n = normalizeHeader(name);
    if (n === "") return;
    const field = lookup.get(n);
    if (!field) {
      unknownColumns.push(name);
      return;
    }
    const rank = priority(field, n);
    const prev = claims.get(field);
    if (!prev || rank < prev.rank) {
      if (prev) unknownColumns.push(columns[prev.i] as string);
      claims.set(field, { i, rank });
    } else unknownColumns.push(name);
  });
  for (const [field, { i }] of claims) index.set(field as FieldOf<K>, i);
  for (const alternatives of REQUIRED[kind]) {
    if (!alternatives.some((f) => index.has(f as FieldOf<K>))) {
      const names = alternatives.map((f) => (fields[f] as readonly string[]).slice(0, 3).join("|")).join(" or ");
      problems.push({ line: row.line, field: columnName(kind, alternatives[0] as FieldOf<K>), message: `missing column ${names}` });
    }
  }
  if (problems.length > 0) {
    const other = likelyKind(row.cells);
    if (other && other !== kind)
      problems.push({ line: row.line, field: "", message: `this looks like a file of ${other}: import it with "relance import ${other}"` });
  }
  return { header: { kind, line: row.line, index, columns, unknownColumns }, problems };
}

// ---------------------------------------------------------------------------------------
// Cell values

const MS_PER_DAY = 86_400_000;

function isoOfDate(d: Date): IsoDate {
  // Spreadsheet dates are calendar dates stored at UTC midnight; round to the nearest day
  // so that a serial number with a floating-point tail never lands on the day before.
  return new Date(Math.round(d.getTime() / MS_PER_DAY) * MS_PER_DAY).toISOString().slice(0, 10);
}

function text(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return "";
  if (cell instanceof Date) return isoOfDate(cell);
  if (typeof cell === "number") return String(cell);
  return String(cell).trim();
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function dateOf(cell: Cell | undefined): Parsed<IsoDate> {
  if (cell instanceof Date) {
    if (Number.isNaN(cell.getTime())) return { ok: false, message: "invalid date" };
    return { ok: true, value: isoOfDate(cell) };
  }
  if (typeof cell === "number") {
    // An Excel serial date (1 = 1900-01-01, 25569 = 1970-01-01) in a cell without a date format.
    if (Number.isInteger(cell) && cell > 20000 && cell < 80000)
      return { ok: true, value: isoOfDate(new Date((cell - 25569) * MS_PER_DAY)) };
    return { ok: false, message: `invalid date "${cell}": expected YYYY-MM-DD or DD/MM/YYYY` };
  }
  const s = text(cell);
  try {
    return { ok: true, value: parseDate(s) };
  } catch (error) {
    if (error instanceof DateParseError) return { ok: false, message: error.message };
    throw error;
  }
}

/** Sign, up to 13 integer digits, up to two decimals after "." or ",": a safe integer of cents. */
const PLAIN_AMOUNT = /^(-?)(\d{1,13})(?:[.,](\d{1,2}))?$/;

function moneyOf(cell: Cell | undefined): Parsed<Cents> {
  if (typeof cell === "number") {
    const cents = cell * 100;
    const rounded = Math.round(cents);
    if (!Number.isFinite(cents) || Math.abs(cents - rounded) > 1e-6 * Math.max(1, Math.abs(cents)))
      return { ok: false, message: `invalid amount ${cell}: more than two decimals` };
    if (!Number.isSafeInteger(rounded)) return { ok: false, message: `invalid amount ${cell}: too large` };
    return { ok: true, value: rounded === 0 ? 0 : rounded };
  }
  const s = text(cell);
  // The common spelling ("1234.56", "-12,5", "300"), read directly: parseMoney's general
  // rules (groups, signs, currency) cost more than the rest of a row. Same value as parseMoney.
  const plain = PLAIN_AMOUNT.exec(s);
  if (plain) {
    const cents = Number(plain[2]) * 100 + (plain[3] ? Number(plain[3].padEnd(2, "0")) : 0);
    return { ok: true, value: plain[1] && cents !== 0 ? -cents : cents };
  }
  try {
    return { ok: true, value: parseMoney(s) };
  } catch (error) {
    if (error instanceof MoneyParseError) return { ok: false, message: error.message };
    throw error;
  }
}

const EMAIL = /^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>]+$/;

/** One or more addresses separated by `,` `;` or spaces; kept as `a@x.fr, b@y.fr`. */
function emailsOf(s: string): Parsed<string> {
  const parts = s
    .split(/[,;\s]+/)
    .map((p) => p.replace(/^<|>$/g, ""))
    .filter(Boolean);
  const bad = parts.find((p) => !EMAIL.test(p));
  if (bad !== undefined) return { ok: false, message: `invalid email address "${bad}"` };
  return { ok: true, value: parts.join(", ") };
}

function sirenOf(s: string): Parsed<string> {
  const digits = s.replace(/[\s.-]/g, "");
  if (/^\d{9}$/.test(digits)) return { ok: true, value: digits };
  if (/^\d{14}$/.test(digits)) return { ok: true, value: digits.slice(0, 9) };
  return { ok: false, message: `invalid SIREN "${s}": 9 digits (or a 14-digit SIRET) expected` };
}

function ibanOf(s: string): Parsed<string> {
  const iban = s.replace(/\s/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(iban)) return { ok: false, message: `invalid IBAN "${s}"` };
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const v = ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rest = (rest * 10 + Number(d)) % 97;
  }
  if (rest !== 1) return { ok: false, message: `invalid IBAN "${s}": wrong check digits` };
  return { ok: true, value: iban };
}

const CURRENCY = /^[A-Z]{3}$/;

function currencyOf(s: string): Parsed<string> {
  const c = s === "€" ? "EUR" : s.toUpperCase();
  if (!CURRENCY.test(c)) return { ok: false, message: `invalid currency "${s}": a 3-letter ISO code (EUR) expected` };
  return { ok: true, value: c };
}

const INVOICE_TYPES = new Set(["invoice", "facture", "f", "fa", "fac", "inv", "380"]);
const CREDIT_TYPES = new Set(["creditnote", "credit", "avoir", "av", "a", "cn", "381", "facturedavoir"]);

// ---------------------------------------------------------------------------------------
// Rows → records

export interface RowResult<T> {
  line: number;
  record: T | null;
  problems: LineProblem[];
}

class RowReader<K extends TableKind> {
  readonly problems: LineProblem[] = [];
  constructor(
    private readonly header: TableHeader<K>,
    private readonly row: RawRow,
  ) {}
  has(field: FieldOf<K>): boolean {
    return this.header.index.has(field);
  }
  cell(field: FieldOf<K>): Cell | undefined {
    const i = this.header.index.get(field);
    return i === undefined ? undefined : this.row.cells[i];
  }
  text(field: FieldOf<K>): string {
    return text(this.cell(field));
  }
  /** Null when empty. */
  optText(field: FieldOf<K>): string | null {
    const t = this.text(field);
    return t === "" ? null : t;
  }
  problem(field: FieldOf<K>, message: string): void {
    this.problems.push({ line: this.row.line, field: columnName(this.header.kind, field), message });
  }
  required(field: FieldOf<K>): string | null {
    const t = this.text(field);
    if (t === "") {
      this.problem(field, "missing value");
      return null;
    }
    return t;
  }
  parsed<T>(field: FieldOf<K>, parser: (cell: Cell | undefined) => Parsed<T>, required: boolean): T | null {
    const cell = this.cell(field);
    if (text(cell) === "") {
      if (required) this.problem(field, "missing value");
      return null;
    }
    const r = parser(cell);
    if (!r.ok) {
      this.problem(field, r.message);
      return null;
    }
    return r.value;
  }
  textParsed<T>(field: FieldOf<K>, parser: (s: string) => Parsed<T>): T | null {
    return this.parsed(field, (c) => parser(text(c)), false);
  }
}

function result<T>(row: RawRow, reader: { problems: LineProblem[] }, record: T): RowResult<T> {
  return reader.problems.length > 0
    ? { line: row.line, record: null, problems: reader.problems }
    : { line: row.line, record, problems: [] };
}

const LANGUAGES: Record<string, "fr" | "en"> = { fr: "fr", francais: "fr", french: "fr", en: "en", anglais: "en", english: "en" };

export function readCustomerRow(header: TableHeader<"customers">, row: RawRow): RowResult<ImportedCustomer> {
  const r = new RowReader(header, row);
  const name = r.required("name");
  const ref = r.optText("ref");
  const siren = r.textParsed("siren", sirenOf);
  const vatNumber = r.optText("vat")?.replace(/\s/g, "").toUpperCase() ?? null;
  const email = r.textParsed("email", emailsOf);
  const languageText = r.optText("language");
  let language: "fr" | "en" | undefined;
  if (languageText !== null) {
    language = LANGUAGES[normalizeHeader(languageText)];
    if (!language) r.problem("language", `unknown language "${languageText}": fr or en`);
  }
  let paymentTermsDays: number | null = null;
  const terms = r.optText("terms");
  if (terms !== null) {
    const m = /^\s*(\d{1,3})\b/.exec(terms);
    const n = m ? Number(m[1]) : Number.NaN;
    if (!(n >= 0 && n <= 365)) r.problem("terms", `invalid payment terms "${terms}": a number of days from 0 to 365`);
    else paymentTermsDays = n;
  }
  const creditLimit = r.parsed("creditLimit", moneyOf, false);
  if (creditLimit !== null && creditLimit < 0) r.problem("creditLimit", "must not be negative");
  const iban = r.textParsed("iban", ibanOf);
  return result(row, r, {
    line: row.line,
    ref,
    name: name ?? "",
    siren,
    vatNumber,
    email,
    ...(language ? { language } : {}),
    iban,
    paymentTermsDays,
    phone: r.optText("phone"),
    address: r.optText("address"),
    creditLimit,
  });
}

export function readInvoiceRow(header: TableHeader<"invoices">, row: RawRow): RowResult<ImportedInvoice> {
  const r = new RowReader(header, row);
  const number = r.required("number");
  const customerRef = r.optText("customerRef");
  const customerName = r.optText("customerName");
  if (customerRef === null && customerName === null)
    r.problem(header.index.has("customerRef") ? "customerRef" : "customerName", "missing value");
  const issueDate = r.parsed("issueDate", dateOf, true);
  const dueDate = r.parsed("dueDate", dateOf, false);
  let total = r.parsed("total", moneyOf, true);
  const tax = r.parsed("tax", moneyOf, false);
  const currency = r.textParsed("currency", currencyOf) ?? "EUR";
  const paidCell = r.parsed("paid", moneyOf, false);
  const paidDate = r.parsed("paidDate", dateOf, false);
  const email = r.textParsed("email", emailsOf);
  const siren = r.textParsed("siren", sirenOf);
  let kind: "invoice" | "credit_note" | null = null;
  const typeText = r.optText("type");
  if (typeText !== null) {
    const t = normalizeHeader(typeText);
    if (INVOICE_TYPES.has(t)) kind = "invoice";
    else if (CREDIT_TYPES.has(t)) kind = "credit_note";
    else r.problem("type", `unknown document type "${typeText}": invoice (facture) or credit_note (avoir)`);
  }
  if (total !== null) {
    if (kind === null) kind = total < 0 ? "credit_note" : "invoice";
    if (kind === "credit_note") total = -Math.abs(total);
    else if (total < 0) r.problem("total", "an invoice total cannot be negative: give type credit_note (avoir)");
  }
  let paid = 0;
  if (paidCell !== null && total !== null) {
    if (paidCell < 0) r.problem("paid", "must not be negative");
    else if (kind === "invoice" && paidCell > total)
      r.problem("paid", `amount_paid (${paidCell / 100}) is more than amount_total (${total / 100})`);
    else if (kind === "invoice") paid = paidCell;
  }
  if (issueDate !== null && dueDate !== null && dueDate < issueDate)
    r.problem("dueDate", `due date ${dueDate} is before the issue date ${issueDate}`);
  if (tax !== null && total !== null && Math.abs(tax) > Math.abs(total)) r.problem("tax", "the tax is more than the total incl. tax");
  return result(row, r, {
    line: row.line,
    number: (number ?? "").replace(/\s+/g, " "),
    kind: kind ?? "invoice",
    issueDate: issueDate ?? "",
    dueDate,
    currency,
    total: total ?? 0,
    tax: tax === null ? null : kind === "credit_note" ? -Math.abs(tax) : tax,
    paid,
    paidDate,
    customer: {
      ref: customerRef,
      name: customerName ?? customerRef ?? "",
      siren,
      vatNumber: r.optText("vat")?.replace(/\s/g, "").toUpperCase() ?? null,
      email,
    },
  });
}

/** Invoice numbers in a payment row: separated by `,` `;` `/` `+` or spaces. */
function invoiceNumbersOf(s: string): string[] {
  return s
    .split(/\s*[,;+]\s*|\s{2,}/)
    .map((x) => x.trim())
    .filter(Boolean);
}

export function readPaymentRow(header: TableHeader<"payments">, row: RawRow): RowResult<ImportedPayment> {
  const r = new RowReader(header, row);
  const date = r.parsed("date", dateOf, true);
  const amount = r.parsed("amount", moneyOf, true);
  if (amount !== null && amount <= 0) r.problem("amount", "a payment received must be positive");
  const currency = r.textParsed("currency", currencyOf) ?? "EUR";
  const payerIban = r.textParsed("payerIban", ibanOf);
  const invoices = r.optText("invoiceNumber");
  return result(row, r, {
    line: row.line,
    date: date ?? "",
    amount: amount ?? 0,
    currency,
    reference: r.optText("reference"),
    structuredReference: r.optText("structuredReference")?.replace(/\s/g, "").toUpperCase() ?? null,
    bankTxId: r.optText("bankTxId"),
    payerName: r.optText("payerName") ?? r.optText("customerName"),
    payerIban,
    customerRef: r.optText("customerRef"),
    invoiceNumbers: invoices === null ? [] : invoiceNumbersOf(invoices),
  });
}

export type RecordOf<K extends TableKind> = K extends "customers"
  ? ImportedCustomer
  : K extends "invoices"
    ? ImportedInvoice
    : ImportedPayment;

export function readRow<K extends TableKind>(header: TableHeader<K>, row: RawRow): RowResult<RecordOf<K>> {
  switch (header.kind) {
    case "customers":
      return readCustomerRow(header as unknown as TableHeader<"customers">, row) as RowResult<RecordOf<K>>;
    case "invoices":
      return readInvoiceRow(header as unknown as TableHeader<"invoices">, row) as RowResult<RecordOf<K>>;
    default:
      return readPaymentRow(header as unknown as TableHeader<"payments">, row) as RowResult<RecordOf<K>>;
  }
}

// ---------------------------------------------------------------------------------------
// Whole tables

export type TableEvent<K extends TableKind> =
  | { type: "header"; header: TableHeader<K>; problems: LineProblem[]; warnings: string[] }
  | ({ type: "row" } & RowResult<RecordOf<K>>);

/**
 * Rows → a header event, then one event per data row. The header is the first of the
 * first 10 non-empty rows holding at least two known column names (title rows above it
 * are skipped, with a warning); without one, the first row is taken and its problems say
 * which columns are missing.
 */
export async function* readTable<K extends TableKind>(kind: K, rows: AsyncIterable<RawRow>): AsyncGenerator<TableEvent<K>> {
  const buffered: RawRow[] = [];
  let header: TableHeader<K> | null = null;
  for await (const row of rows) {
    if (header === null) {
      buffered.push(row);
      const found = buffered.findIndex((r) => headerScore(kind, r.cells) >= 2);
      if (found < 0 && buffered.length < 10) continue;
      const at = Math.max(found, 0);
      const headerRow = buffered[at] as RawRow;
      const read = readHeader(kind, headerRow);
      header = read.header;
      const warnings: string[] = [];
      if (at > 0) warnings.push(`lines before the header (line ${headerRow.line}) were ignored`);
      if (header.unknownColumns.length > 0) warnings.push(`unknown columns ignored: ${header.unknownColumns.join(", ")}`);
      yield { type: "header", header, problems: read.problems, warnings };
      if (read.problems.length > 0) return;
      for (const r of buffered.slice(at + 1)) yield { type: "row", ...readRow(header, r) };
      continue;
    }
    yield { type: "row", ...readRow(header, row) };
  }
  if (header === null) {
    const first = buffered.find((r) => headerScore(kind, r.cells) >= 1) ?? buffered[0];
    if (!first) {
      yield {
        type: "header",
        header: { kind, line: 1, index: new Map(), columns: [], unknownColumns: [] },
        problems: [{ line: 1, field: "", message: "the file is empty" }],
        warnings: [],
      };
      return;
    }
    const read = readHeader(kind, first);
    yield { type: "header", header: read.header, problems: read.problems, warnings: [] };
    if (read.problems.length > 0) return;
    for (const r of buffered.slice(buffered.indexOf(first) + 1)) yield { type: "row", ...readRow(read.header, r) };
  }
}

export type TableFormat = "csv" | "xlsx";

export function isXlsx(first: Uint8Array): boolean {
  return first[0] === 0x50 && first[1] === 0x4b && first[2] === 0x03 && first[3] === 0x04;
}

export function tableRows(format: TableFormat, chunks: AsyncIterable<Uint8Array>, state: CsvState = {}): AsyncGenerator<RawRow> {
  return format === "xlsx" ? xlsxRows(chunks) : csvRows(chunks, state);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  // Several chunks, as a file stream would give them.
  for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
}

export interface TableContents<K extends TableKind> {
  format: TableFormat;
  encoding: TableEncoding | null;
  separator: Separator | null;
  header: TableHeader<K> | null;
  records: RecordOf<K>[];
  problems: LineProblem[];
  warnings: string[];
}

/** Reads a whole table held in memory (tests, small uploads). */
export async function readTableBytes<K extends TableKind>(kind: K, bytes: Uint8Array, format?: TableFormat): Promise<TableContents<K>> {
  const fmt = format ?? (isXlsx(bytes) ? "xlsx" : "csv");
  for (const encoding of [undefined, "windows-1252"] as const) {
    const state: CsvState = encoding ? { encoding } : {};
    const out: TableContents<K> = { format: fmt, encoding: null, separator: null, header: null, records: [], problems: [], warnings: [] };
    try {
      for await (const event of readTable(kind, tableRows(fmt, once(bytes), state))) {
        if (event.type === "header") {
          out.header = event.header;
          out.problems.push(...event.problems);
          out.warnings.push(...event.warnings);
        } else if (event.record) out.records.push(event.record);
        else out.problems.push(...event.problems);
      }
    } catch (error) {
      if (error instanceof EncodingMismatch) continue;
      if (error instanceof TableError) out.problems.push({ line: error.line ?? 1, field: "", message: error.message });
      else throw error;
    }
    out.encoding = fmt === "csv" ? (state.encoding ?? null) : null;
    out.separator = fmt === "csv" ? (state.separator ?? null) : null;
    return out;
  }
  throw new Error("unreachable");
}
