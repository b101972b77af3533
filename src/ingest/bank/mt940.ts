/**
 * SWIFT MT940 customer statements (and MT942 interim reports, same fields) → incoming payments.
 *
 * Fields read: `:20:` statement reference, `:25:` account, `:28C:`/`:28:` statement number,
 * `:60F:`/`:60M:` opening balance (currency), `:61:` statement line, `:86:` information to the
 * account owner (the `:86:` right after a `:61:` belongs to it), `:62F:`/`:62M:` closing
 * balance, `:34F:`/`:13D:` of an MT942. Other fields (`:21:`, `:64:`, `:65:`, `:90C:`…) are
 * ignored. Several statements per file; the SWIFT envelope (`{1:…}{2:…}{3:…}{4:` … `-}{5:…}`)
 * and bank header lines before the first field (`ABNANL2A`, `940`, `0000 01INGB…`) are skipped.
 *
 * `:61:` = value date YYMMDD, optional entry date MMDD, mark C / D / RC / RD (EC / ED in an
 * MT942), optional funds code letter, amount with a decimal comma, transaction type (N/F/S + 3),
 * customer reference, optional `//` bank reference, optional supplementary details on the next
 * line. Only credits (C) are read; debits (D) and reversals of credits (RC) are counted as
 * debits; reversals of debits (RD, a failed outgoing payment coming back) and expected entries
 * (EC/ED) are skipped with a warning.
 *
 * Payment date = entry date (the booking date), else value date. The entry date's year is the
 * value date's year, moved by one when that puts the two dates closer (31 Dec / 02 Jan).
 * Impossible days that banks really emit (30 February) are clamped to the month's last day,
 * with a warning.
 *
 * `:86:` is read in the three common shapes:
 * - German structured (`166?00GUTSCHRIFT?20…?21…?31IBAN?32name?33name`): purpose text from
 *   ?20–?29 and ?60–?63 (SEPA keys EREF+, SVWZ+… kept, spaced), payer name ?32+?33, payer
 *   account ?31 (kept when it is an IBAN);
 * - Dutch/ING/Rabobank/ABN AMRO slash tags (`/TRTP/…/CNTP/iban/bic/name/city/REMI/…/EREF/…`):
 *   REMI (USTD/STRD wrappers removed) and EREF as text, payer from ORDP/NAME/IBAN or CNTP;
 * - free text, lines joined (no space where a 65-character line was cut mid-word).
 *
 * Bank transaction id: `mt940:{account}:{:20:}:{:28C:}:{opening balance date}:{n}[:{ref}]`, n
 * being the position of the `:61:` in its statement and ref its bank reference (after `//`), else
 * its customer reference. Banks reuse `:20:` (Sparkasse "STARTUMSE") and statement numbers, so the
 * account and the opening date make it unique; the same file read again gives the same ids. A
 * fragment without `:20:` uses `mt940:{account}:-:{value date}:{amount in cents}:{n}[:{ref}]`.
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
  parseBankAmount,
} from "./common.js";

const WHAT = "MT940 file";

/** A field line `:61:`, `:28C:`, `:NS:` is not one (no digits). */
const TAG = /^:(\d{2}[A-Z]?):(.*)$/;

