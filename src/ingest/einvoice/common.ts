/**
 * What the CII, ZUGFeRD 1.0 and UBL readers share: the result type, amounts, dates,
 * document kind and sign, buyer identifiers, and the "invalid file" error.
 */
import { addDays, endOfMonth, type IsoDate, parseDate } from "../../domain/dates.js";
import { type Cents, parseMoney } from "../../domain/money.js";
import { AppError, type Problem } from "../../errors.js";
import type { ImportedInvoice, ImportedParty } from "../types.js";

export type EInvoiceFormat = "facturx" | "cii" | "ubl";

/** What a reader gives: an ImportedInvoice plus what the file said and what we noticed. */
export interface EInvoice extends ImportedInvoice {
  format: EInvoiceFormat;
  /** The XML vocabulary read: CII D16B (Factur-X, ZUGFeRD 2.x, XRechnung CII), ZUGFeRD 1.0, UBL 2.1. */
  syntax: "cii" | "zugferd1" | "ubl";
  /** BT-24 specification identifier (`urn:factur-x.eu:1p0:minimum`, …), as written. */
  guideline: string | null;
  /** Short profile name derived from BT-24: MINIMUM, BASIC WL, BASIC, EN16931, EXTENDED, XRECHNUNG… */
  profile: string | null;
  /** BT-3 document type code as written (380, 381, 384, 389…). */
  typeCode: string;
  /** BT-115 amount due for payment, signed like `total`; null when the file gives none. */
  due: Cents | null;
  /** BT-20 payment terms text, when given. */
  paymentTerms: string | null;
  /** For a Factur-X/ZUGFeRD PDF: the name of the embedded XML that was read. */
  embeddedFilename?: string;
  /** Non-blocking findings: rounded amounts, derived values, ignored attachments… */
  warnings: string[];
}

/** Collects problems and warnings while reading one document. */
export class ReadContext {
  readonly warnings: string[] = [];
  readonly problems: Problem[] = [];
  constructor(readonly label: string) {}

