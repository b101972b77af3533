/**
 * Bank statements → incoming payments. Entry points for the import service:
 * `detectBankStatement` (format sniffing) and `readBankStatement` (read, all-or-nothing).
 *
 * Formats: ISO 20022 camt.053 / camt.054 (and camt.052), CFONB 120, SWIFT MT940 / MT942.
 * Every reader returns only incoming credit entries as `ImportedPayment`s, each with a stable
 * `bankTxId` (see each reader for its scheme), plus warnings and counters. An invalid file
 * throws AppError("invalid_input") listing every problem with its line (entry index for XML).
 */
import { AppError } from "../../errors.js";
import type { ImportedPayment } from "../types.js";
import { looksLikeCamt, readCamt } from "./camt.js";
import { looksLikeCfonb, readCfonb } from "./cfonb.js";
import type { BankFormat, BankReadStats } from "./common.js";
import { looksLikeMt940, readMt940 } from "./mt940.js";

export { readCamt } from "./camt.js";
export { decodeCfonbAmount, readCfonb } from "./cfonb.js";
export type { BankFormat, BankReadResult, BankReadStats } from "./common.js";
export { readMt940 } from "./mt940.js";

export interface BankStatement {
  format: BankFormat;
  payments: ImportedPayment[];
  warnings: string[];
  stats: BankReadStats;
}

const SNIFF_BYTES = 64 * 1024;

function head(bytes: Uint8Array): string {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return new TextDecoder("latin1").decode(bytes.subarray(start, start + SNIFF_BYTES));
}

/** The bank statement format of a file, from its content (the file name only breaks ties); null when none. */
export function detectBankStatement(bytes: Uint8Array, filename: string): BankFormat | null {
  const text = head(bytes);
  const trimmed = text.trimStart();
  if (trimmed.startsWith("<")) return looksLikeCamt(text) ? "camt" : null;
  if (looksLikeMt940(text)) return "mt940";
  if (looksLikeCfonb(text)) return "cfonb";
  const ext = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase() ?? "";
  // A file named like a statement but unreadable goes to its reader, which says what is wrong.
  if (["sta", "mt940", "940", "mt942", "942", "swi"].includes(ext)) return "mt940";
  if (["cfonb", "cfo", "cfonb120"].includes(ext)) return "cfonb";
  return null;
}

/** Reads a bank statement file of any supported format. Throws AppError("invalid_input") when it cannot. */
export function readBankStatement(bytes: Uint8Array, filename: string): BankStatement {
  const format = detectBankStatement(bytes, filename);
  if (!format) {
    const xml = head(bytes).trimStart().startsWith("<");
    const message = xml
      ? "XML file that is not an ISO 20022 camt.053/camt.054 bank statement"
      : "not a bank statement: expected camt.053/camt.054 (XML), CFONB 120 or MT940";
    throw new AppError("invalid_input", `${filename}: ${message}`, [{ field: "file", message }]);
  }
  const result = format === "camt" ? readCamt(bytes) : format === "cfonb" ? readCfonb(bytes) : readMt940(bytes);
  const { debits } = result.stats;
  if (debits > 0)
    result.warnings.unshift(`${debits} outgoing (debit) ${debits === 1 ? "entry" : "entries"} not imported: only incoming payments are`);
  return { format, ...result };
}
