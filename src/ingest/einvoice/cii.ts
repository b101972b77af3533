/**
 * UN/CEFACT Cross Industry Invoice reader: CII D16B (`rsm:CrossIndustryInvoice`, as used by
 * Factur-X 1.0, ZUGFeRD 2.x and XRechnung CII, every profile MINIMUM … EXTENDED) and the
 * older ZUGFeRD 1.0 schema (`rsm:CrossIndustryDocument`, urn:ferd:CrossIndustryDocument:
 * invoice:1p0), which has the same business terms under different container names.
 * Only the document header is read: MINIMUM and BASIC WL files have no lines at all.
 */
import { AppError } from "../../errors.js";
import {
  checkDocument,
  checkSiren,
  checkTotals,
  cleanEmail,
  cleanIban,
  cleanVat,
  dueDateFromTerms,
  type EInvoice,
  kindAndSign,
  languageOf,
  paidAndDue,
  party,
  profileOf,
  ReadContext,
  readAmount,
  readCiiDate,
  signed,
  sirenFromId,
} from "./common.js";
import { all, attr, first, type ParsedXml, path, pathAll, text, textAt, type XNode } from "./xml.js";

/** Container element names: D16B vs ZUGFeRD 1.0. Business element names are shared. */
const NAMES = {
  cii: {
    context: "ExchangedDocumentContext",
    header: "ExchangedDocument",
    transaction: "SupplyChainTradeTransaction",
    agreement: "ApplicableHeaderTradeAgreement",
    settlement: "ApplicableHeaderTradeSettlement",
    summation: "SpecifiedTradeSettlementHeaderMonetarySummation",
  },
  zugferd1: {
    context: "SpecifiedExchangedDocumentContext",
    header: "HeaderExchangedDocument",
    transaction: "SpecifiedSupplyChainTradeTransaction",
    agreement: "ApplicableSupplyChainTradeAgreement",
    settlement: "ApplicableSupplyChainTradeSettlement",
    summation: "SpecifiedTradeSettlementMonetarySummation",
  },
} as const;

/** Early-payment discount wording in payment terms (German Skonto, French escompte…). */
const DISCOUNT_WORDS = /skonto|discount|escompte|remise pour paiement anticip|rabatt/i;

export const CII_ROOTS = ["CrossIndustryInvoice", "CrossIndustryDocument"];

/**
 * Picks the amount expressed in the invoice currency when an amount is repeated in several
 * currencies (BT-110 and BT-111 are both `TaxTotalAmount`, told apart by currencyID).
 * An amount without currencyID is in the invoice currency.
 */
function inCurrency(nodes: XNode[], currency: string | null): { node: XNode | undefined; foreignOnly: boolean } {
  if (nodes.length === 0) return { node: undefined, foreignOnly: false };
  const match = nodes.find((n) => {
    const c = attr(n, "currencyID");
    return c === null || currency === null || c.toUpperCase() === currency.toUpperCase();
  });
  return match ? { node: match, foreignOnly: false } : { node: undefined, foreignOnly: true };
}

