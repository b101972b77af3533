/**
 * `relance import customers|invoices|payments FILE` and `POST /api/imports`: one use-case.
 *
 * Guarantees (issue 8):
 * - all-or-nothing per file: every record is checked first (a first pass that writes
 *   nothing); any invalid one → AppError("invalid_input") listing every problem (line,
 *   column, message) → CLI exit 3 / HTTP 400, nothing written. The writes then happen in ONE
 *   transaction; a problem found only against the database (an invoice total below what
 *   was already paid on it…) rolls everything back the same way;
 * - idempotent: every record is compared with what is stored: equal → skipped, changed →
 *   updated in place, absent → inserted. Importing the same file twice changes nothing;
 * - bounded memory for CSV/XLSX: the file is streamed; customers and payments are checked
 *   in a first pass and written in batches in a second one; invoices are checked and copied
 *   into a temporary table in one pass, then written set-based (importStagedInvoices). Only
 *   per-file sets of keys (capped) are kept in memory;
 * - `dryRun`: the same work, rolled back at the end, so the counts are exactly those a
 *   real import would give.
 */

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import { sql, type Transaction } from "kysely";
import { addDays, type IsoDate, maxDate, today as todayIn } from "../domain/dates.js";
import { FecError } from "../domain/fec.js";
import { toDecimalString } from "../domain/money.js";
import { AppError, type Problem } from "../errors.js";
import { detectBankStatement, readBankStatement } from "../ingest/bank/index.js";
import {
  type CsvState,
  EncodingMismatch,
  isXlsx,
  type RecordOf,
  readTable,
  TableError,
  type TableFormat,
  type TableKind,
  tableRows,
} from "../ingest/csv.js";
import { detectEInvoice, readEInvoice } from "../ingest/einvoice/index.js";
import { type FecAllocation, type FecCreditApplication, readFecImport } from "../ingest/fec-import.js";
import type { ImportedCustomer, ImportedInvoice, ImportedParty, ImportedPayment } from "../ingest/types.js";
import type { Store } from "../store/connect.js";
import "../store/import-schema.js";
import type { Database } from "../store/schema.js";
import { type Actor, requirePermission } from "./actor.js";
import { creditApplicationRows } from "./apply-credit-note.js";
import { audit } from "./audit.js";
import { matchNewPayments } from "./match-payments.js";

