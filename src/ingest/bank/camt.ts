/**
 * ISO 20022 bank-to-customer cash management messages → incoming payments.
 *
 * Reads camt.053 (BkToCstmrStmt, end-of-day statement), camt.054 (BkToCstmrDbtCdtNtfctn,
 * debit/credit notification) and, because it has the same entry structure, camt.052
 * (BkToCstmrAcctRpt, intraday report). Any version (001.02 … 001.08 and later): elements are
 * matched by local name, the namespace only tells the message type.
 *
 * Per entry (`Ntry`):
 * - only credits (`CdtDbtInd` CRDT) are read; debits are counted, not imported;
 * - only booked entries (`<Sts>BOOK</Sts>`, or `<Sts><Cd>BOOK</Cd></Sts>` from v8) are read;
 *   pending (PDNG), information (INFO) and reversals (`RvslInd` true: a returned outgoing
 *   payment, not a customer paying) are skipped with a warning;
 * - amount `Amt` (currency attribute `Ccy`), parsed exactly: `123.45000` is 123.45, and an
 *   amount that would lose a cent (`1.005`) is an error;
 * - date: booking date (`BookgDt/Dt`, or the date part of `BookgDt/DtTm` as written, no
 *   time-zone shift), else value date (`ValDt`);
 * - a batch entry with several `TxDtls` gives one payment per transaction when each has its own
 *   amount (`Amt`, else `AmtDtls/TxAmt/Amt`) in the entry currency and they add up to the entry
 *   amount; otherwise one payment for the whole entry (with a warning);
 * - payer: `RltdPties/Dbtr/Nm` (`Dbtr/Pty/Nm` from v8), else the ultimate debtor; payer IBAN
 *   `RltdPties/DbtrAcct/Id/IBAN`;
 * - remittance: every `RmtInf/Ustrd` joined; the creditor reference `Strd/CdtrRefInf/Ref` (an
 *   RF reference preferred) becomes `structuredReference`; referred document numbers
 *   `Strd/RfrdDocInf/Nb` become `invoiceNumbers` and are added to the text; `AddtlTxInf` /
 *   `AddtlNtryInf` is the text when there is no remittance information.
 *
 * Bank transaction id (unique key of the payment, stable when the same file is read again):
 * 1. the entry's `AcctSvcrRef` (unique at the account servicer) scoped by the account:
 *    `camt:{account}:{AcctSvcrRef}` — the same key whether the entry comes from a camt.052,
 *    camt.054 or camt.053, so importing both a notification and the statement never duplicates;
 * 2. else `NtryRef`, which ISO defines as unique only within the statement, so it is combined
 *    with the statement id: `camt:{account}:{statementId}:{NtryRef}`;
 * 3. else, for an entry with one transaction, its `Refs/AcctSvcrRef` (`camt:{account}:{ref}`)
 *    or its UETR (`uetr:{uuid}`, unique world-wide by construction);
 * 4. else the statement id and the entry's position in it, plus the end-to-end id or
 *    proprietary reference when given: `camt:{account}:{statementId}:#{n}[:{ref}]`
 *    (EndToEndId alone is chosen by the payer and is not unique).
 * A split batch entry's transactions use their own `AcctSvcrRef` / UETR when present, else the
 * entry key followed by `/{k}`. Ids still equal within one file get a `~2` suffix (warning).
 */
import { parseDate } from "../../domain/dates.js";
import { AppError } from "../../errors.js";
import { all, attr, DTD_REFUSED, first, parseXml, path, pathAll, text, textAt, type XNode } from "../einvoice/xml.js";
import type { ImportedPayment } from "../types.js";
import {
  type BankReadResult,
  clean,
  dedupeBankTxIds,
  emptyStats,
  invalidFile,
  joinText,
  normaliseIban,
  Problems,
  parseBankAmount,
} from "./common.js";

const WHAT = "camt file";

const MESSAGES = {
  BkToCstmrStmt: { kind: "camt.053", container: "Stmt" },
  BkToCstmrDbtCdtNtfctn: { kind: "camt.054", container: "Ntfctn" },
  BkToCstmrAcctRpt: { kind: "camt.052", container: "Rpt" },
} as const;