/** Reads a parsed CII or ZUGFeRD 1.0 document. `label` names the file in error messages. */
export function readCii(doc: ParsedXml, label: string): EInvoice {
  if (!CII_ROOTS.includes(doc.rootName)) {
    throw new AppError("invalid_input", `${label} is not a CII invoice (root element ${doc.rootName})`, [
      { field: "XML", message: `unexpected root element ${doc.rootName}` },
    ]);
  }
  const syntax = doc.rootName === "CrossIndustryDocument" ? "zugferd1" : "cii";
  const N = NAMES[syntax];
  const ctx = new ReadContext(label);
  for (const w of doc.warnings) ctx.warn(w);
  const root = doc.root;

  const guideline = textAt(root, N.context, "GuidelineSpecifiedDocumentContextParameter", "ID");
  const profile = profileOf(guideline);
  if (guideline && !profile) ctx.warn(`unknown specification identifier (BT-24) "${guideline}"`);
  if (profile === "MINIMUM") ctx.warn("MINIMUM profile: not a complete invoice under EN 16931 (booking aid)");

  const header = first(root, N.header);
  const number = textAt(header, "ID");
  if (!number) ctx.problem("BT-1 Invoice number (ExchangedDocument/ID)", "missing");
  let typeCode = textAt(header, "TypeCode");
  if (!typeCode) {
    ctx.warn("no document type code (BT-3); read as a commercial invoice (380)");
    typeCode = "380";
  }
  const issueNode = path(header, "IssueDateTime", "DateTimeString");
  const issueDate = readCiiDate(ctx, text(issueNode), attr(issueNode, "format"), "BT-2 Invoice issue date (IssueDateTime)");
  if (!text(issueNode)) ctx.problem("BT-2 Invoice issue date (IssueDateTime)", "missing");

  const tx = first(root, N.transaction);
  const agreement = first(tx, N.agreement);
  const settlement = first(tx, N.settlement);
  const summation = first(settlement, N.summation);

  const grandNodes = all(summation, "GrandTotalAmount");
  let currency = textAt(settlement, "InvoiceCurrencyCode")?.toUpperCase() ?? null;
  if (!currency) {
    currency = grandNodes.map((n) => attr(n, "currencyID")).find((c) => c !== null) ?? null;
    if (currency) ctx.warn(`no invoice currency (BT-5); ${currency} taken from the grand total`);
    else ctx.problem("BT-5 Invoice currency code (InvoiceCurrencyCode)", "missing");
  }

  const amount = (name: string, field: string) => {
    const { node, foreignOnly } = inCurrency(all(summation, name), currency);
    if (foreignOnly) ctx.warn(`${field} is given only in another currency than ${currency}; ignored`);
    return readAmount(ctx, text(node), field);
  };
  const grandTotal = amount("GrandTotalAmount", "BT-112 GrandTotalAmount");
  if (grandTotal === null && !ctx.problems.some((p) => p.field === "BT-112 GrandTotalAmount")) {
    const given = grandNodes.some((n) => text(n) !== null);
    ctx.problem("BT-112 GrandTotalAmount", given ? `not given in the invoice currency ${currency}` : "missing");
  }
  const taxExclusive = amount("TaxBasisTotalAmount", "BT-109 TaxBasisTotalAmount");
  const tax = amount("TaxTotalAmount", "BT-110 TaxTotalAmount");
  const prepaid = amount("TotalPrepaidAmount", "BT-113 TotalPrepaidAmount");
  const rounding = amount("RoundingAmount", "BT-114 RoundingAmount");
  const duePayable = amount("DuePayableAmount", "BT-115 DuePayableAmount");

  // Due date (BT-9) and payment terms (BT-20). EN 16931 has one; EXTENDED may carry several
  // (a net date plus an early-payment discount date, or instalments): discount terms are
  // set aside, and of the others the LATEST date is kept — the date by which all is due.
  const terms = all(settlement, "SpecifiedTradePaymentTerms");
  const termDates = terms.map((t) => {
    const n = path(t, "DueDateDateTime", "DateTimeString");
    const date = readCiiDate(ctx, text(n), attr(n, "format"), "BT-9 Payment due date (DueDateDateTime)");
    const discount =
      first(t, "ApplicableTradePaymentDiscountTerms") !== undefined || DISCOUNT_WORDS.test(text(first(t, "Description")) ?? "");
    return { date, discount };
  });
  const datedTerms = termDates.filter((t): t is { date: string; discount: boolean } => t.date !== null);
  const netTerms = datedTerms.some((t) => !t.discount) ? datedTerms.filter((t) => !t.discount) : datedTerms;
  const dueDates = [...new Set(netTerms.map((t) => t.date))].sort().reverse();
  if (datedTerms.length > 1) {
    ctx.warn(
      `several payment terms with due dates (${datedTerms.map((t) => t.date + (t.discount ? " discount" : "")).join(", ")}); ${dueDates[0]} was kept`,
    );
  }
  const paymentTerms =
    terms
      .map((t) => text(first(t, "Description")))
      .filter((d): d is string => d !== null)
      .join(" / ") || null;

  // Buyer (BG-7).
  const buyer = first(agreement, "BuyerTradeParty");
  const country = textAt(buyer, "PostalTradeAddress", "CountryID");
  const name = textAt(buyer, "Name") ?? textAt(buyer, "SpecifiedLegalOrganization", "TradingBusinessName");
  if (!name) ctx.problem("BT-44 Buyer name (BuyerTradeParty/Name)", "missing");
  const legal = path(buyer, "SpecifiedLegalOrganization", "ID");
  let siren = sirenFromId(text(legal), attr(legal, "schemeID"), country);
  if (!siren) {
    for (const g of all(buyer, "GlobalID")) siren ??= sirenFromId(text(g), attr(g, "schemeID") ?? "", country);
  }
  checkSiren(ctx, siren);
  const vatNode = all(buyer, "SpecifiedTaxRegistration")
    .map((r) => first(r, "ID"))
    .find((id) => (attr(id, "schemeID") ?? "VA").toUpperCase() === "VA");
  const vatNumber = cleanVat(text(vatNode));
  if (text(vatNode) && !vatNumber) ctx.warn(`buyer VAT identifier "${text(vatNode)}" is not a VAT number; ignored`);
  const electronic = path(buyer, "URIUniversalCommunication", "URIID");
  const email =
    cleanEmail(text(electronic)) ??
    pathAll(buyer, "DefinedTradeContact", "EmailURIUniversalCommunication", "URIID")
      .map((n) => cleanEmail(text(n)))
      .find((e) => e !== null) ??
    null;
  const ref = textAt(buyer, "ID") ?? text(first(buyer, "GlobalID"));
  const iban = cleanIban(
    pathAll(settlement, "SpecifiedTradeSettlementPaymentMeans", "PayerPartyDebtorFinancialAccount", "IBANID")
      .map((n) => text(n))
      .find((t) => t !== null) ?? null,
  );

  const preceding = [...pathAll(settlement, "InvoiceReferencedDocument"), ...pathAll(agreement, "InvoiceReferencedDocument")]
    .map((d) => textAt(d, "IssuerAssignedID"))
    .filter((id): id is string => id !== null);

  ctx.check();
  // After check(): the mandatory values are present.
  const total = grandTotal as number;
  checkTotals(ctx, taxExclusive, tax, total);
  const { kind, sign } = kindAndSign(ctx, typeCode, total);
  const { paid, due } = paidAndDue(ctx, sign, total, prepaid, duePayable, rounding);
  let dueDate = dueDates[0] ?? null;
  if (!dueDate) {
    dueDate = dueDateFromTerms(paymentTerms, issueDate as string);
    if (dueDate) ctx.warn(`no due date (BT-9); ${dueDate} computed from the payment terms "${paymentTerms}"`);
  }
  checkDocument(ctx, typeCode, issueDate as string, dueDate);
  const language = languageOf(country);
  return {
    line: null,
    format: "cii",
    syntax,
    guideline,
    profile,
    typeCode,
    number: number as string,
    kind,
    issueDate: issueDate as string,
    dueDate,
    currency: currency as string,
    total: signed(sign, total),
    tax: tax === null ? null : signed(sign, tax),
    paid,
    due,
    paymentTerms,
    customer: party({ ref, name: name as string, siren, vatNumber, email, iban, ...(language ? { language } : {}) }),
    original: null,
    precedingInvoices: [...new Set(preceding)],
    warnings: ctx.warnings,
  };
}
