/**
 * OASIS UBL 2.1 reader: `Invoice` and `CreditNote` documents (EN 16931 UBL binding,
 * PEPPOL BIS Billing 3.0, XRechnung UBL). Only the document header is read.
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
  readIsoDate,
  signed,
  sirenFromId,
} from "./common.js";
import { all, attr, first, type ParsedXml, path, pathAll, text, textAt, type XNode } from "./xml.js";

export const UBL_NAMESPACE_PREFIX = "urn:oasis:names:specification:ubl:schema:xsd:";
export const UBL_ROOTS = ["Invoice", "CreditNote"];

/** The amount in the document currency among repeated ones (TaxTotal in BT-110 and BT-111). */
function inCurrency(nodes: XNode[], currency: string | null): XNode | undefined {
  return nodes.find((n) => {
    const c = attr(n, "currencyID");
    return c === null || currency === null || c.toUpperCase() === currency.toUpperCase();
  });
}

/** Reads a parsed UBL 2.1 Invoice or CreditNote. `label` names the file in error messages. */
export function readUbl(doc: ParsedXml, label: string): EInvoice {
  if (!UBL_ROOTS.includes(doc.rootName)) {
    throw new AppError("invalid_input", `${label} is not a UBL invoice or credit note (root element ${doc.rootName})`, [
      { field: "XML", message: `unexpected root element ${doc.rootName}` },
    ]);
  }
  const isCreditNote = doc.rootName === "CreditNote";
  const ctx = new ReadContext(label);
  for (const w of doc.warnings) ctx.warn(w);
  const root = doc.root;

  const guideline = textAt(root, "CustomizationID");
  const profile = profileOf(guideline);
  const number = textAt(root, "ID");
  if (!number) ctx.problem("BT-1 Invoice number (cbc:ID)", "missing");
  let typeCode = textAt(root, isCreditNote ? "CreditNoteTypeCode" : "InvoiceTypeCode");
  if (!typeCode) {
    typeCode = isCreditNote ? "381" : "380";
    ctx.warn(`no document type code (BT-3); read as ${typeCode}`);
  }
  const issueDate = readIsoDate(ctx, textAt(root, "IssueDate"), "BT-2 Invoice issue date (cbc:IssueDate)");
  if (!textAt(root, "IssueDate")) ctx.problem("BT-2 Invoice issue date (cbc:IssueDate)", "missing");

  let currency = textAt(root, "DocumentCurrencyCode")?.toUpperCase() ?? null;
  const totals = first(root, "LegalMonetaryTotal");
  if (!currency) {
    currency = attr(first(totals, "TaxInclusiveAmount"), "currencyID")?.toUpperCase() ?? null;
    if (currency) ctx.warn(`no document currency (BT-5); ${currency} taken from the total`);
    else ctx.problem("BT-5 Invoice currency code (cbc:DocumentCurrencyCode)", "missing");
  }

  const amount = (name: string, field: string) => readAmount(ctx, textAt(totals, name), field);
  const grandTotal = amount("TaxInclusiveAmount", "BT-112 TaxInclusiveAmount");
  if (textAt(totals, "TaxInclusiveAmount") === null) ctx.problem("BT-112 TaxInclusiveAmount", "missing");
  const taxExclusive = amount("TaxExclusiveAmount", "BT-109 TaxExclusiveAmount");
  const prepaid = amount("PrepaidAmount", "BT-113 PrepaidAmount");
  const rounding = amount("PayableRoundingAmount", "BT-114 PayableRoundingAmount");
  const duePayable = amount("PayableAmount", "BT-115 PayableAmount");
  const taxTotals = all(root, "TaxTotal")
    .map((t) => first(t, "TaxAmount"))
    .filter((n): n is XNode => n !== undefined);
  const taxNode = inCurrency(taxTotals, currency);
  if (taxTotals.length > 0 && !taxNode) ctx.warn(`the tax total is given only in another currency than ${currency}; ignored`);
  const tax = readAmount(ctx, text(taxNode), "BT-110 TaxTotal/TaxAmount");

  // Due date: cbc:DueDate (Invoice), else cac:PaymentMeans/cbc:PaymentDueDate (the BT-9
  // place in a UBL 2.1 CreditNote), else computed from clear payment terms.
  const dueRaw =
    textAt(root, "DueDate") ??
    all(root, "PaymentMeans")
      .map((m) => textAt(m, "PaymentDueDate"))
      .find((d) => d !== null) ??
    null;
  const paymentTerms =
    pathAll(root, "PaymentTerms", "Note")
      .map((n) => text(n))
      .filter((n): n is string => n !== null)
      .join(" / ") || null;
  let dueDate = readIsoDate(ctx, dueRaw, "BT-9 Payment due date (cbc:DueDate)");

  // Buyer (BG-7).
  const buyer = path(root, "AccountingCustomerParty", "Party");
  const country = textAt(buyer, "PostalAddress", "Country", "IdentificationCode");
  const name = textAt(buyer, "PartyLegalEntity", "RegistrationName") ?? textAt(buyer, "PartyName", "Name");
  if (!name) ctx.problem("BT-44 Buyer name (PartyLegalEntity/RegistrationName)", "missing");
  const legal = path(buyer, "PartyLegalEntity", "CompanyID");
  let siren = sirenFromId(text(legal), attr(legal, "schemeID"), country);
  const ids = pathAll(buyer, "PartyIdentification", "ID");
  for (const id of ids) siren ??= sirenFromId(text(id), attr(id, "schemeID") ?? "", country);
  checkSiren(ctx, siren);
  const vatScheme = all(buyer, "PartyTaxScheme").find((s) => (textAt(s, "TaxScheme", "ID") ?? "VAT").toUpperCase() === "VAT");
  const vatRaw = textAt(vatScheme, "CompanyID");
  const vatNumber = cleanVat(vatRaw);
  if (vatRaw && !vatNumber) ctx.warn(`buyer VAT identifier "${vatRaw}" is not a VAT number; ignored`);
  const endpoint = first(buyer, "EndpointID");
  const email = cleanEmail(textAt(buyer, "Contact", "ElectronicMail")) ?? cleanEmail(text(endpoint));
  const ref = text(ids.find((id) => attr(id, "schemeID") === null) ?? ids[0]);
  const iban = cleanIban(
    all(root, "PaymentMeans")
      .map((m) => textAt(m, "PaymentMandate", "PayerFinancialAccount", "ID"))
      .find((t) => t !== null) ?? null,
  );
  const preceding = pathAll(root, "BillingReference", "InvoiceDocumentReference")
    .map((r) => textAt(r, "ID"))
    .filter((id): id is string => id !== null);

  ctx.check();
  const total = grandTotal as number;
  checkTotals(ctx, taxExclusive, tax, total);
  const { kind, sign } = kindAndSign(ctx, typeCode, total);
  const { paid, due } = paidAndDue(ctx, sign, total, prepaid, duePayable, rounding);
  if (!dueDate) {
    dueDate = dueDateFromTerms(paymentTerms, issueDate as string);
    if (dueDate) ctx.warn(`no due date (BT-9); ${dueDate} computed from the payment terms "${paymentTerms}"`);
  }
  checkDocument(ctx, typeCode, issueDate as string, dueDate);
  const language = languageOf(country);
  return {
    line: null,
    format: "ubl",
    syntax: "ubl",
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