export type ImportKind = TableKind;
export const IMPORT_KINDS = ["customers", "invoices", "payments"] as const;
export const IMPORT_FORMATS = ["auto", "csv", "xlsx", "fec", "facturx", "ubl", "cii", "camt", "cfonb", "mt940"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type ResolvedFormat = Exclude<ImportFormat, "auto">;

export interface ImportProgress {
  phase: "validate" | "write";
  done: number;
  total: number;
}

export interface ImportFileOptions {
  kind: ImportKind;
  /** The file to read (streamed); or `bytes`. */
  path?: string;
  bytes?: Uint8Array;
  /** Shown in messages and kept in the history; defaults to the path's base name. */
  filename?: string;
  format?: ImportFormat;
  dryRun?: boolean;
  onProgress?: (p: ImportProgress) => void;
  /** The import date (synthetic "paid before import" payments); default today in Paris. */
  today?: IsoDate;
}

export interface Counts {
  inserted: number;
  updated: number;
  skipped: number;
}

export interface ImportSummary extends Counts {
  file: string;
  format: ResolvedFormat;
  kind: ImportKind;
  dryRun: boolean;
  errors: Problem[];
  warnings: string[];
  /** What the file carried besides the records of `kind` (customers created on the way…). */
  details: {
    records: number;
    customers: Counts;
    documents: Counts;
    payments: Counts;
    allocations: Counts;
    /** Credit notes applied to invoices (FEC lettering). */
    creditNotes: Counts;
    attachments: number;
  };
  /** Payment matching after a payment import: certain matches allocated, the rest to reconcile. */
  matching: { matched: number; unmatched: number } | null;
  /** The import_batches row (null for a dry run or when nothing changed). */
  batchId: number | null;
}

/** The summary as the CLI (`--json`) and the API return it (DESIGN §4, with errors and details). */
export function presentSummary(s: ImportSummary) {
  return {
    file: s.file,
    format: s.format,
    kind: s.kind,
    dryRun: s.dryRun,
    inserted: s.inserted,
    updated: s.updated,
    skipped: s.skipped,
    errors: s.errors.map((e) => ({ line: e.line ?? null, field: e.field ?? null, message: e.message })),
    warnings: s.warnings,
    details: s.details,
    matching: s.matching,
    batchId: s.batchId,
  };
}

/** An invalid file: the AppError the CLI and API already map (exit 3, HTTP 400), with the summary. */
export class ImportRejected extends AppError {
  constructor(
    message: string,
    problems: Problem[],
    readonly summary: ImportSummary,
  ) {
    super("invalid_input", message, problems);
    this.name = "ImportRejected";
  }
}

/** Problems kept in full; beyond, only counted (a garbage file of 1 GB must not fill memory). */
export const MAX_PROBLEMS = 1000;
const BATCH = 2000;
/** Keys remembered per file to find duplicates (invoice numbers, customer refs): ≤ 50 MB of slots. */
export const MAX_TRACKED_KEYS = 3_000_000;
/** Synthetic payment recording what an export says was paid (`amount_paid`) before the import. */
export const PAID_PREFIX = "relance:paid:";

type Trx = Transaction<Database>;

const zero = (): Counts => ({ inserted: 0, updated: 0, skipped: 0 });

class ProblemList {
  readonly list: Problem[] = [];
  total = 0;
  add(...problems: Problem[]): void {
    for (const p of problems) {
      this.total++;
      if (this.list.length < MAX_PROBLEMS) this.list.push(p);
    }
  }
  get any(): boolean {
    return this.total > 0;
  }
  all(): Problem[] {
    return this.total > this.list.length
      ? [
          ...this.list,
          {
            message: `… and ${this.total - this.list.length} more problems not listed / et ${this.total - this.list.length} autres problèmes`,
          },
        ]
      : this.list;
  }
}

class DryRunRollback extends Error {}

/**
 * The keys of a file already seen (invoice numbers…), with the line of each, in bounded
 * memory: an open-addressing table of 64-bit fingerprints (two 32-bit hashes) and lines in
 * typed arrays (12 bytes a slot, ≤ 4 Mi slots: 50 MB), growing by doubling up to
 * MAX_TRACKED_KEYS keys, then no longer tracking (a warning says so: a duplicate beyond is
 * then an update of the first). A Map of strings takes ~100 bytes a key: 300 MB for 3M.
 * Two different keys share a fingerprint with a probability of ~n²/2⁶⁵ (3·10⁻⁸ at 1M keys).
 */
export class KeySet {
  private hi = new Uint32Array(1 << 16);
  private lo = new Uint32Array(1 << 16);
  private lines = new Uint32Array(1 << 16);
  private size = 0;
  /** True once MAX_TRACKED_KEYS keys are held: later keys are not checked. */
  full = false;

  private static hash(key: string, seed: number): number {
    let h = 0x811c9dc5 ^ seed;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h >>> 0 || 1; // 0 marks an empty slot
  }

  /** Adds the key; returns the line it was first seen on when it was already there, else null. */
  addOrGet(key: string, line: number): number | null {
    const a = KeySet.hash(key, 0);
    const b = KeySet.hash(key, 0x9e3779b9);
    const mask = this.hi.length - 1;
    for (let i = (a ^ Math.imul(b, 0x27d4eb2d)) & mask; ; i = (i + 1) & mask) {
      if (this.hi[i] === 0) {
        if (this.full) return null;
        this.hi[i] = a;
        this.lo[i] = b;
        this.lines[i] = line;
        if (++this.size * 4 > this.hi.length * 3) this.grow();
        return null;
      }
      if (this.hi[i] === a && this.lo[i] === b) return this.lines[i] as number;
    }
  }

  private grow(): void {
    if (this.size >= MAX_TRACKED_KEYS) {
      this.full = true;
      return;
    }
    const { hi, lo, lines } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(hi.length * 2);
    this.lines = new Uint32Array(hi.length * 2);
    const mask = this.hi.length - 1;
    for (let j = 0; j < hi.length; j++) {
      const a = hi[j] as number;
      if (a === 0) continue;
      const b = lo[j] as number;
      let i = (a ^ Math.imul(b, 0x27d4eb2d)) & mask;
      while (this.hi[i] !== 0) i = (i + 1) & mask;
      this.hi[i] = a;
      this.lo[i] = b;
      this.lines[i] = lines[j] as number;
    }
  }
}

// ---------------------------------------------------------------------------------------
// The file

interface Source {
  name: string;
  size: number;
  chunks(): AsyncIterable<Uint8Array>;
  bytes(): Promise<Uint8Array>;
  head(n: number): Promise<Uint8Array>;
}

/**
 * Bytes read at a time. The CSV parser turns a whole chunk into records at once, and those
 * wait while a batch is written: 256 KB rather than 1 MB took 40 MB off the peak RSS of a
 * 200k-row import, at the same speed.
 */
const CHUNK = 1 << 18;

async function openSource(options: ImportFileOptions): Promise<Source> {
  if (options.bytes) {
    const bytes = options.bytes;
    return {
      name: options.filename ?? "upload",
      size: bytes.length,
      async *chunks() {
        for (let i = 0; i < bytes.length; i += CHUNK) yield bytes.subarray(i, i + CHUNK);
      },
      bytes: async () => bytes,
      head: async (n) => bytes.subarray(0, n),
    };
  }
  if (!options.path) throw new AppError("usage", "no file to import");
  const file = options.path;
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new AppError("usage", `${file} is not a file`);
    size = s.size;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError("usage", `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return {
    name: options.filename ?? path.basename(file),
    size,
    chunks: () => createReadStream(file, { highWaterMark: CHUNK }),
    async bytes() {
      const { readFile } = await import("node:fs/promises");
      return new Uint8Array(await readFile(file));
    },
    async head(n) {
      const fh = await open(file, "r");
      try {
        const buf = Buffer.alloc(Math.min(n, size));
        await fh.read(buf, 0, buf.length, 0);
        return new Uint8Array(buf);
      } finally {
        await fh.close();
      }
    },
  };
}

/** Streams the chunks through SHA-256 and reports progress. */
async function* tap(chunks: AsyncIterable<Uint8Array>, hash: ReturnType<typeof createHash> | null, progress: (n: number) => void) {
  let done = 0;
  for await (const chunk of chunks) {
    hash?.update(chunk);
    done += chunk.length;
    progress(done);
    yield chunk;
  }
}

const FEC_HEADER = /journalcode/i;

function textHead(head: Uint8Array): string {
  return new TextDecoder("latin1").decode(head).replace(/^\uFEFF|^ï»¿/, "");
}

/** The format of a file from its content (the name breaks ties). */
async function detectFormat(source: Source): Promise<ResolvedFormat> {
  const head = await source.head(64 * 1024);
  const txt = textHead(head);
  if (txt.startsWith("%PDF")) return "facturx";
  if (isXlsx(head)) return "xlsx";
  const trimmed = txt.trimStart();
  if (trimmed.startsWith("<")) {
    const einvoice = detectEInvoice(head, source.name);
    if (einvoice) return einvoice;
    const bank = detectBankStatement(head, source.name);
    if (bank) return bank;
    throw new AppError("invalid_input", `${source.name}: an XML file that is neither an e-invoice (CII, UBL) nor a camt bank statement`, [
      { field: "file", message: "unknown XML document / document XML non reconnu" },
    ]);
  }
  const firstLine = txt.split(/\r?\n|\r/, 1)[0] ?? "";
  if (FEC_HEADER.test(firstLine) && /ecriturenum/i.test(firstLine) && /comptenum/i.test(firstLine)) return "fec";
  const bank = detectBankStatement(head, source.name);
  if (bank) return bank;
  return "csv";
}

const KINDS_OF: Record<ResolvedFormat, ImportKind[]> = {
  csv: ["customers", "invoices", "payments"],
  xlsx: ["customers", "invoices", "payments"],
  fec: ["customers", "invoices", "payments"],
  facturx: ["customers", "invoices"],
  ubl: ["customers", "invoices"],
  cii: ["customers", "invoices"],
  camt: ["payments"],
  cfonb: ["payments"],
  mt940: ["payments"],
};

// ---------------------------------------------------------------------------------------
// Entry point

export async function importFile(store: Store, actor: Actor, options: ImportFileOptions): Promise<ImportSummary> {
  requirePermission(actor, "ledger:write");
  if (!(IMPORT_KINDS as readonly string[]).includes(options.kind))
    throw new AppError("usage", `unknown import kind "${options.kind}": customers, invoices or payments`);
  const requested = options.format ?? "auto";
  if (!(IMPORT_FORMATS as readonly string[]).includes(requested))
    throw new AppError("usage", `unknown format "${requested}": ${IMPORT_FORMATS.join(", ")}`);
  const source = await openSource(options);
  const summary: ImportSummary = {
    file: source.name,
    format: requested === "auto" ? "csv" : requested,
    kind: options.kind,
    dryRun: options.dryRun === true,
    inserted: 0,
    updated: 0,
    skipped: 0,
    errors: [],
    warnings: [],
    details: {
      records: 0,
      customers: zero(),
      documents: zero(),
      payments: zero(),
      allocations: zero(),
      creditNotes: zero(),
      attachments: 0,
    },
    matching: null,
    batchId: null,
  };
  const reject = (message: string, problems: Problem[]): never => {
    summary.errors = problems;
    throw new ImportRejected(`${source.name}: ${message}`, problems, summary);
  };
  try {
    summary.format = requested === "auto" ? await detectFormat(source) : requested;
  } catch (error) {
    if (error instanceof AppError && error.code === "invalid_input") reject(error.message.replace(`${source.name}: `, ""), error.problems);
    throw error;
  }
  if (!KINDS_OF[summary.format].includes(options.kind)) {
    const kinds = KINDS_OF[summary.format];
    reject(`a ${summary.format} file holds ${kinds.join(" or ")}, not ${options.kind}`, [
      {
        field: "kind",
        message: `use "relance import ${kinds[kinds.length - 1]}" for this file / ce fichier contient des ${kinds.join(" ou des ")}`,
      },
    ]);
  }
  const ctx: Context = {
    store,
    actor,
    source,
    summary,
    options,
    today: options.today ?? todayIn(),
    progress: options.onProgress ?? (() => {}),
    reject,
    hash: "",
  };
  switch (summary.format) {
    case "csv":
    case "xlsx":
      await importTable(ctx, summary.format);
      break;
    case "fec":
      await importFec(ctx);
      break;
    case "facturx":
    case "ubl":
    case "cii":
      await importEInvoice(ctx);
      break;
    default:
      await importBank(ctx);
  }
  return summary;
}

interface Context {
  store: Store;
  actor: Actor;
  source: Source;
  summary: ImportSummary;
  options: ImportFileOptions;
  today: IsoDate;
  progress: (p: ImportProgress) => void;
  reject: (message: string, problems: Problem[]) => never;
  hash: string;
}

/** Runs the writes in one transaction, records the batch, rolls back for a dry run or on problems. */
async function inTransaction(ctx: Context, write: (w: Writer) => Promise<void>): Promise<void> {
  const { summary } = ctx;
  try {
    await ctx.store.db.transaction().execute(async (trx) => {
      // Every statement of an import looks rows up by key (number, ref, bank id, id), in
      // batches, while this very transaction grows the tables: statistics lag behind and
      // a sequential scan per batch would make a large import quadratic. Keys have indexes.
      await sql`set local enable_seqscan = off`.execute(trx);
      const w = new Writer(trx, ctx);
      await write(w);
      if (w.problems.any) {
        summary.errors = w.problems.all();
        throw new ImportRejected(
          `${ctx.source.name}: ${w.problems.total} problem${w.problems.total > 1 ? "s" : ""} against the data already in Relance`,
          summary.errors,
          summary,
        );
      }
      if (w.newPaymentIds.length > 0) {
        const outcome = await matchNewPayments(trx, ctx.actor, w.newPaymentIds);
        summary.details.allocations.inserted += outcome.allocations;
        summary.matching = { matched: outcome.matched, unmatched: outcome.unmatched };
      }
      summary.warnings.push(...w.warningList());
      const changed = summary.inserted + summary.updated > 0 || changedDetails(summary);
      if (changed) await w.recordBatch();
      if (summary.dryRun) throw new DryRunRollback();
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return;
    // Two writers at once on the same keys (another import, a user): the other one won.
    if ((error as { code?: string }).code === "23505")
      throw new AppError(
        "conflict",
        `${ctx.source.name}: the same records were written at the same time by someone else; import the file again`,
      );
    throw error;
  }
}

function changedDetails(s: ImportSummary): boolean {
  const d = s.details;
  return [d.customers, d.documents, d.payments, d.allocations].some((c) => c.inserted + c.updated > 0) || d.attachments > 0;
}

function mainCounts(summary: ImportSummary): Counts {
  return summary.kind === "customers"
    ? summary.details.customers
    : summary.kind === "invoices"
      ? summary.details.documents
      : summary.details.payments;
}

function finishCounts(summary: ImportSummary): void {
  const c = mainCounts(summary);
  summary.inserted = c.inserted;
  summary.updated = c.updated;
  summary.skipped = c.skipped;
}

// ---------------------------------------------------------------------------------------
// CSV / XLSX: a checking pass, then the writes

async function importTable(ctx: Context, format: TableFormat): Promise<void> {
  const { summary, source } = ctx;
  const kind = summary.kind;
  // Invoices, the bulk of a first import: one reading pass into a staging table, then
  // set-based statements (importStagedInvoices).
  if (kind === "invoices") return importStagedInvoices(ctx, format);
  // Pass 1: read and check everything, write nothing.
  const pass = await readPass(ctx, format, null);
  if (pass.problems.any)
    ctx.reject(
      `${pass.problems.total} problem${pass.problems.total > 1 ? "s" : ""}, nothing imported / rien n'a été importé`,
      pass.problems.all(),
    );

  // Pass 2: the same stream again, written in batches inside one transaction.
  await inTransaction(ctx, async (w) => {
    const chunks = tap(source.chunks(), null, (done) => ctx.progress({ phase: "write", done, total: source.size }));
    let batch: RecordOf<typeof kind>[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      if (kind === "customers") await w.writeCustomers(batch as ImportedCustomer[], "file");
      else await w.writePayments(batch as ImportedPayment[], { source: format, csvKeys: true });
      batch = [];
    };
    for await (const event of readTable(kind, tableRows(format, chunks, { ...pass.state }))) {
      if (event.type === "header") continue;
      if (!event.record) continue; // cannot happen: pass 1 found none
      batch.push(event.record);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    finishCounts(summary);
  });
}

/** Where the reading pass sends each valid record (the staging of invoices), restartable. */
interface PassSink {
  restart(): Promise<void>;
  add(record: ImportedInvoice): Promise<void>;
  end(): Promise<void>;
}

interface PassResult {
  state: CsvState;
  problems: ProblemList;
  /** The file has an amount_paid column: what it says replaces what Relance recorded as paid before. */
  paidKnown: boolean;
  /** Duplicate keys were no longer tracked past MAX_TRACKED_KEYS rows. */
  keysFull: boolean;
}

/**
 * Reads and checks the whole file (every problem with its line and column, duplicate keys),
 * computes its SHA-256 and, while no problem has been found, hands each record to `sink`.
 * A file found not to be UTF-8 after its first chunk is read again as Windows-1252.
 */
async function readPass(ctx: Context, format: TableFormat, sink: PassSink | null): Promise<PassResult> {
  const { summary, source } = ctx;
  const kind = summary.kind;
  const problems = new ProblemList();
  let state: CsvState = {};
  let records = 0;
  let paidKnown = false;
  let keysFull = false;
  for (let attempt = 0; ; attempt++) {
    const hash = createHash("sha256");
    problems.list.length = 0;
    problems.total = 0;
    records = 0;
    summary.warnings = [];
    const seen = new KeySet();
    await sink?.restart();
    try {
      const chunks = tap(source.chunks(), hash, (done) => ctx.progress({ phase: "validate", done, total: source.size }));
      for await (const event of readTable(kind, tableRows(format, chunks, state))) {
        if (event.type === "header") {
          problems.add(...event.problems);
          summary.warnings.push(...event.warnings);
          paidKnown = (event.header as { index: Map<string, number> }).index.has("paid");
          continue;
        }
        if (!event.record) {
          problems.add(...event.problems);
          continue;
        }
        records++;
        const key =
          kind === "invoices"
            ? (event.record as ImportedInvoice).number
            : kind === "customers"
              ? customerKey(event.record as ImportedCustomer)
              : null;
        if (key !== null) {
          const first = seen.addOrGet(key, event.line);
          if (first !== null) {
            const field = kind === "invoices" ? "invoice_number" : "customer_ref";
            problems.add({ line: event.line, field, message: `"${key}" is already on line ${first} / en double avec la ligne ${first}` });
          }
        }
        // Once the file is known to be rejected, staging more of it is wasted work.
        if (sink && !problems.any) await sink.add(event.record as ImportedInvoice);
      }
      if (sink && !problems.any) await sink.end();
    } catch (error) {
      if (error instanceof EncodingMismatch && attempt === 0) {
        state = { encoding: "windows-1252" };
        continue;
      }
      if (error instanceof TableError) problems.add({ line: error.line ?? undefined, field: "", message: error.message });
      else throw error;
    }
    ctx.hash = hash.digest("hex");
    keysFull = seen.full;
    if (seen.full)
      summary.warnings.push(
        `only the first ${MAX_TRACKED_KEYS} rows were checked for duplicate ${kind === "invoices" ? "invoice numbers" : "customer codes"}`,
      );
    break;
  }
  summary.details.records = records;
  if (records === 0 && !problems.any) summary.warnings.push("the file holds no data rows / le fichier ne contient aucune ligne");
  return { state, problems, paidKnown, keysFull };
}

// ---------------------------------------------------------------------------------------
// Invoices from CSV/XLSX: staged, then written set-based

/** Rows per statement filling the staging table. */
const STAGE_BATCH = 2000;

/**
 * The invoices of a CSV/XLSX file, in one transaction:
 *
 * 1. one reading pass checks every row and copies the valid ones into a temporary table
 *    (any problem: nothing else is done, the transaction is rolled back, the file rejected
 *    with every problem listed, exactly as with a separate checking pass);
 * 2. the customers the rows name are resolved (found, blanks filled, created) per distinct
 *    customer, by the same code as every other import;
 * 3. rows whose invoice number is already in Relance go through the same comparison as
 *    every other import (`writeInvoices`: skipped, updated in place, or refused);
 * 4. all the other rows become documents — with the synthetic payments and allocations of
 *    what the file says was paid before the import — in ONE statement. The documents and
 *    payments are written with their movement totals already set, under
 *    `relance.ledger_prefilled` (0008_import_speed.sql): the allocation trigger checks those
 *    totals against the movements instead of rewriting each row a second time.
 *
 * Writing 1M invoices costs the documents' index maintenance, which a per-batch writer pays
 * too; what this saves is the second reading of the file, the per-batch lookups and
 * statistics, and the second version of every paid document and payment.
 */
async function importStagedInvoices(ctx: Context, format: TableFormat): Promise<void> {
  const { summary } = ctx;
  await inTransaction(ctx, async (w) => {
    const trx = w.trx;
    await sql`create temporary table import_invoice_rows (
        line integer not null, number text not null, kind text not null, issue_date date not null, due_date date,
        currency text not null, total bigint not null, tax bigint, paid bigint not null, paid_date date,
        ckey text not null, cref text, cname text not null, siren text, vat text, email text
      ) on commit drop`.execute(trx);
    const stage = new InvoiceStage(trx);
    const pass = await readPass(ctx, format, stage);
    if (pass.problems.any)
      ctx.reject(
        `${pass.problems.total} problem${pass.problems.total > 1 ? "s" : ""}, nothing imported / rien n'a été importé`,
        pass.problems.all(),
      );
    ctx.progress({ phase: "write", done: 0, total: ctx.source.size });
    await writeStagedInvoices(ctx, w, { paidKnown: pass.paidKnown, source: format, duplicatesPossible: pass.keysFull });
    ctx.progress({ phase: "write", done: ctx.source.size, total: ctx.source.size });
    finishCounts(summary);
  });
}

/**
 * Copies records into `import_invoice_rows`, STAGE_BATCH rows a statement. The next batch is
 * parsed while the database stores the previous one (two cores: reading and writing overlap).
 */
class InvoiceStage implements PassSink {
  private cols = InvoiceStage.empty();
  private pending: Promise<void> | null = null;
  private failure: unknown = null;

  constructor(private readonly trx: Trx) {}

  private static empty() {
    return {
      line: [] as number[],
      number: [] as string[],
      kind: [] as string[],
      issue: [] as string[],
      due: [] as (string | null)[],
      currency: [] as string[],
      total: [] as number[],
      tax: [] as (number | null)[],
      paid: [] as number[],
      paidDate: [] as (string | null)[],
      ckey: [] as string[],
      cref: [] as (string | null)[],
      cname: [] as string[],
      siren: [] as (string | null)[],
      vat: [] as (string | null)[],
      email: [] as (string | null)[],
    };
  }

  async restart(): Promise<void> {
    await this.settle();
    this.cols = InvoiceStage.empty();
    await sql`truncate import_invoice_rows`.execute(this.trx);
  }

  async add(r: ImportedInvoice): Promise<void> {
    const c = this.cols;
    c.line.push(r.line ?? 0);
    c.number.push(r.number);
    c.kind.push(r.kind);
    c.issue.push(r.issueDate);
    c.due.push(r.dueDate);
    c.currency.push(r.currency);
    c.total.push(r.total);
    c.tax.push(r.tax);
    c.paid.push(r.paid);
    c.paidDate.push(r.paidDate ?? null);
    c.ckey.push(customerKey(r.customer));
    c.cref.push(r.customer.ref);
    c.cname.push(r.customer.name);
    c.siren.push(r.customer.siren);
    c.vat.push(r.customer.vatNumber);
    c.email.push(r.customer.email);
    if (c.line.length >= STAGE_BATCH) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
    await this.settle();
    await sql`analyze import_invoice_rows`.execute(this.trx);
  }

  /** Waits for the batch being written; its error, if any, is this pass's. */
  private async settle(): Promise<void> {
    await this.pending;
    this.pending = null;
    if (this.failure) throw this.failure;
  }

  private async flush(): Promise<void> {
    if (this.cols.line.length === 0) return;
    await this.settle();
    const c = this.cols;
    this.cols = InvoiceStage.empty();
    const a = arrayLiteral;
    this.pending = sql`
      insert into import_invoice_rows
      select * from unnest(${a(c.line)}::integer[], ${a(c.number)}::text[], ${a(c.kind)}::text[], ${a(c.issue)}::date[], ${a(c.due)}::date[],
        ${a(c.currency)}::text[], ${a(c.total)}::bigint[], ${a(c.tax)}::bigint[], ${a(c.paid)}::bigint[], ${a(c.paidDate)}::date[],
        ${a(c.ckey)}::text[], ${a(c.cref)}::text[], ${a(c.cname)}::text[], ${a(c.siren)}::text[], ${a(c.vat)}::text[], ${a(c.email)}::text[])`
      .execute(this.trx)
      .then(
        () => {},
        (error: unknown) => {
          this.failure = error;
        },
      );
  }
}

/**
 * A PostgreSQL array literal of numbers or strings (NULL for null), sent as one text
 * parameter: half the client time of the driver's generic array serialisation, which is
 * most of the cost of staging a row.
 */
export function arrayLiteral(values: readonly (string | number | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = "NULL";
    else if (typeof v === "number") parts[i] = String(v);
    else parts[i] = NEEDS_ESCAPE.test(v) ? `"${v.replace(NEEDS_ESCAPE_ALL, "\\$&")}"` : `"${v}"`;
  }
  return `{${parts.join(",")}}`;
}
const NEEDS_ESCAPE = /["\\]/;
const NEEDS_ESCAPE_ALL = /["\\]/g;

interface StagedInvoiceRow {
  line: number;
  number: string;
  kind: "invoice" | "credit_note";
  issue_date: string;
  due_date: string | null;
  currency: string;
  total: number;
  tax: number | null;
  paid: number;
  paid_date: string | null;
  cref: string | null;
  cname: string;
  siren: string | null;
  vat: string | null;
  email: string | null;
}

function stagedInvoice(r: StagedInvoiceRow): ImportedInvoice {
  return {
    line: r.line,
    number: r.number,
    kind: r.kind,
    issueDate: r.issue_date,
    dueDate: r.due_date,
    currency: r.currency,
    total: r.total,
    tax: r.tax,
    paid: r.paid,
    paidDate: r.paid_date,
    customer: { ref: r.cref, name: r.cname, siren: r.siren, vatNumber: r.vat, email: r.email },
  };
}

/** Rows of a query read through a cursor, `size` at a time (bounded memory whatever the file). */
async function* cursorRows<T>(trx: Trx, name: string, query: ReturnType<typeof sql>, size: number): AsyncGenerator<T[]> {
  await sql`declare ${sql.raw(name)} no scroll cursor for ${query}`.execute(trx);
  while (true) {
    const rows = await sql<T>`fetch ${sql.raw(String(size))} from ${sql.raw(name)}`.execute(trx);
    if (rows.rows.length > 0) yield rows.rows;
    if (rows.rows.length < size) break;
  }
  await sql`close ${sql.raw(name)}`.execute(trx);
}

async function writeStagedInvoices(
  ctx: Context,
  w: Writer,
  options: { paidKnown: boolean; source: string; duplicatesPossible: boolean },
): Promise<void> {
  const trx = w.trx;
  const orgId = ctx.actor.orgId;
  const details = ctx.summary.details;
  // The staging table is known to the planner (analysed); the transaction's "no sequential
  // scan" rule is for the per-batch lookups of writeInvoices. The row counts of the
  // statement below are misestimated (CTEs), which would make PostgreSQL spend seconds
  // compiling it (JIT) for nothing.
  await sql`set local enable_seqscan = on`.execute(trx);
  await sql`set local jit = off`.execute(trx);

  // Customers, once each (the first row naming one gives what fills its blanks).
  await sql`create temporary table import_customer_ids (ckey text primary key, id bigint not null, terms integer not null) on commit drop`.execute(
    trx,
  );
  for await (const rows of cursorRows<{
    ckey: string;
    cref: string | null;
    cname: string;
    siren: string | null;
    vat: string | null;
    email: string | null;
  }>(
    trx,
    "import_customers",
    sql`select distinct on (ckey) ckey, cref, cname, siren, vat, email from import_invoice_rows order by ckey, line`,
    STAGE_BATCH,
  )) {
    const known = await w.resolveParties(
      rows.map((r) => ({ ref: r.cref, name: r.cname, siren: r.siren, vatNumber: r.vat, email: r.email })),
    );
    await sql`insert into import_customer_ids select * from unnest(${rows.map((r) => r.ckey)}::text[], ${known.map((k) => k.id)}::bigint[],
      ${known.map((k) => k.terms)}::integer[])`.execute(trx);
  }
  await sql`analyze import_customer_ids`.execute(trx);

  // A number twice in a file too large to track every number: the first row creates the
  // document, the later ones update it (as the per-batch writer does). Those of numbers
  // already in Relance go with the other rows of such numbers, below.
  const later = options.duplicatesPossible
    ? sql`exists (select 1 from import_invoice_rows e where e.number = s.number and e.line < s.line)`
    : sql`false`;
  if (options.duplicatesPossible) {
    await sql`create index on import_invoice_rows (number, line)`.execute(trx);
    await sql`create temporary table import_later on commit drop as select s.line from import_invoice_rows s
      where ${later} and not exists (select 1 from documents d where d.org_id = ${orgId} and d.number = s.number)`.execute(trx);
  }

  // Numbers already in Relance: compared one by one, in file order.
  await sql`set local enable_seqscan = off`.execute(trx);
  for await (const rows of cursorRows<StagedInvoiceRow>(
    trx,
    "import_existing",
    sql`select s.* from import_invoice_rows s
      where exists (select 1 from documents d where d.org_id = ${orgId} and d.number = s.number) order by s.line`,
    BATCH,
  ))
    await w.writeInvoices(rows.map(stagedInvoice), options);
  await sql`set local enable_seqscan = on`.execute(trx);

  // Every other row: one statement. What the file says was paid becomes a synthetic payment
  // dated the payment date it gives (else the import date, never before the issue date),
  // allocated to its invoice; both rows carry their totals (relance.ledger_prefilled).
  await sql`select set_config('relance.ledger_prefilled', 'on', true)`.execute(trx);
  const result = await sql<{ documents: number; allocations: number }>`
    with fresh as materialized (
      select s.number, s.kind, s.issue_date, coalesce(s.due_date, s.issue_date + c.terms) as due_date, s.currency, s.total,
        coalesce(s.tax, 0) as tax, c.id as customer_id,
        case when ${options.paidKnown} and s.kind = 'invoice' and s.paid > 0 then s.paid else 0 end as paid,
        greatest(coalesce(s.paid_date, ${ctx.today}::date), s.issue_date) as paid_on
      from import_invoice_rows s join import_customer_ids c on c.ckey = s.ckey
      where not exists (select 1 from documents d where d.org_id = ${orgId} and d.number = s.number) and not ${later}
    ),
    docs as (
      insert into documents (org_id, kind, number, customer_id, issue_date, due_date, currency, total, tax, source,
        paid, paid_last, settled_first, settled_last)
      select ${orgId}, f.kind, f.number, f.customer_id, f.issue_date, f.due_date, f.currency, f.total, f.tax, ${options.source},
        f.paid, p.day, p.day, p.day
      from fresh f cross join lateral (select case when f.paid > 0 then f.paid_on end as day) p
      -- Issue-date order: the largest indexes (documents_open, documents_issue_total, by
      -- issue date) and documents_due grow at their ends instead of at random pages, and so
      -- does the number index when numbers follow dates, as French invoice numbering must
      -- (measured on 1M rows: -15 % time, -30 % WAL).
      order by f.issue_date, f.number
      returning id, number, paid
    ),
    pays as (
      insert into payments (org_id, customer_id, date, amount, currency, reference, bank_tx_id, source,
        allocated, allocated_first, allocated_last)
      select ${orgId}, f.customer_id, f.paid_on, f.paid, f.currency, 'Réglé avant import / paid before import: ' || f.number,
        ${PAID_PREFIX} || f.number, 'import', f.paid, f.paid_on, f.paid_on
      from fresh f where f.paid > 0
      returning id, bank_tx_id, amount, date
    ),
    allocs as (
      insert into allocations (org_id, payment_id, document_id, amount, date, created_by)
      select ${orgId}, p.id, d.id, p.amount, p.date, ${ctx.actor.userId}::bigint
      from pays p join (select id, number from docs where paid > 0) d on ${PAID_PREFIX} || d.number = p.bank_tx_id
      returning 1
    )
    select (select count(*) from docs)::bigint as documents, (select count(*) from allocs)::bigint as allocations`.execute(trx);
  await sql`select set_config('relance.ledger_prefilled', 'off', true)`.execute(trx);
  const counts = result.rows[0] ?? { documents: 0, allocations: 0 };
  details.documents.inserted += Number(counts.documents);
  details.allocations.inserted += Number(counts.allocations);

  if (options.duplicatesPossible) {
    await sql`set local enable_seqscan = off`.execute(trx);
    for await (const rows of cursorRows<StagedInvoiceRow>(
      trx,
      "import_duplicates",
      sql`select s.* from import_invoice_rows s join import_later l on l.line = s.line order by s.line`,
      BATCH,
    ))
      await w.writeInvoices(rows.map(stagedInvoice), options);
  }
  await sql`set local enable_seqscan = off`.execute(trx);
}

function customerKey(c: ImportedParty): string {
  return c.ref ?? deriveRef(c.name);
}

/** A reference for a customer a file names without a code: `Société Générale` → `SOCIETE-GENERALE`. */
export function deriveRef(name: string): string {
  const ref = name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return ref || "CLIENT";
}

// ---------------------------------------------------------------------------------------
// FEC

async function importFec(ctx: Context): Promise<void> {
  const { summary, source } = ctx;
  const bytes = await source.bytes();
  ctx.hash = createHash("sha256").update(bytes).digest("hex");
  ctx.progress({ phase: "validate", done: bytes.length, total: bytes.length });
  let fec: ReturnType<typeof readFecImport>;
  try {
    fec = readFecImport(bytes);
  } catch (error) {
    if (error instanceof FecError) {
      return ctx.reject(error.reason, [
        { ...(error.line !== null ? { line: error.line } : {}), field: error.field ?? "", message: error.reason },
      ]);
    }
    throw error;
  }
  summary.warnings.push(...fec.warnings);
  const kind = summary.kind;
  summary.details.records = kind === "customers" ? fec.customers.length : kind === "invoices" ? fec.invoices.length : fec.payments.length;
  if (fec.customers.length === 0) summary.warnings.push("no customer account (411) in this FEC / aucun compte client (411) dans ce FEC");
  await inTransaction(ctx, async (w) => {
    for (let i = 0; i < fec.customers.length; i += BATCH) await w.writeCustomers(fec.customers.slice(i, i + BATCH), "fec");
    if (kind !== "customers") {
      for (let i = 0; i < fec.invoices.length; i += BATCH)
        await w.writeInvoices(fec.invoices.slice(i, i + BATCH), { paidKnown: false, source: "fec" });
      for (let i = 0; i < fec.payments.length; i += BATCH)
        await w.writePayments(fec.payments.slice(i, i + BATCH), { source: "fec", csvKeys: false });
      await w.writeAllocations(fec.allocations);
      await w.writeCreditApplications(fec.creditApplications);
      // Payments without lettering go through the matching like any other; a lettered one
      // keeps what its lettering says (the rest may pay last year's invoices, not in the file).
      w.newPaymentIds = await w.withoutAllocations(w.newPaymentIds);
    }
    ctx.progress({ phase: "write", done: bytes.length, total: bytes.length });
    finishCounts(summary);
  });
}

// ---------------------------------------------------------------------------------------
// E-invoices

async function importEInvoice(ctx: Context): Promise<void> {
  const { summary, source } = ctx;
  const bytes = await source.bytes();
  ctx.hash = createHash("sha256").update(bytes).digest("hex");
  let invoice: Awaited<ReturnType<typeof readEInvoice>>;
  try {
    invoice = await readEInvoice(bytes, source.name);
  } catch (error) {
    if (error instanceof AppError && error.code === "invalid_input")
      return ctx.reject(error.message, error.problems.length ? error.problems : [{ field: "file", message: error.message }]);
    throw error;
  }
  if (invoice.format !== summary.format) summary.format = invoice.format;
  summary.warnings.push(...invoice.warnings);
  summary.details.records = 1;
  const original = invoice.original ?? { filename: source.name, mediaType: mediaTypeOf(summary.format), bytes };
  await inTransaction(ctx, async (w) => {
    if (summary.kind === "customers") await w.writeCustomers([{ ...invoice.customer, line: invoice.line }], "einvoice");
    else await w.writeInvoices([{ ...invoice, original }], { paidKnown: true, source: summary.format });
    finishCounts(summary);
  });
}

function mediaTypeOf(format: ResolvedFormat): string {
  return format === "facturx" ? "application/pdf" : "application/xml";
}

// ---------------------------------------------------------------------------------------
// Bank statements

async function importBank(ctx: Context): Promise<void> {
  const { summary, source } = ctx;
  const bytes = await source.bytes();
  ctx.hash = createHash("sha256").update(bytes).digest("hex");
  let statement: ReturnType<typeof readBankStatement>;
  try {
    statement = readBankStatement(bytes, source.name);
  } catch (error) {
    if (error instanceof AppError && error.code === "invalid_input")
      return ctx.reject(error.message, error.problems.length ? error.problems : [{ field: "file", message: error.message }]);
    throw error;
  }
  if (statement.format !== summary.format && ctx.options.format && ctx.options.format !== "auto")
    summary.warnings.push(`the file is a ${statement.format} statement, read as such`);
  summary.format = statement.format;
  summary.warnings.push(...statement.warnings);
  summary.details.records = statement.payments.length;
  if (statement.payments.length === 0) summary.warnings.push("no incoming payment in this statement / aucun encaissement dans ce relevé");
  await inTransaction(ctx, async (w) => {
    for (let i = 0; i < statement.payments.length; i += BATCH)
      await w.writePayments(statement.payments.slice(i, i + BATCH), { source: statement.format, csvKeys: false });
    finishCounts(summary);
  });
}

// ---------------------------------------------------------------------------------------
// Writing

interface CustomerRow {
  id: number;
  ref: string;
  name: string;
  siren: string | null;
  vat_number: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  language: "fr" | "en";
  payment_terms_days: number;
  credit_limit: number | null;
}

interface KnownCustomer {
  id: number;
  terms: number;
}

const MAX_CACHED_CUSTOMERS = 200_000;

class Writer {
  readonly problems = new ProblemList();
  newPaymentIds: number[] = [];
  private readonly orgId: number;
  private readonly customers = new Map<string, KnownCustomer>();
  private readonly warnings = new Map<string, { count: number; examples: string[] }>();
  private readonly csvOccurrences = new Map<string, number>();
  private written = 0;
  private nextAnalyze = 5_000;

  constructor(
    readonly trx: Trx,
    private readonly ctx: Context,
  ) {
    this.orgId = ctx.actor.orgId;
  }

  private get details() {
    return this.ctx.summary.details;
  }

  /**
   * Statistics of the tables this transaction fills. Rows it inserted are invisible to
   * autovacuum until commit, so without this the planner keeps believing the tables are
   * as small as before the import and joins them by full scans (per batch: quadratic).
   * ANALYZE counts the transaction's own rows; run each time the volume doubles.
   */
  private async grew(rows: number): Promise<void> {
    this.written += rows;
    if (this.written < this.nextAnalyze) return;
    this.nextAnalyze = this.written * 2;
    await sql`analyze customers, documents, payments, allocations`.execute(this.trx);
  }

  /** Warnings of one kind are counted and shown once, with a few examples. */
  warn(key: string, example: string): void {
    const w = this.warnings.get(key);
    if (w) {
      w.count++;
      if (w.examples.length < 5) w.examples.push(example);
    } else this.warnings.set(key, { count: 1, examples: [example] });
  }

  warningList(): string[] {
    return [...this.warnings].map(([key, w]) => `${key}: ${w.count} (${w.examples.join(", ")}${w.count > w.examples.length ? ", …" : ""})`);
  }

  // -- customers -------------------------------------------------------------------------

  /**
   * Customer records of a customer file (or FEC, or an e-invoice buyer): inserted when new;
   * when known, the values the file gives replace those stored (an empty cell never erases).
   */
  async writeCustomers(records: ImportedCustomer[], origin: "file" | "fec" | "einvoice"): Promise<void> {
    const counts = this.details.customers;
    const byRef = new Map<string, ImportedCustomer>();
    for (const r of records) byRef.set(customerKey(r), r);
    const refs = [...byRef.keys()];
    // A record without a code is the customer of the same name, when there is one.
    const names = records.filter((r) => r.ref === null && r.name).map((r) => r.name.toLowerCase());
    const existing = await this.trx
      .selectFrom("customers")
      .select(["id", "ref", "name", "siren", "vat_number", "email", "phone", "address", "language", "payment_terms_days", "credit_limit"])
      .where("org_id", "=", this.orgId)
      .where((eb) => (names.length > 0 ? eb.or([eb("ref", "in", refs), eb(sql`lower(name)`, "in", names)]) : eb("ref", "in", refs)))
      .execute();
    const known = new Map(existing.map((c) => [c.ref, c as CustomerRow]));
    const knownByName = new Map(existing.map((c) => [c.name.toLowerCase(), c as CustomerRow]));
    const fresh: ImportedCustomer[] = [];
    for (const [ref, r] of byRef) {
      const c = known.get(ref) ?? (r.ref === null ? knownByName.get(r.name.toLowerCase()) : undefined);
      if (!c) {
        fresh.push(r);
        continue;
      }
      this.remember(ref, c.id, c.payment_terms_days);
      const changes: Record<string, unknown> = {};
      const set = (column: keyof CustomerRow, value: unknown) => {
        if (value !== null && value !== undefined && value !== "" && value !== c[column]) changes[column] = value;
      };
      // A FEC's auxiliary label is often abbreviated: it names a new customer, never renames one.
      if (origin !== "fec") set("name", r.name);
      set("siren", r.siren);
      set("vat_number", r.vatNumber);
      set("email", r.email);
      set("phone", r.phone);
      set("address", r.address);
      set("language", r.language);
      set("payment_terms_days", r.paymentTermsDays);
      set("credit_limit", r.creditLimit);
      if (Object.keys(changes).length > 0) {
        await this.trx
          .updateTable("customers")
          .set({ ...changes, updated_at: new Date() })
          .where("org_id", "=", this.orgId)
          .where("id", "=", c.id)
          .execute();
        if (changes.payment_terms_days !== undefined) this.remember(ref, c.id, changes.payment_terms_days as number);
        counts.updated++;
      } else counts.skipped++;
    }
    if (fresh.length > 0) {
      const rows = await this.trx
        .insertInto("customers")
        .values(
          fresh.map((r) => ({
            org_id: this.orgId,
            ref: customerKey(r),
            name: r.name || customerKey(r),
            siren: r.siren,
            vat_number: r.vatNumber,
            email: r.email,
            phone: r.phone ?? null,
            address: r.address ?? null,
            ...(r.language ? { language: r.language } : {}),
            ...(r.paymentTermsDays != null ? { payment_terms_days: r.paymentTermsDays } : {}),
            credit_limit: r.creditLimit ?? null,
          })),
        )
        .returning(["id", "ref", "payment_terms_days"])
        .execute();
      for (const row of rows) this.remember(row.ref, row.id, row.payment_terms_days);
      counts.inserted += rows.length;
    }
    await this.addIbans(records.filter((r) => r.iban).map((r) => ({ ref: customerKey(r), iban: r.iban as string })));
  }

  private remember(ref: string, id: number, terms: number): void {
    if (this.customers.size >= MAX_CACHED_CUSTOMERS) this.customers.clear();
    this.customers.set(ref, { id, terms });
  }

  private async addIbans(list: { ref: string; iban: string }[]): Promise<void> {
    const rows = list.flatMap((x) => {
      const c = this.customers.get(x.ref);
      return c ? [{ org_id: this.orgId, customer_id: c.id, iban: x.iban, source: "import" }] : [];
    });
    if (rows.length === 0) return;
    await this.trx
      .insertInto("customer_bank_accounts")
      .values(rows)
      .onConflict((oc) => oc.columns(["org_id", "customer_id", "iban"]).doNothing())
      .execute();
  }

  /**
   * The customers that invoices or payments name: found by reference (or, without one, by
   * name), created when unknown. Known customers are not changed, except for blanks the
   * file can fill (email, SIREN, VAT number).
   */
  async resolveParties(parties: ImportedParty[]): Promise<KnownCustomer[]> {
    const missing = new Map<string, ImportedParty>();
    // The ids of this call's parties: the cache may be cleared halfway (MAX_CACHED_CUSTOMERS).
    const found = new Map<string, KnownCustomer>();
    const remember = (key: string, id: number, terms: number) => {
      this.remember(key, id, terms);
      found.set(key, { id, terms });
    };
    for (const p of parties) {
      const key = customerKey(p);
      const known = this.customers.get(key);
      if (known) found.set(key, known);
      else if (!missing.has(key)) missing.set(key, p);
    }
    if (missing.size > 0) {
      const refs = [...missing.keys()];
      const names = [...missing.values()].filter((p) => p.ref === null && p.name).map((p) => p.name.toLowerCase());
      const existing = await this.trx
        .selectFrom("customers")
        .select(["id", "ref", "name", "email", "siren", "vat_number", "payment_terms_days"])
        .where("org_id", "=", this.orgId)
        .where((eb) => (names.length > 0 ? eb.or([eb("ref", "in", refs), eb(sql`lower(name)`, "in", names)]) : eb("ref", "in", refs)))
        .execute();
      const byRef = new Map(existing.map((c) => [c.ref, c]));
      const byName = new Map(existing.map((c) => [c.name.toLowerCase(), c]));
      const toInsert: [string, ImportedParty][] = [];
      for (const [key, p] of missing) {
        const c = byRef.get(key) ?? (p.ref === null ? byName.get(p.name.toLowerCase()) : undefined);
        if (!c) {
          toInsert.push([key, p]);
          continue;
        }
        remember(key, c.id, c.payment_terms_days);
        const fill: Record<string, string> = {};
        if (!c.email && p.email) fill.email = p.email;
        if (!c.siren && p.siren) fill.siren = p.siren;
        if (!c.vat_number && p.vatNumber) fill.vat_number = p.vatNumber;
        if (Object.keys(fill).length > 0) {
          await this.trx
            .updateTable("customers")
            .set({ ...fill, updated_at: new Date() })
            .where("org_id", "=", this.orgId)
            .where("id", "=", c.id)
            .execute();
          this.details.customers.updated++;
        }
      }
      if (toInsert.length > 0) {
        const rows = await this.trx
          .insertInto("customers")
          .values(
            toInsert.map(([key, p]) => ({
              org_id: this.orgId,
              ref: key,
              name: p.name || key,
              siren: p.siren,
              vat_number: p.vatNumber,
              email: p.email,
              ...(p.language ? { language: p.language } : {}),
              ...(p.paymentTermsDays != null && p.paymentTermsDays >= 0 && p.paymentTermsDays <= 365
                ? { payment_terms_days: p.paymentTermsDays }
                : {}),
            })),
          )
          .returning(["id", "ref", "payment_terms_days"])
          .execute();
        for (const r of rows) remember(r.ref, r.id, r.payment_terms_days);
        this.details.customers.inserted += rows.length;
      }
      await this.addIbans(parties.filter((p) => p.iban).map((p) => ({ ref: customerKey(p), iban: p.iban as string })));
    }
    return parties.map((p) => found.get(customerKey(p)) as KnownCustomer);
  }

  // -- documents -------------------------------------------------------------------------

  async writeInvoices(records: ImportedInvoice[], options: { paidKnown: boolean; source: string }): Promise<void> {
    const counts = this.details.documents;
    const customers = await this.resolveParties(records.map((r) => r.customer));
    const numbers = records.map((r) => r.number);
    const existing = await sql<{
      id: number;
      number: string;
      kind: "invoice" | "credit_note";
      customer_id: number;
      issue_date: string;
      due_date: string;
      currency: string;
      total: number;
      tax: number;
      synthetic_id: number | null;
      synthetic_amount: number | null;
      synthetic_date: string | null;
      allocated: number;
      written_off: number;
    }>`
      select d.id, d.number, d.kind, d.customer_id, d.issue_date, d.due_date, d.currency, d.total, d.tax,
        sp.id as synthetic_id, sp.amount as synthetic_amount, sp.date as synthetic_date,
        coalesce((select sum(a.amount) from allocations a where a.org_id = d.org_id and a.document_id = d.id), 0)::bigint as allocated,
        coalesce((select sum(w.amount) from write_offs w where w.org_id = d.org_id and w.document_id = d.id), 0)::bigint as written_off
      from documents d
      left join payments sp on sp.org_id = d.org_id and sp.bank_tx_id = ${PAID_PREFIX} || d.number
      where d.org_id = ${this.orgId} and d.number = any(${numbers}::text[])`.execute(this.trx);
    const byNumber = new Map(existing.rows.map((d) => [d.number, d]));

    const inserts: { r: ImportedInvoice; customerId: number; dueDate: string }[] = [];
    const paidChanges: {
      r: ImportedInvoice;
      documentId: number;
      customerId: number;
      issueDate: string;
      current: { id: number; amount: number; date: string } | null;
      desired: number;
    }[] = [];
    for (let i = 0; i < records.length; i++) {
      let r = records[i] as ImportedInvoice;
      const customer = customers[i] as KnownCustomer;
      if (options.paidKnown && r.kind === "credit_note" && r.paid !== 0)
        this.warn("credit notes with a prepaid amount (not recorded: a payment cannot be allocated to a credit note)", r.number);
      if (r.dueDate !== null && r.dueDate < r.issueDate) {
        // An e-invoice may say so; a document cannot be due before it exists.
        this.warn("documents due before their issue date (due date set to the issue date)", r.number);
        r = { ...r, dueDate: r.issueDate };
      }
      const d = byNumber.get(r.number);
      if (!d) {
        const dueDate = r.dueDate ?? addDays(r.issueDate, customer.terms);
        inserts.push({ r, customerId: customer.id, dueDate });
        continue;
      }
      // Compare with what is stored; what the file does not say (due date, tax) is kept.
      const changes: Record<string, unknown> = {};
      if (d.kind !== r.kind) changes.kind = r.kind;
      if (d.customer_id !== customer.id) changes.customer_id = customer.id;
      if (d.issue_date !== r.issueDate) changes.issue_date = r.issueDate;
      if (r.dueDate !== null && d.due_date !== r.dueDate) changes.due_date = r.dueDate;
      if (r.dueDate === null && d.due_date < r.issueDate) changes.due_date = addDays(r.issueDate, customer.terms);
      if (d.currency !== r.currency) changes.currency = r.currency;
      if (d.total !== r.total) changes.total = r.total;
      if (r.tax !== null && d.tax !== r.tax) changes.tax = r.tax;
      const syntheticAmount = d.synthetic_amount ?? 0;
      const other = d.allocated - syntheticAmount;
      if (r.kind === "invoice" && r.total < other + d.written_off) {
        this.problems.add({
          line: r.line ?? undefined,
          field: "amount_total",
          message: `${r.number}: the total ${toDecimalString(r.total)} is below what is already paid or written off in Relance (${toDecimalString(other + d.written_off)})`,
        });
        continue;
      }
      if (d.kind !== r.kind && d.allocated > 0) {
        this.problems.add({
          line: r.line ?? undefined,
          field: "type",
          message: `${r.number}: has payments allocated, it cannot become a ${r.kind}`,
        });
        continue;
      }
      let paidChanged = false;
      if (options.paidKnown && r.kind === "invoice") {
        let desired = r.paid - other - d.written_off;
        if (desired < 0) {
          this.warn("invoices on which Relance already records more paid than the file says (kept)", r.number);
          desired = 0;
        }
        const wantDate = r.paidDate ?? null;
        if (desired !== syntheticAmount || (desired > 0 && wantDate !== null && wantDate !== d.synthetic_date)) {
          paidChanged = true;
          paidChanges.push({
            r,
            documentId: d.id,
            customerId: customer.id,
            issueDate: r.issueDate,
            current: d.synthetic_id !== null ? { id: d.synthetic_id, amount: syntheticAmount, date: d.synthetic_date as string } : null,
            desired,
          });
        }
      }
      if (Object.keys(changes).length > 0) {
        await this.trx
          .updateTable("documents")
          .set({ ...changes, updated_at: new Date() })
          .where("org_id", "=", this.orgId)
          .where("id", "=", d.id)
          .execute();
        if (changes.customer_id !== undefined && d.synthetic_id !== null)
          await this.trx
            .updateTable("payments")
            .set({ customer_id: customer.id })
            .where("org_id", "=", this.orgId)
            .where("id", "=", d.synthetic_id)
            .execute();
      }
      if (Object.keys(changes).length > 0 || paidChanged) counts.updated++;
      else counts.skipped++;
      if (r.original) await this.attach(d.id, r.original);
    }

    if (inserts.length > 0) {
      const rows = await sql<{ id: number; number: string }>`
        insert into documents (org_id, kind, number, customer_id, issue_date, due_date, currency, total, tax, source)
        select ${this.orgId}, t.kind, t.number, t.customer_id, t.issue_date, t.due_date, t.currency, t.total, t.tax, ${options.source}
        from unnest(${inserts.map((x) => x.r.kind)}::text[], ${inserts.map((x) => x.r.number)}::text[], ${inserts.map((x) => x.customerId)}::bigint[],
          ${inserts.map((x) => x.r.issueDate)}::date[], ${inserts.map((x) => x.dueDate)}::date[], ${inserts.map((x) => x.r.currency)}::text[],
          ${inserts.map((x) => x.r.total)}::bigint[], ${inserts.map((x) => x.r.tax ?? 0)}::bigint[])
          as t(kind, number, customer_id, issue_date, due_date, currency, total, tax)
        returning id, number`.execute(this.trx);
      counts.inserted += rows.rows.length;
      await this.grew(rows.rows.length);
      const ids = new Map(rows.rows.map((r) => [r.number, r.id]));
      for (const x of inserts) {
        const id = ids.get(x.r.number) as number;
        if (x.r.paid > 0 && x.r.kind === "invoice" && options.paidKnown)
          paidChanges.push({
            r: x.r,
            documentId: id,
            customerId: x.customerId,
            issueDate: x.r.issueDate,
            current: null,
            desired: x.r.paid,
          });
        if (x.r.original) await this.attach(id, x.r.original);
      }
    }
    await this.applyPaid(paidChanges);
  }

  /** Creates, adjusts or removes the synthetic payment that says how much was paid before the import. */
  private async applyPaid(
    changes: {
      r: ImportedInvoice;
      documentId: number;
      customerId: number;
      issueDate: string;
      current: { id: number; amount: number; date: string } | null;
      desired: number;
    }[],
  ): Promise<void> {
    const fresh = changes.filter((c) => c.current === null && c.desired > 0);
    const dateOf = (c: (typeof changes)[number]) => {
      const d = c.r.paidDate ?? (c.current && c.desired <= c.current.amount ? c.current.date : this.ctx.today);
      return maxDate(d, c.issueDate);
    };
    if (fresh.length > 0) {
      const payments = await sql<{ id: number; bank_tx_id: string }>`
        insert into payments (org_id, customer_id, date, amount, currency, reference, bank_tx_id, source)
        select ${this.orgId}, t.customer_id, t.date, t.amount, t.currency, t.reference, t.tx, 'import'
        from unnest(${fresh.map((c) => c.customerId)}::bigint[], ${fresh.map(dateOf)}::date[], ${fresh.map((c) => c.desired)}::bigint[],
          ${fresh.map((c) => c.r.currency)}::text[], ${fresh.map((c) => `Réglé avant import / paid before import: ${c.r.number}`)}::text[],
          ${fresh.map((c) => PAID_PREFIX + c.r.number)}::text[]) as t(customer_id, date, amount, currency, reference, tx)
        returning id, bank_tx_id`.execute(this.trx);
      const byTx = new Map(payments.rows.map((p) => [p.bank_tx_id, p.id]));
      await this.insertAllocations(
        fresh.map((c) => ({
          paymentId: byTx.get(PAID_PREFIX + c.r.number) as number,
          documentId: c.documentId,
          amount: c.desired,
          date: dateOf(c),
        })),
      );
    }
    for (const c of changes) {
      if (c.current === null) continue;
      if (c.desired === 0) {
        await this.trx.deleteFrom("payments").where("org_id", "=", this.orgId).where("id", "=", c.current.id).execute();
        this.details.allocations.updated++;
        continue;
      }
      const date = dateOf(c);
      await this.trx
        .updateTable("payments")
        .set({ amount: c.desired, date })
        .where("org_id", "=", this.orgId)
        .where("id", "=", c.current.id)
        .execute();
      await this.trx
        .updateTable("allocations")
        .set({ amount: c.desired, date })
        .where("org_id", "=", this.orgId)
        .where("payment_id", "=", c.current.id)
        .where("document_id", "=", c.documentId)
        .execute();
      this.details.allocations.updated++;
    }
  }

  private async insertAllocations(
    rows: { paymentId: number; documentId: number; amount: number; date: string }[],
    counted = true,
  ): Promise<void> {
    if (rows.length === 0) return;
    await sql`
      insert into allocations (org_id, payment_id, document_id, amount, date, created_by)
      select ${this.orgId}, t.payment_id, t.document_id, t.amount, t.date, ${this.ctx.actor.userId}::bigint
      from unnest(${rows.map((r) => r.paymentId)}::bigint[], ${rows.map((r) => r.documentId)}::bigint[], ${rows.map((r) => r.amount)}::bigint[],
        ${rows.map((r) => r.date)}::date[]) as t(payment_id, document_id, amount, date)`.execute(this.trx);
    if (counted) this.details.allocations.inserted += rows.length;
  }

  private async attach(documentId: number, original: { filename: string; mediaType: string; bytes: Uint8Array }): Promise<void> {
    const sha = createHash("sha256").update(original.bytes).digest("hex");
    const row = await this.trx
      .insertInto("document_files")
      .values({
        org_id: this.orgId,
        document_id: documentId,
        filename: original.filename,
        media_type: original.mediaType,
        sha256: sha,
        size: original.bytes.length,
        bytes: original.bytes,
      })
      .onConflict((oc) => oc.columns(["org_id", "document_id", "sha256"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (row) this.details.attachments++;
  }

  // -- payments --------------------------------------------------------------------------

  /** Key of a payment without a bank id: its content, and its rank among identical rows of the file. */
  private csvKey(p: ImportedPayment): string {
    const content = [
      p.date,
      p.amount,
      p.currency,
      p.reference ?? "",
      p.customerRef ?? "",
      (p.invoiceNumbers ?? []).join(","),
      p.payerName ?? "",
      p.payerIban ?? "",
    ].join("\u0000");
    const digest = createHash("sha256").update(content).digest("base64url").slice(0, 32);
    if (this.csvOccurrences.size >= 200_000) this.csvOccurrences.clear();
    const n = (this.csvOccurrences.get(digest) ?? 0) + 1;
    this.csvOccurrences.set(digest, n);
    return `csv:${digest}:${n}`;
  }

  async writePayments(records: ImportedPayment[], options: { source: string; csvKeys: boolean }): Promise<void> {
    const counts = this.details.payments;
    const keyed = records.map((p) => ({ p, tx: p.bankTxId ?? (options.csvKeys ? this.csvKey(p) : this.contentKey(p)) }));
    // Customers: by reference when the file gives one.
    const named = keyed.filter((x) => x.p.customerRef);
    const customerIds = new Map<string, number>();
    if (named.length > 0) {
      const refs = [...new Set(named.map((x) => x.p.customerRef as string))].filter((ref) => {
        const c = this.customers.get(ref);
        if (c) customerIds.set(ref, c.id);
        return !c;
      });
      if (refs.length > 0) {
        const found = await this.trx
          .selectFrom("customers")
          .select(["id", "ref", "payment_terms_days"])
          .where("org_id", "=", this.orgId)
          .where("ref", "in", refs)
          .execute();
        for (const c of found) {
          this.remember(c.ref, c.id, c.payment_terms_days);
          customerIds.set(c.ref, c.id);
        }
      }
      for (const x of named)
        if (!customerIds.has(x.p.customerRef as string))
          this.warn("payments naming an unknown customer_ref (imported without a customer)", x.p.customerRef as string);
    }
    const customerOf = (p: ImportedPayment) => (p.customerRef ? (customerIds.get(p.customerRef) ?? null) : null);
    const existing = await sql<{
      id: number;
      bank_tx_id: string;
      date: string;
      amount: number;
      currency: string;
      reference: string | null;
      customer_id: number | null;
      payer_name: string | null;
      payer_iban: string | null;
      structured_reference: string | null;
      allocated: number;
    }>`
      select p.id, p.bank_tx_id, p.date, p.amount, p.currency, p.reference, p.customer_id, p.payer_name, p.payer_iban, p.structured_reference,
        coalesce((select sum(a.amount) from allocations a where a.org_id = p.org_id and a.payment_id = p.id), 0)::bigint as allocated
      from payments p where p.org_id = ${this.orgId} and p.bank_tx_id = any(${keyed.map((x) => x.tx)}::text[])`.execute(this.trx);
    const byTx = new Map(existing.rows.map((p) => [p.bank_tx_id, p]));
    const inserts: { p: ImportedPayment; tx: string; customerId: number | null }[] = [];
    const inBatch = new Set<string>();
    for (const { p, tx } of keyed) {
      const e = byTx.get(tx);
      if (!e) {
        if (inBatch.has(tx)) {
          counts.skipped++; // the same bank entry twice in one statement
          continue;
        }
        inBatch.add(tx);
        inserts.push({ p, tx, customerId: customerOf(p) });
        continue;
      }
      const changes: Record<string, unknown> = {};
      if (e.date !== p.date) changes.date = p.date;
      if (e.amount !== p.amount) changes.amount = p.amount;
      if (e.currency !== p.currency) changes.currency = p.currency;
      if (p.reference !== null && e.reference !== p.reference) changes.reference = p.reference;
      if (p.payerName !== null && e.payer_name !== p.payerName) changes.payer_name = p.payerName;
      if (p.payerIban !== null && e.payer_iban !== p.payerIban) changes.payer_iban = p.payerIban;
      if (p.structuredReference !== null && e.structured_reference !== p.structuredReference)
        changes.structured_reference = p.structuredReference;
      const customerId = customerOf(p);
      if (customerId !== null && e.customer_id !== customerId) {
        if (e.allocated > 0) this.warn("payments already allocated to another customer's invoices (customer kept)", tx);
        else changes.customer_id = customerId;
      }
      if (p.amount < e.allocated) {
        this.problems.add({
          line: p.line ?? undefined,
          field: "amount",
          message: `payment ${tx}: the amount ${toDecimalString(p.amount)} is below what is already allocated from it (${toDecimalString(e.allocated)})`,
        });
        continue;
      }
      if (Object.keys(changes).length > 0) {
        await this.trx.updateTable("payments").set(changes).where("org_id", "=", this.orgId).where("id", "=", e.id).execute();
        counts.updated++;
      } else counts.skipped++;
    }
    if (inserts.length === 0) return;
    const rows = await sql<{ id: number; bank_tx_id: string }>`
      insert into payments (org_id, customer_id, date, amount, currency, reference, bank_tx_id, payer_name, payer_iban, structured_reference, source)
      select ${this.orgId}, t.customer_id, t.date, t.amount, t.currency, t.reference, t.tx, t.payer_name, t.payer_iban, t.rf, ${options.source}
      from unnest(${inserts.map((x) => x.customerId)}::bigint[], ${inserts.map((x) => x.p.date)}::date[], ${inserts.map((x) => x.p.amount)}::bigint[],
        ${inserts.map((x) => x.p.currency)}::text[], ${inserts.map((x) => x.p.reference)}::text[], ${inserts.map((x) => x.tx)}::text[],
        ${inserts.map((x) => x.p.payerName)}::text[], ${inserts.map((x) => x.p.payerIban)}::text[], ${inserts.map((x) => x.p.structuredReference)}::text[])
        as t(customer_id, date, amount, currency, reference, tx, payer_name, payer_iban, rf)
      returning id, bank_tx_id`.execute(this.trx);
    counts.inserted += rows.rows.length;
    await this.grew(rows.rows.length);
    const ids = new Map(rows.rows.map((r) => [r.bank_tx_id, r.id]));
    const newIds = inserts.map((x) => ids.get(x.tx) as number);
    // A payment file that names the invoices: allocate to them (oldest first), the rest goes to matching.
    await this.allocateNamed(
      inserts.map((x, i) => ({ ...x, id: newIds[i] as number })).filter((x) => (x.p.invoiceNumbers ?? []).length > 0),
    );
    this.newPaymentIds.push(...newIds);
  }

  /** Key of a bank entry that came without an id: its content (rare: most readers give one). */
  private contentKey(p: ImportedPayment): string {
    const content = [
      p.date,
      p.amount,
      p.currency,
      p.reference ?? "",
      p.payerName ?? "",
      p.payerIban ?? "",
      p.structuredReference ?? "",
    ].join("\u0000");
    return `content:${createHash("sha256").update(content).digest("base64url").slice(0, 32)}:${p.line ?? 0}`;
  }

  private async allocateNamed(list: { p: ImportedPayment; id: number; customerId: number | null }[]): Promise<void> {
    if (list.length === 0) return;
    const numbers = [...new Set(list.flatMap((x) => x.p.invoiceNumbers ?? []))];
    const docs = await sql<{ id: number; number: string; customer_id: number; kind: string; issue_date: string; outstanding: number }>`
      select d.id, d.number, d.customer_id, d.kind, d.issue_date,
        (d.total - coalesce((select sum(a.amount) from allocations a where a.org_id = d.org_id and a.document_id = d.id), 0)
          - coalesce((select sum(w.amount) from write_offs w where w.org_id = d.org_id and w.document_id = d.id), 0))::bigint as outstanding
      from documents d where d.org_id = ${this.orgId} and d.number = any(${numbers}::text[])`.execute(this.trx);
    const byNumber = new Map(docs.rows.map((d) => [d.number, d]));
    const allocations: { paymentId: number; documentId: number; amount: number; date: string }[] = [];
    for (const x of list) {
      const found = (x.p.invoiceNumbers ?? []).map((n) => byNumber.get(n)).filter((d) => d !== undefined);
      for (const n of x.p.invoiceNumbers ?? [])
        if (!byNumber.has(n)) this.warn("payments naming an unknown invoice_number (left to reconcile)", n);
      const usable = found
        .filter((d) => d.kind === "invoice" && d.outstanding > 0 && (x.customerId === null || d.customer_id === x.customerId))
        .sort((a, b) => (a.issue_date < b.issue_date ? -1 : a.issue_date > b.issue_date ? 1 : a.id - b.id));
      const customers = new Set(usable.map((d) => d.customer_id));
      if (customers.size > 1) {
        this.warn("payments naming invoices of several customers (left to reconcile)", x.p.invoiceNumbers?.join("+") ?? "");
        continue;
      }
      let left = x.p.amount;
      for (const d of usable) {
        if (left === 0) break;
        const amount = Math.min(left, d.outstanding);
        d.outstanding -= amount;
        left -= amount;
        allocations.push({ paymentId: x.id, documentId: d.id, amount, date: x.p.date });
      }
      const customerId = usable[0]?.customer_id;
      if (x.customerId === null && customerId !== undefined)
        await this.trx
          .updateTable("payments")
          .set({ customer_id: customerId })
          .where("org_id", "=", this.orgId)
          .where("id", "=", x.id)
          .execute();
    }
    await this.insertAllocations(allocations);
  }

  /** The ids among `ids` of payments allocated to nothing. */
  async withoutAllocations(ids: number[]): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < ids.length; i += 10_000) {
      const part = ids.slice(i, i + 10_000);
      const rows = await sql<{ id: number }>`
        select p.id from payments p where p.org_id = ${this.orgId} and p.id = any(${part}::bigint[])
          and not exists (select 1 from allocations a where a.org_id = p.org_id and a.payment_id = p.id)`.execute(this.trx);
      out.push(...rows.rows.map((r) => r.id));
    }
    return out;
  }

  // -- FEC lettering ---------------------------------------------------------------------

  /**
   * The allocations the lettering gives, per payment: a payment whose stored allocations
   * differ gets them replaced; one without lettering keeps what it has (it may have been
   * allocated by hand). An allocation never takes a document below zero.
   */
  async writeAllocations(list: FecAllocation[]): Promise<void> {
    if (list.length === 0) return;
    const counts = this.details.allocations;
    const keys = [...new Set(list.map((a) => a.paymentKey))];
    const numbers = [...new Set(list.map((a) => a.invoiceNumber))];
    for (let i = 0; i < keys.length; i += BATCH) {
      const part = new Set(keys.slice(i, i + BATCH));
      const wanted = list.filter((a) => part.has(a.paymentKey));
      const payments = await this.trx
        .selectFrom("payments")
        .select(["id", "bank_tx_id", "date"])
        .where("org_id", "=", this.orgId)
        .where("bank_tx_id", "in", [...part])
        .execute();
      const paymentOf = new Map(payments.map((p) => [p.bank_tx_id as string, p]));
      const docs = await this.trx
        .selectFrom("documents")
        .select(["id", "number"])
        .where("org_id", "=", this.orgId)
        .where(
          "number",
          "in",
          numbers.filter((n) => wanted.some((w) => w.invoiceNumber === n)),
        )
        .execute();
      const docOf = new Map(docs.map((d) => [d.number, d.id]));
      const current = await this.trx
        .selectFrom("allocations")
        .select(["id", "payment_id", "document_id", "amount"])
        .where("org_id", "=", this.orgId)
        .where(
          "payment_id",
          "in",
          payments.map((p) => p.id),
        )
        .execute();
      const currentOf = new Map<number, { document_id: number; amount: number }[]>();
      for (const a of current) {
        const l = currentOf.get(a.payment_id) ?? [];
        l.push(a);
        currentOf.set(a.payment_id, l);
      }
      const byPayment = new Map<number, { documentId: number; amount: number; date: string }[]>();
      for (const a of wanted) {
        const p = paymentOf.get(a.paymentKey);
        const d = docOf.get(a.invoiceNumber);
        if (!p || d === undefined) continue;
        const l = byPayment.get(p.id) ?? [];
        l.push({ documentId: d, amount: a.amount, date: p.date });
        byPayment.set(p.id, l);
      }
      const replace: number[] = [];
      const rows: { paymentId: number; documentId: number; amount: number; date: string; replaced: boolean }[] = [];
      for (const [paymentId, want] of byPayment) {
        const have = currentOf.get(paymentId) ?? [];
        // What the lettering gives is there (the matching or a person may have added more): unchanged.
        const same = want.every((w) => have.some((h) => h.document_id === w.documentId && h.amount === w.amount));
        if (same) {
          counts.skipped += want.length;
          continue;
        }
        if (have.length > 0) replace.push(paymentId);
        for (const w of want) rows.push({ paymentId, ...w, replaced: have.length > 0 });
      }
      if (replace.length > 0)
        await this.trx.deleteFrom("allocations").where("org_id", "=", this.orgId).where("payment_id", "in", replace).execute();
      // Never below zero: cap by what each document still owes now.
      const docIds = [...new Set(rows.map((r) => r.documentId))];
      if (docIds.length === 0) continue;
      const left = await this.owedNow(docIds);
      const capped = rows.flatMap((r) => {
        const l = left.get(r.documentId) ?? 0;
        const amount = Math.min(r.amount, Math.max(l, 0));
        if (amount < r.amount) this.warn("lettered amounts capped to what the invoice still owes", String(r.documentId));
        left.set(r.documentId, l - amount);
        return amount > 0 ? [{ ...r, amount }] : [];
      });
      await this.insertAllocations(capped, false);
      for (const r of capped) {
        if (r.replaced) counts.updated++;
        else counts.inserted++;
      }
    }
  }

  /** What each document owes now, from its movements (those this import wrote included). */
  async owedNow(ids: number[]): Promise<Map<number, number>> {
    const owed = await sql<{ id: number; outstanding: number }>`
      select d.id, (d.total - coalesce((select sum(a.amount) from allocations a where a.org_id = d.org_id and a.document_id = d.id), 0)
        - coalesce((select sum(w.amount) from write_offs w where w.org_id = d.org_id and w.document_id = d.id), 0))::bigint as outstanding
      from documents d where d.org_id = ${this.orgId} and d.id = any(${ids}::bigint[])`.execute(this.trx);
    return new Map(owed.rows.map((r) => [r.id, r.outstanding]));
  }

  /**
   * The credit notes the lettering applies to invoices, as pairs of write-offs (migration
   * 0012): +X on the invoice, -X on the credit note. A credit note whose stored applications
   * differ gets them replaced; what is there already is skipped. Never beyond what the
   * invoice still owes, nor what the credit note still credits.
   */
  async writeCreditApplications(list: FecCreditApplication[]): Promise<void> {
    if (list.length === 0) return;
    const counts = this.details.creditNotes;
    for (let i = 0; i < list.length; i += BATCH) {
      const part = list.slice(i, i + BATCH);
      const numbers = [...new Set(part.flatMap((a) => [a.creditNoteNumber, a.invoiceNumber]))];
      const docs = await this.trx
        .selectFrom("documents")
        .select(["id", "number", "kind"])
        .where("org_id", "=", this.orgId)
        .where("number", "in", numbers)
        .execute();
      const idOf = new Map(docs.map((d) => [`${d.kind}\u0000${d.number}`, d.id]));
      const wanted = part.flatMap((a) => {
        const creditNote = idOf.get(`credit_note\u0000${a.creditNoteNumber}`);
        const invoice = idOf.get(`invoice\u0000${a.invoiceNumber}`);
        return creditNote === undefined || invoice === undefined ? [] : [{ ...a, creditNote, invoice }];
      });
      const creditNotes = [...new Set(wanted.map((w) => w.creditNote))];
      if (creditNotes.length === 0) continue;
      const current = await this.trx
        .selectFrom("write_offs")
        .select(["document_id", "applied_document_id", "amount"])
        .where("org_id", "=", this.orgId)
        .where("document_id", "in", creditNotes)
        .where("applied_document_id", "is not", null)
        .execute();
      const replace: number[] = [];
      const todo: typeof wanted = [];
      for (const cn of creditNotes) {
        const want = wanted.filter((w) => w.creditNote === cn);
        const have = current.filter((c) => c.document_id === cn);
        const same =
          have.length === want.length && want.every((w) => have.some((h) => h.applied_document_id === w.invoice && h.amount === -w.amount));
        if (same) {
          counts.skipped += want.length;
          continue;
        }
        if (have.length > 0) replace.push(cn);
        todo.push(...want);
      }
      if (replace.length > 0)
        await this.trx
          .deleteFrom("write_offs")
          .where("org_id", "=", this.orgId)
          .where((eb) => eb.or([eb("document_id", "in", replace), eb("applied_document_id", "in", replace)]))
          .execute();
      if (todo.length === 0) continue;
      const ids = [...new Set(todo.flatMap((w) => [w.invoice, w.creditNote]))];
      const left = await this.owedNow(ids);
      const rows: ReturnType<typeof creditApplicationRows> = [];
      for (const w of todo) {
        const invoiceOwes = Math.max(left.get(w.invoice) ?? 0, 0);
        const credit = Math.max(-(left.get(w.creditNote) ?? 0), 0);
        const amount = Math.min(w.amount, invoiceOwes, credit);
        if (amount < w.amount)
          this.warn("credit notes applied only up to what the invoice still owes and the credit note still credits", w.creditNoteNumber);
        if (amount <= 0) continue;
        left.set(w.invoice, invoiceOwes - amount);
        left.set(w.creditNote, -(credit - amount));
        rows.push(
          ...creditApplicationRows(this.orgId, {
            invoiceId: w.invoice,
            invoiceNumber: w.invoiceNumber,
            creditNoteId: w.creditNote,
            creditNoteNumber: w.creditNoteNumber,
            amount,
            date: w.date,
          }),
        );
        if (replace.includes(w.creditNote)) counts.updated++;
        else counts.inserted++;
      }
      if (rows.length > 0) await this.trx.insertInto("write_offs").values(rows).execute();
    }
  }

  // -- history ---------------------------------------------------------------------------

  async recordBatch(): Promise<void> {
    const { summary, actor } = this.ctx;
    const details = { ...summary.details, matching: summary.matching };
    const row = await this.trx
      .insertInto("import_batches")
      .values({
        org_id: this.orgId,
        kind: summary.kind,
        format: summary.format,
        file_name: summary.file,
        file_hash: this.ctx.hash,
        file_size: this.ctx.source.size,
        inserted: summary.inserted,
        updated: summary.updated,
        skipped: summary.skipped,
        details: JSON.stringify(details),
        warnings: JSON.stringify(summary.warnings.slice(0, 100)),
        created_by: actor.userId,
        actor_label: actor.label,
      })
      .onConflict((oc) =>
        oc.columns(["org_id", "kind", "file_hash"]).doUpdateSet({
          inserted: summary.inserted,
          updated: summary.updated,
          skipped: summary.skipped,
          details: JSON.stringify(details),
          warnings: JSON.stringify(summary.warnings.slice(0, 100)),
          updated_at: new Date(),
        }),
      )
      .returning("id")
      .executeTakeFirstOrThrow();
    summary.batchId = summary.dryRun ? null : row.id;
    await audit(this.trx, actor, "import", "import_batch", row.id, {
      file: summary.file,
      format: summary.format,
      kind: summary.kind,
      inserted: summary.inserted,
      updated: summary.updated,
      skipped: summary.skipped,
    });
  }
}

// ---------------------------------------------------------------------------------------
// History

export async function listImports(store: Store, actor: Actor, query: { limit?: number; cursor?: string } = {}) {
  requirePermission(actor, "read");
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  let q = store.db
    .selectFrom("import_batches")
    .select([
      "id",
      "kind",
      "format",
      "file_name",
      "file_hash",
      "file_size",
      "inserted",
      "updated",
      "skipped",
      "details",
      "warnings",
      "actor_label",
      "created_at",
      "updated_at",
    ])
    .where("org_id", "=", actor.orgId);
  if (query.cursor) {
    const id = Number(query.cursor);
    if (Number.isSafeInteger(id)) q = q.where("id", "<", id);
  }
  const rows = await q
    .orderBy("id", "desc")
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? String(last.id) : null };
}