type MessageName = keyof typeof MESSAGES;

/** True when the bytes look like an ISO 20022 camt.052/053/054 message (cheap text sniffing). */
export function looksLikeCamt(head: string): boolean {
  return /urn:iso:std:iso:20022:tech:xsd:camt\.05[234]\./.test(head) || /<(?:\w+:)?BkToCstmr(?:Stmt|DbtCdtNtfctn|AcctRpt)[\s>]/.test(head);
}

function parseCamtXml(bytes: Uint8Array): ReturnType<typeof parseXml> {
  try {
    return parseXml(bytes);
  } catch (e) {
    // The shared XML reader speaks of e-invoices; say what was refused in a bank statement.
    if (e instanceof AppError && e.message.startsWith(DTD_REFUSED)) {
      const message = `${DTD_REFUSED}: a bank statement never has one (XML external entity protection)`;
      throw new AppError("invalid_input", `invalid camt file: ${message}`, [{ field: "XML", message }]);
    }
    throw e;
  }
}

export function readCamt(bytes: Uint8Array): BankReadResult {
  const xml = parseCamtXml(bytes);
  const warnings = [...xml.warnings];
  const stats = emptyStats();
  const problems = new Problems();
  const payments: ImportedPayment[] = [];

  if (xml.rootName !== "Document") throw invalidFile(WHAT, `root element is <${xml.rootName}>, expected <Document>`);
  const ns = xml.rootNamespace ?? "";
  const nsMatch = /camt\.(05[234])\.001\.(\d{2})/.exec(ns);
  const messageName = (Object.keys(MESSAGES) as MessageName[]).find((n) => first(xml.root, n));
  if (!messageName) {
    throw invalidFile(WHAT, "no camt.053 <BkToCstmrStmt>, camt.054 <BkToCstmrDbtCdtNtfctn> or camt.052 <BkToCstmrAcctRpt> message");
  }
  const { kind, container } = MESSAGES[messageName];
  if (!nsMatch) warnings.push(`namespace "${ns}" is not an ISO 20022 camt namespace; read as ${kind} by its element names`);
  else if (`camt.${nsMatch[1]}` !== kind) warnings.push(`namespace says camt.${nsMatch[1]} but the message is a ${kind}; read as ${kind}`);

  const message = first(xml.root, messageName);
  const msgId = textAt(message, "GrpHdr", "MsgId");
  const statements = all(message, container);
  if (statements.length === 0) throw invalidFile(WHAT, `${kind} message without any <${container}> (statement)`, undefined, container);

  let entryIndex = 0;
  statements.forEach((stmt, s) => {
    const stmtId = text(first(stmt, "Id")) ?? (msgId ? `${msgId}#${s + 1}` : `#${s + 1}`);
    if (!text(first(stmt, "Id"))) warnings.push(`${container} ${s + 1} has no <Id>; entries keyed by the message id and position`);
    const account = accountId(stmt);
    all(stmt, "Ntry").forEach((ntry, n) => {
      entryIndex++;
      stats.entries++;
      readEntry({ ntry, line: entryIndex, posInStmt: n + 1, stmtId, account, problems, warnings, stats, payments });
    });
  });

  problems.throwIfAny(WHAT);
  dedupeBankTxIds(payments, warnings);
  stats.credits = payments.length;
  return { payments, warnings, stats };
}

function accountId(stmt: XNode): string {
  const id = path(stmt, "Acct", "Id");
  const raw = textAt(id, "IBAN") ?? textAt(id, "Othr", "Id");
  return raw ? raw.replace(/\s+/g, "").toUpperCase() : "?";
}

interface EntryContext {
  ntry: XNode;
  /** 1-based index of the entry in the file (the "line" of an XML record). */
  line: number;
  posInStmt: number;
  stmtId: string;
  account: string;
  problems: Problems;
  warnings: string[];
  stats: ReturnType<typeof emptyStats>;
  payments: ImportedPayment[];
}

function status(ntry: XNode): string | null {
  const sts = first(ntry, "Sts");
  return text(sts) ?? textAt(sts, "Cd") ?? textAt(sts, "Prtry");
}