  warn(message: string) {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  problem(field: string, message: string) {
    this.problems.push({ field, message });
  }

  /** Throws the collected problems as one AppError("invalid_input"), if any. */
  check() {
    if (this.problems.length === 0) return;
    const first = this.problems[0];
    const summary = this.problems.length === 1 && first ? `${first.field}: ${first.message}` : `${this.problems.length} problems`;
    throw new AppError("invalid_input", `invalid e-invoice ${this.label}: ${summary}`, this.problems);
  }
}

const XSD_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * Reads an XML amount (xsd:decimal, e.g. "123.45000", "-8.79", "5.") into cents with
 * parseMoney. More than two significant decimals (a producer writing "10.125") are rounded
 * half away from zero to the cent — the commercial rounding EN 16931 totals are expressed
 * in — and a warning names the field, instead of refusing the whole invoice.
 * Returns null (and records a problem) for text that is not a decimal number.
 */
export function readAmount(ctx: ReadContext, raw: string | null, field: string): Cents | null {
  if (raw === null) return null;
  const s = raw.replace(/\s+/g, "");
  const m = XSD_DECIMAL.exec(s);
  if (!m || ((m[2] ?? "") === "" && (m[3] ?? "") === "")) {
    ctx.problem(field, `"${raw}" is not a decimal amount`);
    return null;
  }
  const sign = m[1] === "-" ? "-" : "";
  const int = m[2] || "0";
  const frac = m[3] ?? "";
  let cents: Cents;
  try {
    if (/^0*$/.test(frac.slice(2))) {
      cents = parseMoney(`${sign}${int}.${frac.slice(0, 2).padEnd(2, "0")}`);
    } else {
      const truncated = parseMoney(`${int}.${frac.slice(0, 2)}`);
      const up = Number(frac[2]) >= 5 ? 1 : 0;
      const abs = truncated + up;
      cents = sign === "-" && abs !== 0 ? -abs : abs;
      ctx.warn(`${field}: ${raw} has more than two decimals; rounded to ${sign}${(abs / 100).toFixed(2)}`);
    }
  } catch (e) {
    ctx.problem(field, (e as Error).message);
    return null;
  }
  return cents;
}

/**
 * A CII date (udt:DateTimeString / qdt:DateTimeString). Format 102 (CCYYMMDD) is what
 * EN 16931 allows for every date we read; a missing format attribute with 8 digits or an
 * ISO date is tolerated. Any other declared format is refused, because we cannot know how
 * its digits are meant (the corpus' fail file declares "1020").
 */
export function readCiiDate(ctx: ReadContext, raw: string | null, format: string | null, field: string): IsoDate | null {
  if (raw === null) return null;
  const s = raw.trim();
  if (format !== null && format !== "102") {
    ctx.problem(field, `date format "${format}" is not supported (expected 102 = YYYYMMDD)`);
    return null;
  }
  if (!/^\d{8}$/.test(s) && !/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    ctx.problem(field, `"${raw}" is not a date in format 102 (YYYYMMDD)`);
    return null;
  }
  try {
    return parseDate(s);
  } catch (e) {
    ctx.problem(field, (e as Error).message);
    return null;
  }
}

/** A UBL date (xsd:date, "2019-09-23", possibly with a time zone suffix). */
export function readIsoDate(ctx: ReadContext, raw: string | null, field: string): IsoDate | null {
  if (raw === null) return null;
  const m = /^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?$/.exec(raw.trim());
  if (!m?.[1]) {
    ctx.problem(field, `"${raw}" is not a date (expected YYYY-MM-DD)`);
    return null;
  }
  try {
    return parseDate(m[1]);
  } catch (e) {
    ctx.problem(field, (e as Error).message);
    return null;
  }
}

/**
 * EN 16931 document type codes (UNTDID 1001 subset, BR-CL-01) that are credit notes.
 * Every other code is an invoice: 380 commercial invoice, 384 corrective invoice, 389
 * self-billed invoice (a German "Gutschrift" is a 389, not a credit note), 386 prepayment…
 */
const CREDIT_NOTE_CODES = new Set("81 83 261 262 296 308 381 396 420 458 532".split(" "));
const INVOICE_CODES = new Set(
  "80 82 84 130 202 203 204 211 218 219 295 325 326 331 380 382 383 384 385 386 387 388 389 390 393 394 395 456 457 527 553 575 623 633 751 780 817 870 875 876 877 935".split(
    " ",
  ),
);

/**
 * Document kind and the sign of every stored amount. The stored sign is the economic
 * direction: positive = the customer owes us, negative = we owe the customer.
 * - a credit-note type code (381…) with positive amounts → credit note, amounts negated;
 * - an invoice type code with a NEGATIVE grand total (a "negative invoice", the PEPPOL way
 *   of crediting, or a 384 correction that lowers the bill) → recorded as a credit note with
 *   its negative amounts kept as written, since an invoice total can never be negative here
 *   (services/documents.ts refuses it) and the money flows to the customer;
 * - a credit-note type code with a negative grand total → an invoice (the customer owes),
 *   amounts negated to positive.
 * A warning is added in the two unusual cases. Zero totals keep the type code's kind.
 */
export function kindAndSign(ctx: ReadContext, typeCode: string, grandTotal: Cents): { kind: "invoice" | "credit_note"; sign: 1 | -1 } {
  if (!CREDIT_NOTE_CODES.has(typeCode) && !INVOICE_CODES.has(typeCode)) {
    ctx.warn(`document type code ${typeCode} is not an EN 16931 invoice or credit note code; read as an invoice`);
  }
  const creditCode = CREDIT_NOTE_CODES.has(typeCode);
  const sign: 1 | -1 = creditCode ? -1 : 1;
  const stored = sign * grandTotal;
  if (stored < 0) {
    if (!creditCode) ctx.warn(`invoice (type ${typeCode}) with a negative total: recorded as a credit note`);
    return { kind: "credit_note", sign };
  }
  if (stored > 0) {
    if (creditCode) ctx.warn(`credit note (type ${typeCode}) with a negative total: recorded as an invoice`);
    return { kind: "invoice", sign };
  }
  return { kind: creditCode ? "credit_note" : "invoice", sign };
}

/** Short profile name from a BT-24 identifier, both the "#" and the legacy ":" forms. */
export function profileOf(guideline: string | null): string | null {
  if (!guideline) return null;
  const g = guideline.toLowerCase();
  if (g.includes("xrechnung")) return "XRECHNUNG";
  if (/basic-?wl|basicwl/.test(g)) return "BASIC WL";
  if (/minimum/.test(g)) return "MINIMUM";
  if (/extended/.test(g)) return "EXTENDED";
  if (/(comfort|komfort)$/.test(g)) return "COMFORT";
  if (/basic$/.test(g)) return "BASIC";
  if (g.includes("peppol")) return "PEPPOL BIS 3";
  if (g.startsWith("urn:cen.eu:en16931:2017")) return "EN16931";
  return null;
}

/**
 * Amount already paid (BT-113) and amount due (BT-115), signed like the total.
 * BT-113 is used when present. MINIMUM and BASIC WL files often give only BT-115: the
 * difference BT-112 − BT-115 is then taken as prepaid (BR-CO-16: BT-115 = BT-112 − BT-113
 * + BT-114), so that the outstanding of the imported document is the amount due.
 * A payable rounding amount (BT-114, Swedish öre rounding in the corpus) is NOT turned into a
 * payment: the outstanding stays total − prepaid (a few cents off BT-115) and a warning
 * says so; whether to write such cents off is the import service's call.
 */
export function paidAndDue(
  ctx: ReadContext,
  sign: 1 | -1,
  grandTotal: Cents,
  prepaid: Cents | null,
  duePayable: Cents | null,
  rounding: Cents | null,
): { paid: Cents; due: Cents | null } {
  let paid = prepaid ?? 0;
  if (prepaid === null && duePayable !== null && duePayable !== grandTotal + (rounding ?? 0)) {
    paid = grandTotal + (rounding ?? 0) - duePayable;
    ctx.warn(`no prepaid amount (BT-113) given; ${(paid / 100).toFixed(2)} taken as already paid (total minus amount due)`);
  } else if (prepaid !== null && duePayable !== null && grandTotal - prepaid + (rounding ?? 0) !== duePayable) {
    ctx.warn("amount due (BT-115) ≠ total − prepaid + rounding (BR-CO-16); the total and the prepaid amount were kept");
  }
  if (rounding) {
    const fmt = (c: Cents) => (c / 100).toFixed(2);
    ctx.warn(
      `payable rounding amount (BT-114) ${fmt(rounding)}: the amount due (BT-115) is ${fmt(duePayable ?? grandTotal - paid + rounding)} while the outstanding of the imported document is total − prepaid = ${fmt(grandTotal - paid)}`,
    );
  }
  return { paid: signed(sign, paid), due: duePayable === null ? null : signed(sign, duePayable) };
}

/** `sign × amount` without ever producing −0. */
export function signed(sign: 1 | -1, amount: Cents): Cents {
  return amount === 0 ? 0 : sign * amount;
}

/** Warnings about the document as a whole that do not stop the import. */
export function checkDocument(ctx: ReadContext, typeCode: string, issueDate: IsoDate, dueDate: IsoDate | null) {
  if (typeCode === "751") ctx.warn("type 751: invoice information for accounting purposes only, not a legal invoice");
  if (dueDate !== null && dueDate < issueDate) ctx.warn(`the due date ${dueDate} is before the issue date ${issueDate}`);
}

/** BR-CO-15: total incl. tax = total excl. tax + tax. Only a warning: the total is what we store. */
export function checkTotals(ctx: ReadContext, taxExclusive: Cents | null, tax: Cents | null, grandTotal: Cents) {
  if (taxExclusive !== null && tax !== null && taxExclusive + tax !== grandTotal) {
    ctx.warn("total incl. tax ≠ total excl. tax + tax (BR-CO-15); the total incl. tax was kept");
  }
}

// ---- buyer identifiers -----------------------------------------------------------------

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

export function cleanEmail(raw: string | null): string | null {
  if (!raw) return null;
  const s = raw.trim().replace(/^mailto:/i, "");
  return EMAIL.test(s) ? s : null;
}

/** SIREN validity: 9 digits with a Luhn checksum (La Poste's 356000000 is the known exception). */
export function isSiren(s: string): boolean {
  if (!/^\d{9}$/.test(s)) return false;
  if (s === "356000000") return true;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = Number(s[8 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * A SIREN from a legal registration id (BT-47 / BT-30 style) whose scheme is 0002 (SIREN)
 * or 0009 (SIRET): producers put either the 9-digit SIREN or the 14-digit SIRET under 0002;
 * the SIREN is the first 9 digits of a SIRET. Without a scheme, only for a French buyer.
 * The checksum is not required here (see checkSiren): a wrong one is reported, not dropped.
 */
export function sirenFromId(raw: string | null, scheme: string | null, country: string | null): string | null {
  if (!raw) return null;
  if (scheme === null ? country?.toUpperCase() !== "FR" : !SIREN_SCHEMES.has(scheme.toUpperCase())) return null;
  const digits = raw.replace(/[\s.-]/g, "");
  return /^\d{9}(\d{5})?$/.test(digits) ? digits.slice(0, 9) : null;
}

const SIREN_SCHEMES = new Set(["0002", "0009", "FR:SIRENE", "FR:SIRET", "SIREN", "SIRET"]);

export function checkSiren(ctx: ReadContext, siren: string | null) {
  if (siren !== null && !isSiren(siren)) ctx.warn(`buyer SIREN ${siren} has an invalid check digit (Luhn); kept as written`);
}

/** The SIREN inside a French VAT number (FR + 2-character key + SIREN), when the key checks. */
export function sirenFromVat(vat: string | null): string | null {
  const m = vat ? /^FR(\d{2})(\d{9})$/.exec(vat) : null;
  if (!m?.[1] || !m[2]) return null;
  const siren = m[2];
  return Number(m[1]) === (12 + 3 * (Number(siren) % 97)) % 97 && isSiren(siren) ? siren : null;
}

export function cleanVat(raw: string | null): string | null {
  if (!raw) return null;
  const s = raw.replace(/[\s.-]/g, "").toUpperCase();
  return /^[A-Z]{2}[0-9A-Z+*]{2,13}$/.test(s) ? s : null;
}

export function cleanIban(raw: string | null): string | null {
  if (!raw) return null;
  const s = raw.replace(/\s+/g, "").toUpperCase();
  return /^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(s) ? s : null;
}

/** France, Monaco and the French overseas departments and territories (their own ISO codes). */
const FRENCH_SPEAKING = new Set(["FR", "MC", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "TF"]);

/** Dunning language guessed from the buyer's country: French for France (incl. overseas) and Monaco, else English. */
export function languageOf(country: string | null): "fr" | "en" | undefined {
  if (!country) return undefined;
  return FRENCH_SPEAKING.has(country.toUpperCase()) ? "fr" : "en";
}

export function party(p: Partial<ImportedParty> & { name: string }): ImportedParty {
  const vatNumber = p.vatNumber ?? null;
  return {
    ref: p.ref ?? null,
    // Some producers put the address block or the customer number on several lines in the name.
    name: p.name.replace(/\s+/g, " ").trim(),
    siren: p.siren ?? sirenFromVat(vatNumber),
    vatNumber,
    email: p.email ?? null,
    ...(p.language ? { language: p.language } : {}),
    iban: p.iban ?? null,
  };
}

/**
 * A due date from payment terms text when the file gives no BT-9, only for unambiguous
 * wording: "N jours net" / "N days net" / "N Tage netto" / "N dagar netto", "N jours fin de
 * mois" (end of the month reached after N days), "à réception" / "comptant" / "upon receipt"
 * (due on issue), "within N days" when the text speaks of no discount. Discount clauses
 * ("2 % if paid within 10 days") are never read as terms.
 */
export function dueDateFromTerms(terms: string | null, issueDate: IsoDate): IsoDate | null {
  if (!terms) return null;
  const t = terms.toLowerCase();
  let m = /(\d{1,3})\s*(?:j|jours?)\s+fin\s+de\s+mois/.exec(t) ?? /(\d{1,3})\s*days?\s+end\s+of\s+(?:the\s+)?month/.exec(t);
  if (m?.[1]) return endOfMonth(addDays(issueDate, Number(m[1])));
  m = /(\d{1,3})\s*(?:jours?|j|days?|tagen?|dagar|dage|dagen)\s+(?:net|netto)\b/.exec(t) ?? /\bnet\s+(\d{1,3})\b/.exec(t);
  if (m?.[1]) return addDays(issueDate, Number(m[1]));
  // "Payment within 30 days" / "sous 30 jours", unless the text is about a discount.
  // French invoices must state the early-payment discount ("pas d'escompte pour paiement
  // comptant"): such wording must not read as "due on receipt".
  const aboutDiscount = /%|skonto|discount|escompte|rabatt/.test(t);
  m = /(?:within|sous|dans les|innerhalb(?:\s+von)?)\s+(\d{1,3})\s*(?:days?|jours?|j|tagen?)\b/.exec(t);
  if (m?.[1] && !aboutDiscount) return addDays(issueDate, Number(m[1]));
  if (aboutDiscount) return null;
  if (/(?:à|a|dès|des)\s+r[ée]ception|comptant|upon\s+receipt|on\s+receipt|due\s+immediately|sofort\s+f[äa]llig/.test(t)) return issueDate;
  return null;
}
