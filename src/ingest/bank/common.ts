/**
 * What the three bank statement readers (camt, CFONB 120, MT940) share: their result type,
 * counters, problem collection and a few normalisations.
 */
import { daysInMonth, type IsoDate } from "../../domain/dates.js";
import { type Cents, MoneyParseError, parseMoney } from "../../domain/money.js";
import { AppError, type Problem } from "../../errors.js";
import type { ImportedPayment } from "../types.js";

export type BankFormat = "camt" | "cfonb" | "mt940";

/** Counters a reader fills: every entry of the file is either read as a payment or counted as skipped. */
export interface BankReadStats {
  /** Entries (camt Ntry, CFONB record 04, MT940 :61:) seen in the file. */
  entries: number;
  /** Payments produced (one entry may give several: camt batch entries split per transaction). */
  credits: number;
  /** Outgoing entries, not imported. */
  debits: number;
  /** Incoming entries not imported: pending/information status, reversals, zero amounts. */
  skipped: number;
}

export interface BankReadResult {
  payments: ImportedPayment[];
  warnings: string[];
  stats: BankReadStats;
}

export const emptyStats = (): BankReadStats => ({ entries: 0, credits: 0, debits: 0, skipped: 0 });

/** Collects every problem of a file so that one error lists them all (all-or-nothing import). */
export class Problems {
  readonly list: Problem[] = [];
  add(line: number | undefined, field: string, message: string): void {
    this.list.push({ ...(line !== undefined ? { line } : {}), field, message });
  }
  throwIfAny(what: string): void {
    if (this.list.length === 0) return;
    const first = this.list[0];
    const where = first?.line !== undefined ? ` (line ${first.line}${first.field ? `, ${first.field}` : ""})` : "";
    const more = this.list.length > 1 ? ` and ${this.list.length - 1} more problem(s)` : "";
    throw new AppError("invalid_input", `invalid ${what}: ${first?.message ?? "unknown problem"}${where}${more}`, this.list);
  }
}

export function invalidFile(what: string, message: string, line?: number, field = "file"): AppError {
  return new AppError("invalid_input", `invalid ${what}: ${message}`, [{ ...(line !== undefined ? { line } : {}), field, message }]);
}

/** Parses a bank amount exactly (any number of trailing zero decimals); null + problem when it cannot. */
export function parseBankAmount(raw: string, problems: Problems, line: number | undefined, field: string): Cents | null {
  try {
    return parseMoney(raw);
  } catch (e) {
    if (e instanceof MoneyParseError) {
      problems.add(line, field, e.message);
      return null;
    }
    throw e;
  }
}

/** `FR76 3000 …` → `FR763000…`; null unless it has the shape of an IBAN (country, check digits, 11–30 alphanumerics). */
export function normaliseIban(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const s = raw.replace(/[\s-]/g, "").toUpperCase();
  return /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s) ? s : null;
}

/** Collapses runs of white space and trims; null for an empty result. */
export function clean(s: string | null | undefined): string | null {
  if (s == null) return null;
  const t = s.replace(/\s+/g, " ").trim();
  return t === "" ? null : t;
}

/** Joins the non-empty distinct pieces of a remittance text. */
export function joinText(pieces: (string | null | undefined)[], sep = " "): string | null {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of pieces) {
    const c = clean(p);
    if (c && !seen.has(c)) {
      seen.add(c);
      out.push(c);
    }
  }
  return out.length > 0 ? out.join(sep) : null;
}

/** Two-digit years: 00–79 → 2000–2079, 80–99 → 1980–1999 (bank files older than 1980 do not exist). */
export function fullYear(yy: number): number {
  return yy < 80 ? 2000 + yy : 1900 + yy;
}

/**
 * A calendar date from its parts. Banks do emit impossible days (MT940 "30 February"): the
 * day is clamped to the month's last day and a warning is returned. A month outside 1–12 or
 * a day 0 is an error (null).
 */
export function bankDate(year: number, month: number, day: number): { date: IsoDate; clamped: boolean } | null {
  if (!Number.isInteger(month) || month < 1 || month > 12 || !Number.isInteger(day) || day < 1 || day > 31) return null;
  const last = daysInMonth(year, month);
  const d = Math.min(day, last);
  return {
    date: `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(d).padStart(2, "0")}`,
    clamped: d !== day,
  };
}

/**
 * Makes bank transaction ids unique within a file, deterministically: the first occurrence
 * keeps its id, later ones get `~2`, `~3`… (with a warning), so re-reading the same file
 * always gives the same ids.
 */
export function dedupeBankTxIds(payments: ImportedPayment[], warnings: string[]): void {
  const seen = new Map<string, number>();
  for (const p of payments) {
    if (p.bankTxId == null) continue;
    const n = (seen.get(p.bankTxId) ?? 0) + 1;
    seen.set(p.bankTxId, n);
    if (n > 1) {
      warnings.push(`line ${p.line ?? "?"}: bank reference ${p.bankTxId} appears more than once in the file; suffixed with ~${n}`);
      p.bankTxId = `${p.bankTxId}~${n}`;
    }
  }
}

/** Decodes a text bank file: UTF-8 (with or without BOM) when valid, else Windows-1252. */
export function decodeBankText(bytes: Uint8Array): string {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return new TextDecoder("windows-1252").decode(body);
  }
}
