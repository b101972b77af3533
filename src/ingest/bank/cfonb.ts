/**
 * CFONB 120 — "relevé de compte 120 caractères", the statement format French banks send to
 * SMEs — → incoming payments.
 *
 * Records (positions 1-based, inclusive, per the CFONB brochure):
 *
 * | field                       | 01 / 07 | 04      | 05      |
 * |-----------------------------|---------|---------|---------|
 * | record code                 | 1-2     | 1-2     | 1-2     |
 * | bank code                   | 3-7     | 3-7     | 3-7     |
 * | internal operation code     | (8-11)  | 8-11    | 8-11    |
 * | branch code                 | 12-16   | 12-16   | 12-16   |
 * | currency (ISO 4217)         | 17-19   | 17-19   | 17-19   |
 * | number of decimals          | 20      | 20      | 20      |
 * | account number              | 22-32   | 22-32   | 22-32   |
 * | interbank operation code    |         | 33-34   | 33-34   |
 * | date DDMMYY                 | 35-40   | 35-40 booking | 35-40 booking |
 * | reject code                 |         | 41-42   |         |
 * | value date DDMMYY           |         | 43-48   |         |
 * | qualifier (LIB, NPY, RCN…)  |         |         | 46-48   |
 * | label / complementary label |         | 49-79   | 49-118  |
 * | entry number                |         | 82-88   |         |
 * | commission exoneration      |         | 89      |         |
 * | unavailability              |         | 90      |         |
 * | amount                      | 91-104  | 91-104  |         |
 * | reference                   |         | 105-120 |         |
 *
 * 01 = old balance, 04 = movement, 05 = complement of the preceding 04, 07 = new balance.
 * Amounts: 13 digits then a sign character standing for the last digit: `{` = +0, `A`…`I` =
 * +1…+9, `}` = −0, `J`…`R` = −1…−9; the decimals count is position 20. Positive = credit to
 * the account. Only credits are read; debits are counted.
 *
 * Complements (05) by qualifier: NPY (payer name; NPO, the ultimate payer, as fallback) → payer;
 * IPY (payer identifier) → payer IBAN when it is one; LCS (structured remittance) → structured
 * reference; LIB, LCC, LC2, RCN (end-to-end reference), REF and any other text qualifier →
 * remittance text after the 04 label. Party and technical qualifiers (NBE, IBE, NBU, IBU, IPO,
 * MMO, RUM, ICS, BDB) are not text.
 *
 * Lines: 120 characters, or trimmed of trailing spaces (padded back), LF or CRLF, or one long
 * line of 120-character records without line breaks. A longer line, an unknown record code,
 * a malformed amount or date is an error naming the line. Each account block 01…07 is checked:
 * old balance + movements = new balance, else a warning.
 *
 * Bank transaction id: `cfonb:{bank}{branch}{account}:{booking date}:{entry number}` when the
 * bank numbers its entries (positions 82-88); else `cfonb:{bank}{branch}{account}:{statement
 * date}:#{n}:{booking date}` with n the movement's position in its 01…07 block. The same file
 * read again gives the same ids.
 */
import type { IsoDate } from "../../domain/dates.js";
import { type Cents, toDecimalString } from "../../domain/money.js";
import type { ImportedPayment } from "../types.js";
import {
  type BankReadResult,
  bankDate,
  clean,
  decodeBankText,
  dedupeBankTxIds,
  emptyStats,
  fullYear,
  invalidFile,
  joinText,
  normaliseIban,
  Problems,
} from "./common.js";

const WHAT = "CFONB 120 file";
const RECORD_LENGTH = 120;

/** A CFONB 120 file: its first records start with 01/04/05/07 and a 5-digit bank code, about 120 characters long. */
export function looksLikeCfonb(head: string): boolean {
  const text = head.replace(/^\uFEFF/, "");
  const lines = text
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() !== "")
    .slice(0, 5);
  if (lines.length === 0) return false;
  const [firstLine = ""] = lines;
  if (lines.length === 1 && firstLine.length > RECORD_LENGTH) {
    return /^0[14]\d{5}/.test(firstLine) && firstLine.replace(/\s+$/, "").length >= 104;
  }
  return (
    /^0[14]\d{5}/.test(firstLine) &&
    firstLine.replace(/\s+$/, "").length >= 104 &&
    lines.every((l) => /^0[1457]/.test(l) && l.replace(/\s+$/, "").length <= RECORD_LENGTH)
  );
}

