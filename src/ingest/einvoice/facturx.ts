/**
 * Factur-X / ZUGFeRD hybrid PDFs: a PDF/A-3 whose attachment is the invoice in XML.
 *
 * The attachment is found by walking the document catalog's /Names /EmbeddedFiles name
 * tree and the catalog's /AF (associated files) array, then decoding the embedded file
 * stream. Its name varies (factur-x.xml, zugferd-invoice.xml, ZUGFeRD-invoice.xml,
 * xrechnung.xml…), so the choice is made on content, not on the name alone:
 *  1. only attachments whose XML root is an invoice count (CII CrossIndustryInvoice,
 *     ZUGFeRD 1.0 CrossIndustryDocument, UBL Invoice/CreditNote); an Order-X order
 *     (order-x.xml) or any other attachment is never read as an invoice;
 *  2. the file named by the XMP metadata (fx:DocumentFileName / zf:DocumentFileName) wins;
 *  3. otherwise CII D16B (Factur-X / ZUGFeRD 2.x) before UBL before ZUGFeRD 1.0, then the
 *     standard names in the order above. So a PDF carrying BOTH a ZUGFeRD 1.0 and a 2.x XML
 *     (corpus: invalid_zf1and2_both_attached.pdf) is read from its 2.x XML — the EN 16931
 *     version, also the one its XMP declares — and a warning names the other one, and says
 *     so if the two disagree on the number or the total.
 */
import { inflateSync } from "node:zlib";
import {
  decodePDFRawStream,
  EncryptedPDFError,
  ParseSpeeds,
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  type PDFObject,
  PDFRawStream,
  PDFRef,
  PDFString,
} from "pdf-lib";
import { AppError } from "../../errors.js";
import { CII_ROOTS, readCii } from "./cii.js";
import type { EInvoice } from "./common.js";
import { readUbl, UBL_NAMESPACE_PREFIX, UBL_ROOTS } from "./ubl.js";
import { parseXml, sniffRoot } from "./xml.js";

export const NO_EMBEDDED_INVOICE = "this PDF contains no Factur-X/ZUGFeRD invoice (no embedded XML)";

/** Largest embedded file we decompress (a real invoice XML is well under 1 MB). */
const MAX_EMBEDDED_BYTES = 20 * 1024 * 1024;
/** Name trees deeper than this are not walked (a loop or a hostile file). */
const MAX_TREE_DEPTH = 32;

export interface EmbeddedFile {
  name: string;
  /** /AFRelationship: Data, Alternative, Source, Unspecified… (null when absent). */
  relationship: string | null;
  bytes: Uint8Array;
}

const KNOWN_NAMES = ["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"];

const pdfError = (message: string) => new AppError("invalid_input", message, [{ field: "PDF", message }]);

function pdfText(o: PDFObject | undefined): string | null {
  if (o instanceof PDFString || o instanceof PDFHexString) return o.decodeText();
  return null;
}

/** Decodes an embedded file stream: Flate through node:zlib with an output cap, other filters through pdf-lib. */
function decodeStream(stream: PDFRawStream): Uint8Array {
  const filter = stream.dict.lookup(PDFName.of("Filter"));
  const parms = stream.dict.lookup(PDFName.of("DecodeParms"));
  const flate =
    filter === PDFName.of("FlateDecode") ||
    (filter instanceof PDFArray && filter.size() === 1 && filter.lookup(0) === PDFName.of("FlateDecode"));
  if (flate && parms === undefined) {
    return inflateSync(stream.contents, { maxOutputLength: MAX_EMBEDDED_BYTES });
  }
  if (filter === undefined) return stream.contents;
  const out = decodePDFRawStream(stream).decode();
  if (out.length > MAX_EMBEDDED_BYTES) throw new Error("embedded file too large");
  return out;
}

/**
 * pdf-lib reports damaged objects with console.warn (and a Flate decoder problem with
 * console.log, which would corrupt a `--json` stdout). While a PDF is being read, those
 * messages — and only those — are caught and counted instead; anything else is passed on.
 * Several reads may overlap (async), hence one shared hook and a count of active reads.
 */
const PDF_LIB_NOISE =
  /^(Trying to parse invalid object|Invalid object ref|Removing parsed object|Parsed number that is too large|FLATE:|Removing XFA)/;
let quietReads = 0;
let noiseCount = 0;
let realWarn: typeof console.warn = console.warn;
let realLog: typeof console.log = console.log;