export function looksLikeMt940(head: string): boolean {
  return /(?:^|[\r\n{]|\{4:)\s*:(?:20|25|28C?|60[FM]|61|62[FM]):/.test(head);
}

interface Field {
  tag: string;
  /** First line of the value, then continuation lines. */
  lines: string[];
  line: number;
}

interface Statement {
  fields: Field[];
  line: number;
}

/** Splits the text into statements of fields, skipping envelopes, headers and trailers. */
function scan(text: string): Statement[] {
  const body = text
    .replace(/\{[1-3]:(?:[^{}]|\{[^{}]*\})*\}/g, "")
    .replace(/\{5:(?:[^{}]|\{[^{}]*\})*\}/g, "")
    .replace(/\{4:/g, "")
    .replace(/-\}/g, "-");
  const lines = body.split(/\r\n|\r|\n/);
  const statements: Statement[] = [];
  let current: Statement | null = null;
  let field: Field | null = null;
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i] ?? "";
    const lineNo = i + 1;
    // A tag cut after its first colon (":" alone, then "86:…" on the next line) — seen in a Sparkasse export.
    if (raw.trim() === ":" && /^\d{2}[A-Z]?:/.test(lines[i + 1] ?? "")) {
      raw = `:${lines[i + 1]}`;
      i++;
    }
    if (raw.trim() === "") continue;
    if (/^-[A-Z]*\s*$/.test(raw)) {
      // End of a message ("-", "-}", ING's "-XXX").
      current = null;
      field = null;
      continue;
    }
    if (/^:\d{3}:\s*$/.test(raw)) continue; // Rabobank ":940:" header
    const m = TAG.exec(raw);
    if (m) {
      const tag = m[1] as string;
      if (tag === "20" || current === null) {
        current = { fields: [], line: lineNo };
        statements.push(current);
      }
      field = { tag, lines: [m[2] ?? ""], line: lineNo };
      current.fields.push(field);
      continue;
    }
    // Continuation of the current field; text outside any statement is a bank header.
    if (field) field.lines.push(raw);
  }
  return statements;
}

interface Balance {
  sign: 1 | -1;
  date: IsoDate;
  currency: string;
  amount: Cents;
}

export function readMt940(bytes: Uint8Array): BankReadResult {
  const text = decodeBankText(bytes);
  const statements = scan(text);
  if (statements.length === 0 || !statements.some((s) => s.fields.some((f) => f.tag === "61" || f.tag === "20"))) {
    throw invalidFile(WHAT, "no MT940 statement found (no :20: or :61: field)");
  }
  const warnings: string[] = [];
  const stats = emptyStats();
  const problems = new Problems();
  const payments: ImportedPayment[] = [];
  for (const st of statements) readStatement(st, { warnings, stats, problems, payments });
  problems.throwIfAny(WHAT);
  dedupeBankTxIds(payments, warnings);
  stats.credits = payments.length;
  return { payments, warnings, stats };
}

interface Sink {
  warnings: string[];
  stats: ReturnType<typeof emptyStats>;
  problems: Problems;
  payments: ImportedPayment[];
}

function readBalance(f: Field, problems: Problems, warnings: string[]): Balance | null {
  const v = f.lines.join("").trim();
  const m = /^([CD])(\d{2})(\d{2})(\d{2})([A-Z]{3})(\d[\d,]*)$/.exec(v);
  if (!m) {
    problems.add(f.line, `:${f.tag}:`, `line ${f.line}: balance "${v}" is not mark, YYMMDD, currency, amount`);
    return null;
  }
  const d = bankDate(fullYear(Number(m[2])), Number(m[3]), Number(m[4]));
  if (!d) {
    problems.add(f.line, `:${f.tag}:`, `line ${f.line}: invalid date in balance "${v}"`);
    return null;
  }
  if (d.clamped) warnings.push(`line ${f.line}: date ${m[2]}${m[3]}${m[4]} does not exist; read as ${d.date}`);
  const amount = parseBankAmount(m[6] as string, problems, f.line, `:${f.tag}:`);
  if (amount === null) return null;
  return { sign: m[1] === "C" ? 1 : -1, date: d.date, currency: m[5] as string, amount };
}

interface StatementLine {
  valueDate: IsoDate;
  entryDate: IsoDate | null;
  mark: "C" | "D" | "RC" | "RD" | "EC" | "ED";
  amount: Cents;
  customerRef: string;
  bankRef: string | null;
  supplementary: string | null;
}

const LINE_61 = /^(\d{2})(\d{2})(\d{2})(\d{4})?(RC|RD|EC|ED|C|D)([A-Z])?(\d+,\d*)([A-Z][A-Z0-9]{3})(.*)$/;