const SIGN: Record<string, [1 | -1, number]> = { "{": [1, 0], "}": [-1, 0] };
for (let d = 1; d <= 9; d++) {
  SIGN[String.fromCharCode(64 + d)] = [1, d]; // A..I
  SIGN[String.fromCharCode(73 + d)] = [-1, d]; // J..R
}

/** Decodes a 14-character CFONB amount with `decimals` decimals into signed cents; null when malformed. */
export function decodeCfonbAmount(field: string, decimals: number): Cents | null {
  const m = /^(\d{13})(.)$/.exec(field);
  if (!m) return null;
  const sign = SIGN[m[2] as string];
  if (!sign) return null;
  const units = Number(m[1]) * 10 + sign[1];
  let cents: number;
  if (decimals === 2) cents = units;
  else if (decimals < 2) cents = units * 10 ** (2 - decimals);
  else {
    const div = 10 ** (decimals - 2);
    if (units % div !== 0) return null;
    cents = units / div;
  }
  return sign[0] * cents;
}

interface Record04 {
  line: number;
  account: string;
  currency: string;
  bookingDate: IsoDate;
  label: string;
  entryNumber: string | null;
  reference: string | null;
  amount: Cents;
  complements: { qualifier: string; text: string }[];
  /** Position in its 01…07 block. */
  n: number;
  statementDate: string;
}

interface Block {
  account: string;
  oldBalance: Cents | null;
  statementDate: string;
  movements: Cents;
  count: number;
  ok: boolean;
}

const NOT_TEXT = new Set(["NPY", "NPO", "IPY", "NBE", "IBE", "NBU", "IBU", "IPO", "MMO", "RUM", "ICS", "BDB", "LCS"]);