function readEntry(ctx: EntryContext): void {
  const { ntry, line, problems, warnings, stats } = ctx;
  const cdi = textAt(ntry, "CdtDbtInd");
  if (cdi === "DBIT") {
    stats.debits++;
    return;
  }
  if (cdi !== "CRDT") {
    problems.add(line, "CdtDbtInd", `entry ${line}: credit/debit indicator is ${cdi ? `"${cdi}"` : "missing"}, expected CRDT or DBIT`);
    return;
  }
  const sts = status(ntry);
  if (sts !== null && sts !== "BOOK") {
    warnings.push(`entry ${line}: status ${sts} (not booked), skipped`);
    stats.skipped++;
    return;
  }
  if (sts === null) warnings.push(`entry ${line}: no status; read as booked`);
  if (textAt(ntry, "RvslInd") === "true") {
    warnings.push(`entry ${line}: reversal of an outgoing payment (RvslInd), skipped`);
    stats.skipped++;
    return;
  }

  const amtNode = first(ntry, "Amt");
  const amtText = text(amtNode);
  const currency = attr(amtNode, "Ccy");
  if (!amtText) problems.add(line, "Amt", `entry ${line}: no amount`);
  if (!currency || !/^[A-Z]{3}$/.test(currency))
    problems.add(line, "Amt/@Ccy", `entry ${line}: currency is ${currency ? `"${currency}"` : "missing"}`);
  const amount = amtText ? parseBankAmount(amtText, problems, line, "Amt") : null;
  if (amount !== null && amount < 0) problems.add(line, "Amt", `entry ${line}: negative amount ${amtText}`);
  const date = entryDate(ntry, line, problems);
  if (amount === null || !currency || date === null || amount < 0) return;
  if (amount === 0) {
    warnings.push(`entry ${line}: zero amount, skipped`);
    stats.skipped++;
    return;
  }

  const txs = pathAll(ntry, "NtryDtls", "TxDtls");
  const entryKey = entryBankTxId(ctx, txs.length === 1 ? txs[0] : undefined);
  const split = txs.length > 1 ? splitAmounts(txs, amount, currency) : null;
  if (txs.length > 1 && !split) {
    warnings.push(`entry ${line}: batch of ${txs.length} transactions without amounts adding up to the entry; read as one payment`);
  }
  const base = { line, date, currency };

  if (split) {
    txs.forEach((tx, k) => {
      const ownRef = textAt(tx, "Refs", "AcctSvcrRef");
      const uetr = textAt(tx, "Refs", "UETR");
      const bankTxId = ownRef ? `camt:${ctx.account}:${ownRef}` : uetr ? `uetr:${uetr.toLowerCase()}` : `${entryKey}/${k + 1}`;
      ctx.payments.push({ ...base, amount: split[k] as number, bankTxId, ...details([tx], ntry) });
    });
    return;
  }
  ctx.payments.push({ ...base, amount, bankTxId: entryKey, ...details(txs, ntry) });
}

function entryDate(ntry: XNode, line: number, problems: Problems): string | null {
  for (const name of ["BookgDt", "ValDt"]) {
    const node = first(ntry, name);
    const raw = textAt(node, "Dt") ?? textAt(node, "DtTm");
    if (!raw) continue;
    try {
      return parseDate(raw.slice(0, 10));
    } catch {
      problems.add(line, name, `entry ${line}: invalid date "${raw}"`);
      return null;
    }
  }
  problems.add(line, "BookgDt", `entry ${line}: no booking date nor value date`);
  return null;
}

function entryBankTxId(ctx: EntryContext, onlyTx: XNode | undefined): string {
  const { ntry, account, stmtId } = ctx;
  const acctSvcrRef = textAt(ntry, "AcctSvcrRef");
  if (acctSvcrRef) return `camt:${account}:${acctSvcrRef}`;
  const ntryRef = textAt(ntry, "NtryRef");
  if (ntryRef) return `camt:${account}:${stmtId}:${ntryRef}`;
  const txRef = textAt(onlyTx, "Refs", "AcctSvcrRef");
  if (txRef) return `camt:${account}:${txRef}`;
  const uetr = textAt(onlyTx, "Refs", "UETR");
  if (uetr) return `uetr:${uetr.toLowerCase()}`;
  const e2e = textAt(onlyTx, "Refs", "EndToEndId");
  const extra = (e2e && e2e !== "NOTPROVIDED" ? e2e : null) ?? textAt(onlyTx, "Refs", "TxId") ?? textAt(onlyTx, "Refs", "Prtry", "Ref");
  return `camt:${account}:${stmtId}:#${ctx.posInStmt}${extra ? `:${extra}` : ""}`;
}