function readLine61(f: Field, problems: Problems, warnings: string[]): StatementLine | null {
  const [first = "", ...rest] = f.lines.map((l) => l.trim());
  let m = LINE_61.exec(first);
  let extra = rest;
  if (!m && rest.length > 0) {
    // The amount pushed to the next line (Sparkasse export): read the two lines as one.
    m = LINE_61.exec(first + rest[0]);
    extra = rest.slice(1);
  }
  if (!m) {
    problems.add(f.line, ":61:", `line ${f.line}: statement line "${first}" is not YYMMDD[MMDD] C/D amount type reference`);
    return null;
  }
  const year = fullYear(Number(m[1]));
  const vd = bankDate(year, Number(m[2]), Number(m[3]));
  if (!vd) {
    problems.add(f.line, ":61:", `line ${f.line}: invalid value date ${m[1]}${m[2]}${m[3]}`);
    return null;
  }
  if (vd.clamped) warnings.push(`line ${f.line}: value date ${m[1]}${m[2]}${m[3]} does not exist; read as ${vd.date}`);
  let entryDate: IsoDate | null = null;
  if (m[4]) {
    const mm = Number(m[4].slice(0, 2));
    const dd = Number(m[4].slice(2));
    // The year that puts the entry date closest to the value date.
    let best: { date: IsoDate; clamped: boolean } | null = null;
    let bestGap = Number.POSITIVE_INFINITY;
    for (const y of [year - 1, year, year + 1]) {
      const c = bankDate(y, mm, dd);
      if (!c) break;
      const gap = Math.abs(Date.parse(c.date) - Date.parse(vd.date));
      if (gap < bestGap) {
        best = c;
        bestGap = gap;
      }
    }
    if (!best) {
      problems.add(f.line, ":61:", `line ${f.line}: invalid entry date ${m[4]}`);
      return null;
    }
    if (best.clamped) warnings.push(`line ${f.line}: entry date ${m[4]} does not exist; read as ${best.date}`);
    entryDate = best.date;
  }
  const amount = parseBankAmount(m[7] as string, problems, f.line, ":61:");
  if (amount === null) return null;
  const tail = m[9] ?? "";
  const slash = tail.indexOf("//");
  const customerRef = (slash >= 0 ? tail.slice(0, slash) : tail).trim();
  const bankRef = slash >= 0 ? tail.slice(slash + 2).trim() || null : null;
  return {
    valueDate: vd.date,
    entryDate,
    mark: m[5] as StatementLine["mark"],
    amount,
    customerRef,
    bankRef,
    supplementary: joinText(extra),
  };
}