export function readCfonb(bytes: Uint8Array): BankReadResult {
  const text = decodeBankText(bytes);
  let lines = text.split(/\r\n|\r|\n/);
  const nonEmpty = lines.filter((l) => l.trim() !== "");
  if (nonEmpty.length === 1 && (nonEmpty[0] as string).length > RECORD_LENGTH && (nonEmpty[0] as string).length % RECORD_LENGTH === 0) {
    // Records concatenated without line breaks.
    const all = nonEmpty[0] as string;
    lines = [];
    for (let i = 0; i < all.length; i += RECORD_LENGTH) lines.push(all.slice(i, i + RECORD_LENGTH));
  }
  const warnings: string[] = [];
  const stats = emptyStats();
  const problems = new Problems();
  const movements: Record04[] = [];
  let block: Block | null = null;
  let last04: Record04 | null = null;
  let sawRecord = false;

  const date = (raw: string, lineNo: number, field: string): IsoDate | null => {
    const m = /^(\d{2})(\d{2})(\d{2})$/.exec(raw);
    const d = m ? bankDate(fullYear(Number(m[3])), Number(m[2]), Number(m[1])) : null;
    if (!d) {
      problems.add(lineNo, field, `line ${lineNo}: ${field} "${raw}" is not a DDMMYY date`);
      return null;
    }
    if (d.clamped) warnings.push(`line ${lineNo}: ${field} ${raw} does not exist; read as ${d.date}`);
    return d.date;
  };

  lines.forEach((rawLine, i) => {
    const lineNo = i + 1;
    if (rawLine.trim() === "") return;
    const trimmed = rawLine.replace(/\s+$/, "");
    if (trimmed.length > RECORD_LENGTH) {
      problems.add(lineNo, "record", `line ${lineNo}: ${trimmed.length} characters, a CFONB 120 record has ${RECORD_LENGTH}`);
      return;
    }
    const r = trimmed.padEnd(RECORD_LENGTH, " ");
    const code = r.slice(0, 2);
    if (!["01", "04", "05", "07"].includes(code)) {
      problems.add(lineNo, "record code", `line ${lineNo}: record code "${code}" is not 01, 04, 05 or 07`);
      return;
    }
    sawRecord = true;
    const minLength = code === "05" ? 48 : 104;
    if (trimmed.length < minLength) {
      problems.add(
        lineNo,
        "record",
        `line ${lineNo}: record ${code} is ${trimmed.length} characters long, too short (at least ${minLength})`,
      );
      return;
    }
    const account = `${r.slice(2, 7)}${r.slice(11, 16)}${r.slice(21, 32)}`.replace(/\s+/g, "");
    const decimalsRaw = r.slice(19, 20);
    const currency = r.slice(16, 19);
    if (code === "05") {
      if (!last04) {
        warnings.push(`line ${lineNo}: complement record 05 without a preceding movement 04, ignored`);
        return;
      }
      last04.complements.push({ qualifier: r.slice(45, 48).trim(), text: r.slice(48, 118) });
      return;
    }
    if (!/^\d$/.test(decimalsRaw)) {
      problems.add(lineNo, "decimals", `line ${lineNo}: number of decimals (position 20) is "${decimalsRaw}", expected a digit`);
      return;
    }
    const amount = decodeCfonbAmount(r.slice(90, 104), Number(decimalsRaw));
    if (amount === null) {
      problems.add(lineNo, "amount", `line ${lineNo}: amount "${r.slice(90, 104)}" is not 13 digits and a sign character ({, A-I, }, J-R)`);
      return;
    }
    if (!/^[A-Z]{3}$/.test(currency)) {
      problems.add(lineNo, "currency", `line ${lineNo}: currency "${currency}" is not an ISO 4217 code`);
      return;
    }
    if (code === "01") {
      if (block && block.account === account)
        warnings.push(`line ${lineNo}: old balance 01 before the new balance 07 of the previous block`);
      const d = date(r.slice(34, 40), lineNo, "date");
      block = { account, oldBalance: amount, statementDate: d ?? r.slice(34, 40), movements: 0, count: 0, ok: d !== null };
      last04 = null;
      return;
    }
    if (code === "07") {
      date(r.slice(34, 40), lineNo, "date");
      if (!block || block.account !== account) {
        warnings.push(`line ${lineNo}: new balance 07 without the old balance 01 of account ${account}`);
      } else if (block.ok && block.oldBalance !== null && block.oldBalance + block.movements !== amount) {
        warnings.push(
          `line ${lineNo}: new balance ${toDecimalString(amount)} ≠ old balance ${toDecimalString(block.oldBalance)} + movements ${toDecimalString(block.movements)}`,
        );
      }
      block = null;
      last04 = null;
      return;
    }
    // 04: movement
    stats.entries++;
    if (!block || block.account !== account) {
      if (block) warnings.push(`line ${lineNo}: movement of account ${account} inside the block of account ${block.account}`);
      else warnings.push(`line ${lineNo}: movement without an old balance record 01`);
      block = { account, oldBalance: null, statementDate: "-", movements: 0, count: 0, ok: false };
    }
    block.count++;
    block.movements += amount;
    const bookingDate = date(r.slice(34, 40), lineNo, "booking date");
    if (r.slice(42, 48).trim() !== "") date(r.slice(42, 48), lineNo, "value date");
    if (bookingDate === null) {
      block.ok = false;
      last04 = null;
      return;
    }
    const entryNumber = r.slice(81, 88).trim();
    last04 = {
      line: lineNo,
      account,
      currency,
      bookingDate,
      label: r.slice(48, 79),
      entryNumber: entryNumber !== "" && !/^0+$/.test(entryNumber) ? entryNumber : null,
      reference: clean(r.slice(104, 120)),
      amount,
      complements: [],
      n: block.count,
      statementDate: block.statementDate,
    };
    movements.push(last04);
  });

  if (!sawRecord) throw invalidFile(WHAT, "no CFONB record (01, 04, 05, 07) found");
  problems.throwIfAny(WHAT);

  const payments: ImportedPayment[] = [];
  for (const mv of movements) {
    if (mv.amount < 0) {
      stats.debits++;
      continue;
    }
    if (mv.amount === 0) {
      warnings.push(`line ${mv.line}: zero amount, skipped`);
      stats.skipped++;
      continue;
    }
    const byQualifier = (q: string) => joinText(mv.complements.filter((c) => c.qualifier === q).map((c) => c.text));
    const texts = mv.complements.filter((c) => !NOT_TEXT.has(c.qualifier)).map((c) => c.text);
    const bankTxId = mv.entryNumber
      ? `cfonb:${mv.account}:${mv.bookingDate}:${mv.entryNumber}`
      : `cfonb:${mv.account}:${mv.statementDate}:#${mv.n}:${mv.bookingDate}`;
    payments.push({
      line: mv.line,
      date: mv.bookingDate,
      amount: mv.amount,
      currency: mv.currency,
      reference: joinText([mv.label, ...texts]),
      structuredReference: byQualifier("LCS"),
      bankTxId,
      payerName: byQualifier("NPY") ?? byQualifier("NPO"),
      payerIban: normaliseIban(byQualifier("IPY")),
    });
  }
  dedupeBankTxIds(payments, warnings);
  stats.credits = payments.length;
  return { payments, warnings, stats };
}