/** Per-transaction amounts of a batch entry, when they are all given, credits, in the entry currency and add up. */
function splitAmounts(txs: XNode[], total: number, currency: string): number[] | null {
  const amounts: number[] = [];
  for (const tx of txs) {
    const node = first(tx, "Amt") ?? path(tx, "AmtDtls", "TxAmt", "Amt");
    const raw = text(node);
    const cdi = textAt(tx, "CdtDbtInd");
    if (!raw || attr(node, "Ccy") !== currency || (cdi !== null && cdi !== "CRDT")) return null;
    const scratch = new Problems();
    const a = parseBankAmount(raw, scratch, undefined, "Amt");
    if (a === null || a <= 0) return null;
    amounts.push(a);
  }
  return amounts.reduce((s, a) => s + a, 0) === total ? amounts : null;
}

type Details = Pick<ImportedPayment, "reference" | "structuredReference" | "payerName" | "payerIban" | "invoiceNumbers">;

/** Payer and remittance of one payment, from its transaction(s) (several when a batch is read as one payment). */
function details(txs: XNode[], ntry: XNode): Details {
  const names = new Set<string>();
  const ibans = new Set<string>();
  const ustrd: string[] = [];
  const creditorRefs: string[] = [];
  const docNumbers: string[] = [];
  const extra: string[] = [];
  for (const tx of txs) {
    const parties = first(tx, "RltdPties");
    const name =
      textAt(parties, "Dbtr", "Nm") ??
      textAt(parties, "Dbtr", "Pty", "Nm") ??
      textAt(parties, "UltmtDbtr", "Nm") ??
      textAt(parties, "UltmtDbtr", "Pty", "Nm");
    const cleaned = clean(name);
    if (cleaned) names.add(cleaned);
    const iban = normaliseIban(textAt(parties, "DbtrAcct", "Id", "IBAN"));
    if (iban) ibans.add(iban);
    for (const rmt of all(tx, "RmtInf")) {
      for (const u of all(rmt, "Ustrd")) {
        const t = text(u);
        if (t) ustrd.push(t);
      }
      for (const strd of all(rmt, "Strd")) {
        for (const cri of all(strd, "CdtrRefInf")) {
          const ref = textAt(cri, "Ref");
          if (ref) creditorRefs.push(ref.replace(/\s+/g, " ").trim());
        }
        for (const rdi of all(strd, "RfrdDocInf")) {
          const nb = textAt(rdi, "Nb");
          if (nb) docNumbers.push(nb.trim());
        }
        for (const a of all(strd, "AddtlRmtInf")) {
          const t = text(a);
          if (t) extra.push(t);
        }
      }
    }
    const addtl = textAt(tx, "AddtlTxInf");
    if (addtl) extra.push(addtl);
  }
  const rf = creditorRefs.find((r) => /^RF\d{2}/i.test(r.replace(/\s+/g, "")));
  const structuredReference = rf ?? creditorRefs[0] ?? null;
  const otherRefs = creditorRefs.filter((r) => r !== structuredReference);
  let reference = joinText([...ustrd, ...docNumbers, ...otherRefs, ...extra]);
  if (reference === null && structuredReference === null) reference = clean(textAt(ntry, "AddtlNtryInf"));
  return {
    reference,
    structuredReference,
    payerName: names.size === 1 ? ([...names][0] ?? null) : null,
    payerIban: ibans.size === 1 ? ([...ibans][0] ?? null) : null,
    ...(docNumbers.length > 0 ? { invoiceNumbers: [...new Set(docNumbers)] } : {}),
  };
}