async function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; noise: number }> {
  if (quietReads++ === 0) {
    realWarn = console.warn;
    realLog = console.log;
    const filter =
      (real: (...args: unknown[]) => void) =>
      (...args: unknown[]) => {
        if (typeof args[0] === "string" && PDF_LIB_NOISE.test(args[0])) noiseCount++;
        else real.apply(console, args);
      };
    console.warn = filter(realWarn);
    console.log = filter(realLog);
  }
  const before = noiseCount;
  try {
    const value = await fn();
    return { value, noise: noiseCount - before };
  } finally {
    if (--quietReads === 0) {
      console.warn = realWarn;
      console.log = realLog;
    }
  }
}

/** Loads a PDF with pdf-lib, turning every failure into a clear AppError. */
async function loadPdf(bytes: Uint8Array): Promise<PDFDocument> {
  try {
    return await PDFDocument.load(bytes, { updateMetadata: false, parseSpeed: ParseSpeeds.Fastest, throwOnInvalidObject: false });
  } catch (e) {
    if (e instanceof EncryptedPDFError) {
      throw pdfError(
        "this PDF is encrypted (password-protected): a Factur-X/ZUGFeRD invoice (PDF/A-3) cannot be; export it again without protection",
      );
    }
    throw pdfError(`this file is not a readable PDF (${(e as Error).message.split("\n")[0]})`);
  }
}

/** Every file attached to the PDF: the EmbeddedFiles name tree and the catalog's /AF array. */
export async function listEmbeddedFiles(
  pdf: Uint8Array,
): Promise<{ files: EmbeddedFile[]; warnings: string[]; xmpFileName: string | null }> {
  const { value, noise } = await quietly(() => collectEmbeddedFiles(pdf));
  if (noise > 0)
    value.warnings.unshift(`the PDF is damaged (${noise} pdf-lib messages about invalid objects); what could be read was used`);
  return value;
}

async function collectEmbeddedFiles(pdf: Uint8Array): Promise<{ files: EmbeddedFile[]; warnings: string[]; xmpFileName: string | null }> {
  const doc = await loadPdf(pdf);
  const warnings: string[] = [];
  const specs: { key: string | null; spec: PDFDict }[] = [];
  try {
    const catalog = doc.catalog;
    const seen = new Set<PDFObject>();
    const walk = (node: PDFObject | undefined, depth: number) => {
      if (!(node instanceof PDFDict) || depth > MAX_TREE_DEPTH || seen.has(node)) return;
      seen.add(node);
      const names = node.lookup(PDFName.of("Names"));
      if (names instanceof PDFArray) {
        for (let i = 0; i + 1 < names.size(); i += 2) {
          const spec = names.lookup(i + 1);
          if (spec instanceof PDFDict) specs.push({ key: pdfText(names.lookup(i)), spec });
        }
      }
      const kids = node.lookup(PDFName.of("Kids"));
      if (kids instanceof PDFArray) for (let i = 0; i < kids.size(); i++) walk(kids.lookup(i), depth + 1);
    };
    const namesDict = catalog.lookup(PDFName.of("Names"));
    if (namesDict instanceof PDFDict) walk(namesDict.lookup(PDFName.of("EmbeddedFiles")), 0);
    const af = catalog.lookup(PDFName.of("AF"));
    if (af instanceof PDFArray) {
      for (let i = 0; i < af.size(); i++) {
        const spec = af.lookup(i);
        if (spec instanceof PDFDict) specs.push({ key: null, spec });
      }
    }
  } catch (e) {
    throw pdfError(`this PDF's attachment list cannot be read (${(e as Error).message.split("\n")[0]})`);
  }

  const files: EmbeddedFile[] = [];
  const streams = new Set<PDFObject>();
  for (const { key, spec } of specs) {
    const name = pdfText(spec.lookup(PDFName.of("UF"))) ?? pdfText(spec.lookup(PDFName.of("F"))) ?? key ?? "(unnamed)";
    const ef = spec.lookup(PDFName.of("EF"));
    if (!(ef instanceof PDFDict)) continue;
    const ref = ef.get(PDFName.of("F")) ?? ef.get(PDFName.of("UF"));
    const stream = ref instanceof PDFRef ? doc.context.lookup(ref) : ref;
    if (!(stream instanceof PDFRawStream) || streams.has(stream)) continue;
    streams.add(stream);
    const rel = spec.lookup(PDFName.of("AFRelationship"));
    try {
      files.push({ name, relationship: rel instanceof PDFName ? rel.decodeText() : null, bytes: decodeStream(stream) });
    } catch (e) {
      warnings.push(`attachment ${name} could not be decoded (${(e as Error).message}); ignored`);
    }
  }
  return { files, warnings, xmpFileName: xmpDocumentFileName(doc) };
}