function readStatement(st: Statement, sink: Sink): void {
  const { warnings, stats, problems } = sink;
  const get = (...tags: string[]) => st.fields.find((f) => tags.includes(f.tag));
  const ref = clean(get("20")?.lines.join(" ")) ?? null;
  const account = (get("25")?.lines.join("") ?? "").replace(/\s+/g, "").toUpperCase() || "?";
  const number = clean(get("28C", "28")?.lines.join("")) ?? "-";
  const openingField = get("60F", "60M");
  const closingField = get("62F", "62M");
  const opening = openingField ? readBalance(openingField, problems, warnings) : null;
  const closing = closingField ? readBalance(closingField, problems, warnings) : null;
  if (!ref) warnings.push(`line ${st.line}: statement without a :20: reference`);
  let currency = opening?.currency ?? closing?.currency ?? null;
  if (!currency) {
    const f34 = get("34F");
    currency = f34 ? (/^([A-Z]{3})/.exec(f34.lines.join("").trim())?.[1] ?? null) : null;
  }
  if (!currency) {
    warnings.push(`line ${st.line}: statement gives no currency (no :60F:, :62F: or :34F:); EUR assumed`);
    currency = "EUR";
  }
  const f13 = get("13D", "13");
  const stamp = opening?.date ?? (f13 ? (/^(\d{6})/.exec(f13.lines.join(""))?.[1] ?? "-") : "-");

  let n = 0;
  let movement = 0;
  let linesOk = true;
  for (let i = 0; i < st.fields.length; i++) {
    const f = st.fields[i] as Field;
    if (f.tag !== "61") continue;
    n++;
    stats.entries++;
    const line = readLine61(f, problems, warnings);
    if (!line) {
      linesOk = false;
      continue;
    }
    const next = st.fields[i + 1];
    const info = next?.tag === "86" ? readInfo(next.lines) : null;
    if (line.mark === "C" || line.mark === "RD") movement += line.amount;
    else if (line.mark === "D" || line.mark === "RC") movement -= line.amount;
    if (line.mark === "D" || line.mark === "RC") {
      stats.debits++;
      continue;
    }
    if (line.mark !== "C") {
      warnings.push(`line ${f.line}: ${line.mark === "RD" ? "reversal of a debit" : "expected (not booked) entry"} ${line.mark}, skipped`);
      stats.skipped++;
      continue;
    }
    if (line.amount === 0) {
      warnings.push(`line ${f.line}: zero amount, skipped`);
      stats.skipped++;
      continue;
    }
    const lineRef = line.bankRef ?? (line.customerRef && line.customerRef !== "NONREF" ? line.customerRef : null);
    // Without :20: nothing identifies the statement: the entry's own date and amount go into the key.
    const statementKey = ref ? `${ref}:${number}:${stamp}` : `-:${line.valueDate}:${line.amount}`;
    const bankTxId = `mt940:${account}:${statementKey}:${n}${lineRef ? `:${lineRef}` : ""}`;
    sink.payments.push({
      line: f.line,
      date: line.entryDate ?? line.valueDate,
      amount: line.amount,
      currency,
      reference: info?.reference ?? line.supplementary,
      structuredReference: info?.structuredReference ?? null,
      bankTxId,
      payerName: info?.payerName ?? null,
      payerIban: info?.payerIban ?? normaliseIban(line.supplementary),
    });
  }
  if (opening && closing && linesOk && opening.currency === closing.currency) {
    const expected = opening.sign * opening.amount + movement;
    if (expected !== closing.sign * closing.amount) {
      warnings.push(
        `line ${closingField?.line}: closing balance ${toDecimalString(closing.sign * closing.amount)} ≠ opening ${toDecimalString(opening.sign * opening.amount)} + movements ${toDecimalString(movement)}`,
      );
    }
  }
}

interface Info {
  reference: string | null;
  structuredReference: string | null;
  payerName: string | null;
  payerIban: string | null;
}

const SEPA_KEYS = /(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT|IBAN|BIC)\+/g;

/**
 * Joins the lines of a field. SWIFT lines hold 65 characters (the first one shares them with the
 * tag, though many banks write 65 after it): a full line was cut mid-word and continues without
 * a space; a shorter one ended a phrase. A line ending on a German subfield mark ("?", "?2") or
 * a line starting with one continues without a space too.
 */
export function joinWrapped(lines: string[]): string {
  let out = "";
  lines.forEach((l, k) => {
    if (k === 0) {
      out = l;
      return;
    }
    const prev = lines[k - 1] ?? "";
    const tight = prev.length >= (k === 1 ? 61 : 65) || /\?\d?$/.test(prev) || /^\?\d/.test(l);
    out += tight ? l : ` ${l}`;
  });
  return out;
}

