/**
 * E-invoice readers, pure (no database): Factur-X / ZUGFeRD PDFs, standalone UN/CEFACT
 * CII (incl. ZUGFeRD 1.0) and OASIS UBL 2.1 invoices and credit notes.
 *
 * `readEInvoice` gives one EInvoice (an ImportedInvoice plus what the file said and the
 * warnings) or throws AppError("invalid_input") with problems [{field, message}].
 * Amounts follow DESIGN §3: `total` = BT-112 incl. tax, negative for a credit note; `paid`
 * = BT-113 prepaid (signed like the total), so that total − paid = the amount due (BT-115).
 */
import { AppError } from "../../errors.js";
import { CII_ROOTS, readCii } from "./cii.js";
import type { EInvoice, EInvoiceFormat } from "./common.js";
import { readFacturX } from "./facturx.js";
import { readUbl, UBL_NAMESPACE_PREFIX, UBL_ROOTS } from "./ubl.js";
import { parseXml, sniffRoot } from "./xml.js";

export type { EInvoice, EInvoiceFormat } from "./common.js";
export { listEmbeddedFiles, NO_EMBEDDED_INVOICE } from "./facturx.js";
export { DTD_REFUSED } from "./xml.js";

function isPdf(bytes: Uint8Array): boolean {
  // The header may follow a few junk bytes (PDF 1.7 §7.5.2 tolerance in readers: first 1 KB).
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 1024));
  return head.includes("%PDF-");
}

/**
 * Which e-invoice format these bytes are, from their content (the filename is only used
 * to tell nothing apart: content wins). Any PDF is "facturx" — whether it really embeds an
 * invoice is known only when reading it. XML: CII / ZUGFeRD 1.0 roots → "cii"; UBL
 * Invoice / CreditNote (UBL namespace) → "ubl"; anything else → null.
 */
export function detectEInvoice(bytes: Uint8Array, _filename: string): EInvoiceFormat | null {
  if (isPdf(bytes)) return "facturx";
  const root = sniffRoot(bytes);
  if (!root) return null;
  if (CII_ROOTS.includes(root.name)) return "cii";
  if (UBL_ROOTS.includes(root.name) && root.namespace?.startsWith(UBL_NAMESPACE_PREFIX)) return "ubl";
  return null;
}

/** Reads an e-invoice file; the original bytes are kept in `original` to attach to the document. */
export async function readEInvoice(bytes: Uint8Array, filename: string): Promise<EInvoice> {
  const format = detectEInvoice(bytes, filename);
  if (format === null) {
    const message = `${filename} is not a Factur-X/ZUGFeRD PDF, a CII or a UBL invoice`;
    throw new AppError("invalid_input", message, [{ field: "file", message }]);
  }
  let result: EInvoice;
  if (format === "facturx") {
    result = await readFacturX(bytes, filename);
  } else {
    const parsed = parseXml(bytes);
    result = format === "ubl" ? readUbl(parsed, filename) : readCii(parsed, filename);
  }
  return {
    ...result,
    original: { filename, mediaType: format === "facturx" ? "application/pdf" : "application/xml", bytes },
  };
}