/** fx:DocumentFileName (or zf:, ZUGFeRD 1.0) from the XMP metadata, when present. */
function xmpDocumentFileName(doc: PDFDocument): string | null {
  try {
    const meta = doc.catalog.lookup(PDFName.of("Metadata"));
    if (!(meta instanceof PDFRawStream)) return null;
    const xmp = new TextDecoder().decode(decodeStream(meta));
    for (const m of xmp.matchAll(/DocumentFileName\s*(?:>|=\s*["'])\s*([^<"']+?)\s*[<"']/g)) {
      if (m[1]) return m[1];
    }
  } catch {
    // XMP is optional for us: an unreadable one changes nothing.
  }
  return null;
}

type Syntax = "cii" | "ubl" | "zugferd1" | "order" | "other";

function syntaxOf(bytes: Uint8Array): Syntax {
  const root = sniffRoot(bytes);
  if (!root) return "other";
  if (root.name === CII_ROOTS[0]) return "cii";
  if (root.name === CII_ROOTS[1]) return "zugferd1";
  if (UBL_ROOTS.includes(root.name) && root.namespace?.startsWith(UBL_NAMESPACE_PREFIX)) return "ubl";
  if (root.name === "SCRDMCCBDACIOMessageStructure" || root.namespace?.includes("CrossIndustryOrder")) return "order";
  return "other";
}

const SYNTAX_RANK: Record<Syntax, number> = { cii: 0, ubl: 1, zugferd1: 2, order: 9, other: 9 };

function readXml(bytes: Uint8Array, syntax: Syntax, label: string): EInvoice {
  const parsed = parseXml(bytes);
  return syntax === "ubl" ? readUbl(parsed, label) : readCii(parsed, label);
}

/** Reads a Factur-X / ZUGFeRD PDF: picks the embedded invoice XML and reads it. */
export async function readFacturX(pdf: Uint8Array, filename: string): Promise<EInvoice> {
  const { files, warnings, xmpFileName } = await listEmbeddedFiles(pdf);
  const candidates = files
    .map((f) => ({ ...f, syntax: syntaxOf(f.bytes), lower: f.name.toLowerCase() }))
    .filter((f) => f.syntax !== "other" || f.lower.endsWith(".xml"));
  const invoices = candidates.filter((f) => SYNTAX_RANK[f.syntax] < 9);
  if (invoices.length === 0) {
    if (candidates.some((f) => f.syntax === "order")) {
      throw pdfError("this PDF carries an Order-X purchase order, not an invoice (no Factur-X/ZUGFeRD invoice XML)");
    }
    if (candidates.length > 0) {
      throw pdfError(`${NO_EMBEDDED_INVOICE}: the attached ${candidates.map((f) => f.name).join(", ")} is not a CII or UBL invoice`);
    }
    throw pdfError(warnings.length > 0 ? `${NO_EMBEDDED_INVOICE}; ${warnings.join("; ")}` : NO_EMBEDDED_INVOICE);
  }
  const xmp = xmpFileName?.toLowerCase() ?? null;
  const rank = (f: (typeof invoices)[number]) => {
    const known = KNOWN_NAMES.indexOf(f.lower);
    return [f.lower === xmp ? 0 : 1, SYNTAX_RANK[f.syntax], known < 0 ? KNOWN_NAMES.length : known];
  };
  invoices.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if ((ra[i] ?? 0) !== (rb[i] ?? 0)) return (ra[i] ?? 0) - (rb[i] ?? 0);
    return 0;
  });
  const chosen = invoices[0] as (typeof invoices)[number];
  const result = readXml(chosen.bytes, chosen.syntax, `${filename} (${chosen.name})`);
  for (const other of invoices.slice(1)) {
    let disagreement = "";
    try {
      const alt = readXml(other.bytes, other.syntax, other.name);
      if (alt.number !== result.number || alt.total !== result.total) {
        disagreement = ` — and it DISAGREES (number ${alt.number}, total ${(alt.total / 100).toFixed(2)})`;
      }
    } catch {
      disagreement = " (it cannot be read)";
    }
    result.warnings.push(`the PDF also carries ${other.name} (${other.syntax}); ${chosen.name} was read${disagreement}`);
  }
  result.warnings.unshift(...warnings);
  return { ...result, format: "facturx", embeddedFilename: chosen.name };
}