/** Reads a `:86:` field in its German (?nn), Dutch (/TAG/) or free-text form. */
export function readInfo(lines: string[]): Info {
  // German subfields carry their own structure (27-character pieces): lines are joined as they are.
  const tight = lines.join("");
  if (/^\s*\d{3}\?\d{2}/.test(tight)) return germanInfo(tight);
  const joined = joinWrapped(lines);
  if (/\/(?:TRTP|REMI|NAME|EREF|IBAN|CNTP|ORDP|BENM)\//.test(joined)) return dutchInfo(joined);
  return { reference: clean(joined), structuredReference: null, payerName: null, payerIban: null };
}

/** German subfields of 27 characters continue each other mid-word; a shorter one ended a phrase. */
function joinSubfields(pieces: string[]): string {
  let out = "";
  pieces.forEach((p, k) => {
    out += k === 0 || (pieces[k - 1] ?? "").length >= 27 ? p : ` ${p}`;
  });
  return out;
}

function germanInfo(text: string): Info {
  const parts = new Map<string, string>();
  const re = /\?(\d{2})/g;
  const marks: { code: string; start: number; end: number }[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) marks.push({ code: m[1] as string, start: m.index, end: m.index + m[0].length });
  marks.forEach((mk, k) => {
    const value = text.slice(mk.end, marks[k + 1]?.start ?? text.length);
    parts.set(mk.code, (parts.get(mk.code) ?? "") + value);
  });
  const purposeCodes = ["20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "60", "61", "62", "63"];
  const purpose = joinSubfields(purposeCodes.flatMap((c) => parts.get(c) ?? []))
    .replace(SEPA_KEYS, " $1+")
    .replace(/MTLG:/g, " MTLG:");
  const reference = clean(purpose) ?? clean(parts.get("00"));
  const payerName = clean(joinSubfields([parts.get("32") ?? "", parts.get("33") ?? ""]));
  return { reference, structuredReference: null, payerName, payerIban: normaliseIban(parts.get("31")) };
}

const DUTCH_KEYS =
  /\/(TRTP|IBAN|BIC|NAME|REMI|EREF|MARF|CSID|CNTP|ORDP|BENM|ULTC|ULTD|ULTB|ISDT|PURP|RTRN|ID|ADDR|CITY|SVCL|BUSP|PREF|ACCW|EXCH|OCMT|FX|COAM)\//g;

function dutchInfo(text: string): Info {
  const marks: { key: string; start: number; end: number }[] = [];
  DUTCH_KEYS.lastIndex = 0;
  for (let m = DUTCH_KEYS.exec(text); m; m = DUTCH_KEYS.exec(text)) {
    marks.push({ key: m[1] as string, start: m.index, end: m.index + m[0].length });
    // The closing slash of a key is the opening slash of the next one ("/REMI//ISDT/").
    DUTCH_KEYS.lastIndex = m.index + m[0].length - 1;
  }
  let party: "payer" | "beneficiary" | null = null;
  let payerName: string | null = null;
  let payerIban: string | null = null;
  let remi: string | null = null;
  let eref: string | null = null;
  let structuredReference: string | null = null;
  marks.forEach((mk, k) => {
    const raw = text.slice(mk.end, marks[k + 1]?.start ?? text.length).replace(/\/+$/, "");
    switch (mk.key) {
      case "ORDP":
      case "ULTD":
        party = "payer";
        break;
      case "BENM":
      case "ULTB":
        party = "beneficiary";
        break;
      case "NAME":
        if (party !== "beneficiary" && !payerName) payerName = clean(raw);
        break;
      case "IBAN":
        if (party !== "beneficiary" && !payerIban) payerIban = normaliseIban(raw);
        break;
      case "CNTP": {
        const [iban, , name] = raw.split("/");
        payerIban ??= normaliseIban(iban);
        payerName ??= clean(name);
        break;
      }
      case "REMI": {
        const strd = /^STRD\/(?:CUR|ISO)\/([^/]+)/.exec(raw);
        if (strd) structuredReference = clean(strd[1]);
        remi = clean(raw.replace(/^USTD\/\/?/, "").replace(/^STRD\/(?:CUR|ISO)\//, ""));
        break;
      }
      case "EREF":
        if (raw.trim() !== "NOTPROVIDED") eref = clean(raw);
        break;
      default:
        break;
    }
  });
  return { reference: joinText([remi, eref]), structuredReference, payerName, payerIban };
}
