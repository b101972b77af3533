/**
 * The e-invoice readers against every file of the shared corpus (facturx/, facturx/xml/,
 * cii/, ubl/ — listed at run time, so new files are covered), plus PDFs built here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AFRelationship, PDFDocument, PDFName, StandardFonts } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { isIsoDate } from "../../domain/dates.js";
import { AppError } from "../../errors.js";
import type { EInvoice } from "./common.js";
import { detectEInvoice, NO_EMBEDDED_INVOICE, readEInvoice } from "./index.js";

const CORPUS = new URL("../../../../shared/corpus/", import.meta.url);
const DIRS = ["facturx", "facturx/xml", "cii", "ubl"];

function corpusFiles(): string[] {
  return DIRS.flatMap((dir) =>
    readdirSync(new URL(`${dir}/`, CORPUS), { withFileTypes: true })
      .filter((d) => d.isFile() && !d.name.startsWith("."))
      .map((d) => `${dir}/${d.name}`),
  ).sort();
}

function bytesOf(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(rel, CORPUS))));
}

const read = (rel: string) => readEInvoice(bytesOf(rel), rel.split("/").pop() as string);

async function readError(bytes: Uint8Array, filename: string): Promise<AppError> {
  try {
    await readEInvoice(bytes, filename);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error(`${filename} was read without error`);
}

const name = (rel: string) => rel.split("/").pop() as string;
const isInvalid = (rel: string) => name(rel).startsWith("invalid_");

/** Files whose grand total really is 0.00 (checked by hand). */
const REALLY_ZERO = new Set(["cii/CEN_CII-BR-CO-10-RoundingIssue.xml"]);

// ---- every file ------------------------------------------------------------------------

describe("every corpus e-invoice that its source marks valid", () => {
  const files = corpusFiles().filter((f) => !isInvalid(f));

  it("finds the corpus (facturx, facturx/xml, cii, ubl)", () => {
    expect(files.filter((f) => f.startsWith("facturx/") && f.endsWith(".pdf")).length).toBeGreaterThanOrEqual(27);
    expect(files.filter((f) => f.startsWith("ubl/")).length).toBeGreaterThanOrEqual(24);
    expect(files.filter((f) => f.startsWith("cii/")).length).toBeGreaterThanOrEqual(18);
  });

  for (const rel of files) {
    it(`reads ${rel} with sensible values`, async () => {
      const bytes = bytesOf(rel);
      const r = await readEInvoice(bytes, name(rel));
      expect(r.number.trim()).not.toBe("");
      expect(isIsoDate(r.issueDate)).toBe(true);
      if (r.dueDate !== null) expect(isIsoDate(r.dueDate)).toBe(true);
      expect(r.currency).toMatch(/^[A-Z]{3}$/);
      expect(Number.isSafeInteger(r.total)).toBe(true);
      if (!REALLY_ZERO.has(rel)) expect(r.total).not.toBe(0);
      // Sign convention: a credit note is stored negative, an invoice never is.
      if (r.kind === "credit_note") expect(r.total).toBeLessThanOrEqual(0);
      else expect(r.total).toBeGreaterThanOrEqual(0);
      // Outstanding (total − paid) is the amount due, unless a rounding amount explains the gap.
      if (r.due !== null && r.total - r.paid !== r.due) expect(r.warnings.join("\n")).toMatch(/BT-114/);
      expect(r.customer.name.trim()).not.toBe("");
      if (r.customer.siren !== null) expect(r.customer.siren).toMatch(/^\d{9}$/);
      if (r.customer.email !== null) expect(r.customer.email).toMatch(/^[^@\s]+@[^@\s]+$/);
      expect(r.original?.bytes).toBe(bytes);
      expect(r.original?.filename).toBe(name(rel));
      expect(r.original?.mediaType).toBe(rel.endsWith(".pdf") ? "application/pdf" : "application/xml");
      expect(r.format).toBe(rel.endsWith(".pdf") ? "facturx" : rel.startsWith("ubl/") ? "ubl" : "cii");
      expect(detectEInvoice(bytes, name(rel))).toBe(r.format);
    });
  }
});

/**
 * Files the corpus' sources mark invalid, with our decision for each (MANIFEST §1, §1b, §2a).
 * "read": the invalidity is about PDF/A conformance, schematron rules or fields we do not
 * read, so refusing would only block a real customer's import. "error": what we read is
 * itself wrong, so a clear AppError lists the problem.
 */
const INVALID_DECISIONS: Record<
  string,
  { outcome: "read"; why: string; expect: Partial<EInvoice>; warning?: RegExp } | { outcome: "error"; why: string; fields: string[] }
> = {
  "facturx/invalid_fx10_EN16931_Facture_FR.pdf": {
    outcome: "read",
    why: "fails only today's schematron ('no longer validates'); its header is complete and consistent",
    expect: { number: "FA-2017-0010", kind: "invoice", total: 67115, tax: 4625, paid: 20100, due: 47015 },
  },
  "facturx/invalid_fx10_MINIMUM_Avoir_type380.pdf": {
    outcome: "read",
    why: "an Avoir typed 380 with negative amounts — the 'negative invoice' PEPPOL also uses: a credit note of −233.47",
    expect: {
      number: "AV-2017-0005",
      kind: "credit_note",
      typeCode: "380",
      total: -23347,
      tax: -1499,
      paid: 0,
      precedingInvoices: ["FA-2017-0010"],
    },
    warning: /negative total: recorded as a credit note/,
  },
  "facturx/invalid_fx_xml_encoding_attribute.pdf": {
    outcome: "read",
    why: 'only the encoding label is wrong ("UTF-8-W/O-BOM"); the bytes are valid UTF-8',
    expect: { number: "RE-20201121/508", total: 57104, tax: 7504 },
    warning: /invalid encoding "UTF-8-W\/O-BOM"/,
  },
  "facturx/invalid_zf2_missing_ns_prefix_507b.pdf": {
    outcome: "read",
    why: "one element (BuyerReference) lacks its namespace prefix: a schema error on a field we do not use",
    expect: { number: "RE-20190610/507", issueDate: "2019-06-10", total: 57104 },
  },
  "facturx/invalid_fx_pdfa_python-factur-x.pdf": {
    outcome: "read",
    why: "PDF/A-3 conformance problems only (header comment, trailer ID, XMP); the XML is fine",
    expect: { number: "RE-20171118/506", total: 57104, embeddedFilename: "factur-x.xml" },
  },
  "facturx/invalid_zf1and2_both_attached.pdf": {
    outcome: "read",
    why: "carries ZUGFeRD 1.0 and 2.x XML: the 2.x one (factur-x.xml, also the XMP's DocumentFileName) is read",
    expect: { number: "RE-20171118/506", syntax: "cii", embeddedFilename: "factur-x.xml", total: 57104 },
    warning: /also carries ZUGFeRD-invoice\.xml \(zugferd1\); factur-x\.xml was read/,
  },
  "facturx/invalid_zf10_fail1.pdf": {
    outcome: "error",
    why: "issue date in an undefined format (1020) and no invoice currency: we cannot know the date",
    fields: ["BT-2 Invoice issue date (IssueDateTime)", "BT-5 Invoice currency code (InvoiceCurrencyCode)"],
  },
  "facturx/xml/invalid_zf2_noNetPriceValidation.xml": {
    outcome: "read",
    why: "a line's net price is inconsistent; lines are not read and the header totals add up",
    expect: { number: "RE-20201121/508", total: 37604, tax: 6004 },
  },
  "cii/invalid_EeISI_300_CENfullmodel.cii.xml": {
    outcome: "read",
    why: "dummy identifier values fail code-list rules; the header fields we read are well-formed",
    expect: { number: "Test_EeISI_100", total: 20500, tax: 500, precedingInvoices: ["abc123"] },
  },
};

describe("every corpus e-invoice that its source marks invalid", () => {
  const files = corpusFiles().filter(isInvalid);

  it("has a documented decision for each of them", () => {
    expect(files.filter((f) => !(f in INVALID_DECISIONS))).toEqual([]);
    expect(files.length).toBe(Object.keys(INVALID_DECISIONS).length);
  });

  for (const rel of files) {
    const decision = INVALID_DECISIONS[rel];
    if (!decision) continue;
    if (decision.outcome === "read") {
      it(`reads ${rel}: ${decision.why}`, async () => {
        const r = await read(rel);
        expect(r).toMatchObject(decision.expect);
        if (decision.warning) expect(r.warnings.join("\n")).toMatch(decision.warning);
      });
    } else {
      it(`refuses ${rel} with a clear error: ${decision.why}`, async () => {
        const e = await readError(bytesOf(rel), name(rel));
        expect(e.code).toBe("invalid_input");
        expect(e.message).toContain(name(rel));
        expect(e.problems.map((p) => p.field)).toEqual(decision.fields);
      });
    }
  }
});

// ---- exact values read by hand from the XML --------------------------------------------

describe("values read by hand from the files", () => {
  it("Factur-X MINIMUM (FR): prepaid derived from the amount due, SIREN from a SIRET under scheme 0002", async () => {
    const r = await read("facturx/valid_fx10_MINIMUM_Facture_FR.pdf");
    expect(r).toMatchObject({
      number: "FA-2017-0010",
      kind: "invoice",
      typeCode: "380",
      profile: "MINIMUM",
      issueDate: "2017-11-13",
      dueDate: null,
      currency: "EUR",
      total: 67115, // GrandTotalAmount 671.15
      tax: 4625, // TaxTotalAmount 46.25
      paid: 20100, // no TotalPrepaidAmount: 671.15 − DuePayableAmount 470.15
      due: 47015,
      embeddedFilename: "factur-x.xml",
      customer: { name: "Ma jolie boutique", siren: "787878784", vatNumber: "FR19787878784", language: "fr" },
    });
  });

  it("Factur-X BASIC Avoir 381: a credit note stored negative, with its preceding invoice", async () => {
    const r = await read("facturx/valid_fx10_BASIC_Avoir_FR_type381.pdf");
    expect(r).toMatchObject({
      number: "AV-2017-0005",
      kind: "credit_note",
      typeCode: "381",
      issueDate: "2017-11-16",
      dueDate: "2017-11-16",
      total: -23347, // GrandTotalAmount 233.47
      tax: -1499, // TaxTotalAmount 14.99
      paid: 0,
      due: -23347,
      precedingInvoices: ["FA-2017-0010"],
      customer: { name: "Ma jolie boutique", siren: "787878784" },
    });
  });

  it("ZUGFeRD 1.0 COMFORT PDF (CrossIndustryDocument, ZUGFeRD-invoice.xml)", async () => {
    const r = await read("facturx/valid_zf10_COMFORT_Einfach.pdf");
    expect(r).toMatchObject({
      syntax: "zugferd1",
      profile: "COMFORT",
      embeddedFilename: "ZUGFeRD-invoice.xml",
      number: "471102",
      issueDate: "2013-03-05",
      dueDate: "2013-04-04",
      total: 52987,
      tax: 5687,
      paid: 0,
      customer: { name: "Kunden AG Mitte", ref: "GE2020211" },
    });
  });

  it("ZUGFeRD 2 with prepayment: TotalPrepaidAmount becomes paid", async () => {
    const r = await read("facturx/xml/zf2_rabatte_3_abschlag_duepayable.xml");
    expect(r).toMatchObject({ number: "ST-1499", issueDate: "2019-07-26", total: 6474, tax: 1034, paid: 5000, due: 1474 });
    expect(r.customer.name).toBe("Thomas Adler");
  });

  it("ZUGFeRD 2 EXTENDED in GBP: tax in the invoice currency, net due date rather than the discount date", async () => {
    const r = await read("facturx/valid_zf20_EXTENDED_Fremdwaehrung.pdf");
    // TaxTotalAmount GBP 163.16 and EUR 183.14; terms: net by 20181120, 2 % Skonto by 20181114.
    expect(r).toMatchObject({ currency: "GBP", total: 102191, tax: 16316, paid: 50000, due: 52191, dueDate: "2018-11-20" });
  });

  it("CII in HUF: number with slashes, dates, totals", async () => {
    const r = await read("cii/CEN_CII_huf_example.xml");
    expect(r).toMatchObject({
      number: "21/001003559/996",
      issueDate: "2021-10-05",
      dueDate: "2021-11-01",
      currency: "HUF",
      total: 8785900,
      tax: 1867900,
    });
  });

  it("CII EeISI: a BT-49 address that is not an email falls back to the contact email; EUR tax, not NOK", async () => {
    const r = await read("cii/invalid_EeISI_300_CENfullmodel.cii.xml");
    expect(r.customer).toMatchObject({ name: "Buyer name", email: "buyer@contact.ie", vatNumber: "IE394838894", siren: null });
    expect(r.tax).toBe(500);
  });

  it("UBL CreditNote: root CreditNote, total negative, buyer legal name, VAT and email", async () => {
    const r = await read("ubl/CEN_UBL_creditnote1.xml");
    expect(r).toMatchObject({
      number: "018304 / 28865",
      kind: "credit_note",
      typeCode: "381",
      issueDate: "2019-09-23",
      dueDate: null,
      currency: "EUR",
      total: -10011,
      tax: 0,
      paid: 0,
      customer: { name: "My Customer Company", vatNumber: "BE0000000295", email: "pete.smith@mycustomercompany.be" },
    });
  });

  it("UBL negative invoice (PEPPOL crediting by a 380 with negative amounts) is a credit note", async () => {
    const r = await read("ubl/PEPPOL_BIS3_SE_Kreditering_med_negativ_faktura.xml");
    expect(r).toMatchObject({
      number: "2018140",
      kind: "credit_note",
      typeCode: "380",
      issueDate: "2018-02-10",
      dueDate: "2018-03-07",
      currency: "SEK",
      total: -1083500, // TaxInclusiveAmount -10835
      tax: -216700, // TaxAmount -2167
      paid: -83490, // PrepaidAmount -834.9
      due: -1000000, // PayableAmount -10000 (rounding +0.10)
      precedingInvoices: ["2018133"],
      customer: { name: "Project services AB" },
    });
  });

  it("German 'Gutschrift' is a self-billed invoice (389), not a credit note", async () => {
    const r = await read("cii/ZF22_EN16931_Gutschrift.cii.xml");
    expect(r).toMatchObject({ typeCode: "389", kind: "invoice", total: 52987 });
  });
});

describe("the same invoice in three syntaxes", () => {
  const fields = (r: EInvoice) => ({
    number: r.number,
    kind: r.kind,
    issueDate: r.issueDate,
    currency: r.currency,
    total: r.total,
    tax: r.tax,
    paid: r.paid,
    buyer: r.customer.name,
  });

  it("EN16931_Einfach: Factur-X PDF, CII and UBL give the same values", async () => {
    const pdf = fields(await read("facturx/valid_zf22_EN16931_Einfach.pdf"));
    expect(pdf).toEqual({
      number: "471102",
      kind: "invoice",
      issueDate: "2018-03-05",
      currency: "EUR",
      total: 52987,
      tax: 5687,
      paid: 0,
      buyer: "Kunden AG Mitte",
    });
    expect(fields(await read("cii/ZF22_EN16931_Einfach.cii.xml"))).toEqual(pdf);
    expect(fields(await read("ubl/ZF22_EN16931_Einfach.ubl.xml"))).toEqual(pdf);
  });

  it("EN16931_Gutschrift and XRECHNUNG_Einfach agree across syntaxes too", async () => {
    const gutschrift = fields(await read("facturx/valid_zf22_EN16931_Gutschrift.pdf"));
    expect(fields(await read("cii/ZF22_EN16931_Gutschrift.cii.xml"))).toEqual(gutschrift);
    expect(fields(await read("ubl/ZF22_EN16931_Gutschrift.ubl.xml"))).toEqual(gutschrift);
    const xr = await read("facturx/valid_zf22_XRECHNUNG_Einfach.pdf");
    expect(xr.embeddedFilename).toBe("xrechnung.xml");
    expect(xr.profile).toBe("XRECHNUNG");
    expect(fields(await read("cii/ZF22_XRECHNUNG_Einfach.cii.xml"))).toEqual(fields(await read("ubl/ZF22_XRECHNUNG_Einfach.ubl.xml")));
  });

  it("Rechnungskorrektur (384 lowering the bill) is a credit note of −8.79 in CII and UBL", async () => {
    const cii = fields(await read("cii/ZF22_EN16931_Rechnungskorrektur.cii.xml"));
    expect(cii).toMatchObject({ number: "RK21012345", kind: "credit_note", total: -879, tax: -112 });
    expect(fields(await read("ubl/ZF22_EN16931_Rechnungskorrektur.ubl.xml"))).toEqual(cii);
  });
});

// ---- synthetic files -------------------------------------------------------------------

const MINIMUM_XML = () => new TextDecoder().decode(bytesOf("facturx/xml/fx_MINIMUM_akretion.xml"));

async function pdfWith(attachments: { name: string; bytes: Uint8Array }[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage();
  page.drawText("Facture", { font: await doc.embedFont(StandardFonts.Helvetica) });
  for (const a of attachments) {
    await doc.attach(a.bytes, a.name, { mimeType: "text/xml", afRelationship: AFRelationship.Alternative });
  }
  return doc.save();
}

describe("synthetic CII variants", () => {
  it("reads the same values whatever the namespace prefixes", async () => {
    const original = await readEInvoice(new TextEncoder().encode(MINIMUM_XML()), "a.xml");
    const renamed = MINIMUM_XML()
      .replace(/(<\/?)rsm:/g, "$1inv:")
      .replace(/xmlns:rsm=/g, "xmlns:inv=")
      .replace(/(<\/?)ram:/g, "$1x:")
      .replace(/xmlns:ram=/g, "xmlns:x=");
    expect(renamed).toContain("<inv:CrossIndustryInvoice");
    const r = await readEInvoice(new TextEncoder().encode(renamed), "b.xml");
    expect({ ...r, original: null }).toEqual({ ...original, original: null });
    expect(r.number).toBe("F20260023");
  });

  it("rounds a total with three decimals half-up to the cent and warns", async () => {
    const xml = MINIMUM_XML().replace(/(<ram:GrandTotalAmount[^>]*>)[^<]+</, "$1104.905<");
    const r = await readEInvoice(new TextEncoder().encode(xml), "c.xml");
    expect(r.total).toBe(10491);
    expect(r.warnings.join("\n")).toContain("BT-112 GrandTotalAmount: 104.905 has more than two decimals; rounded to 104.91");
  });

  it("refuses a file without number, issue date or grand total, naming each field", async () => {
    const xml = MINIMUM_XML()
      .replace(/<ram:ID>F20260023<\/ram:ID>/, "")
      .replace(/<udt:DateTimeString format="102">\d+<\/udt:DateTimeString>/, "")
      .replace(/<ram:GrandTotalAmount[^>]*>[^<]+<\/ram:GrandTotalAmount>/, "");
    const e = await readError(new TextEncoder().encode(xml), "broken.xml");
    expect(e.code).toBe("invalid_input");
    expect(e.problems.map((p) => p.field)).toEqual([
      "BT-1 Invoice number (ExchangedDocument/ID)",
      "BT-2 Invoice issue date (IssueDateTime)",
      "BT-112 GrandTotalAmount",
    ]);
  });

  it("refuses a grand total given only in another currency than the invoice's", async () => {
    const xml = MINIMUM_XML().replace(/<ram:GrandTotalAmount[^>]*>/, '<ram:GrandTotalAmount currencyID="USD">');
    const e = await readError(new TextEncoder().encode(xml), "usd.xml");
    expect(e.problems).toEqual([{ field: "BT-112 GrandTotalAmount", message: "not given in the invoice currency EUR" }]);
  });

  it("refuses an amount that is not a number", async () => {
    const xml = MINIMUM_XML().replace(/(<ram:GrandTotalAmount[^>]*>)[^<]+</, "$1104,90<");
    const e = await readError(new TextEncoder().encode(xml), "d.xml");
    expect(e.problems).toEqual([{ field: "BT-112 GrandTotalAmount", message: '"104,90" is not a decimal amount' }]);
  });

  it("refuses an XML that is neither CII nor UBL", async () => {
    const e = await readError(new TextEncoder().encode('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>'), "camt.xml");
    expect(e.message).toMatch(/not a Factur-X\/ZUGFeRD PDF, a CII or a UBL invoice/);
  });
});

describe("Factur-X PDFs built here", () => {
  it("a PDF without attachments gets a clear error", async () => {
    const e = await readError(await pdfWith([]), "scan.pdf");
    expect(e.code).toBe("invalid_input");
    expect(e.message).toBe(NO_EMBEDDED_INVOICE);
    expect(e.message).toBe("this PDF contains no Factur-X/ZUGFeRD invoice (no embedded XML)");
  });

  it("a PDF whose only XML attachment is not an invoice gets a clear error naming it", async () => {
    const e = await readError(await pdfWith([{ name: "notes.xml", bytes: new TextEncoder().encode("<Notes/>") }]), "x.pdf");
    expect(e.message).toContain("notes.xml is not a CII or UBL invoice");
  });

  it("an Order-X purchase order is not read as an invoice", async () => {
    const order = '<rsm:SCRDMCCBDACIOMessageStructure xmlns:rsm="urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"/>';
    const e = await readError(await pdfWith([{ name: "order-x.xml", bytes: new TextEncoder().encode(order) }]), "po.pdf");
    expect(e.message).toMatch(/Order-X purchase order, not an invoice/);
  });

  it("finds the XML under any name, case-insensitively, and keeps the PDF as original", async () => {
    const pdf = await pdfWith([
      { name: "readme.txt", bytes: new TextEncoder().encode("hello") },
      { name: "FACTUR-X.XML", bytes: new TextEncoder().encode(MINIMUM_XML()) },
    ]);
    expect(detectEInvoice(pdf, "f.pdf")).toBe("facturx");
    const r = await readEInvoice(pdf, "f.pdf");
    expect(r).toMatchObject({ format: "facturx", number: "F20260023", total: 10490, embeddedFilename: "FACTUR-X.XML" });
    expect(r.original).toEqual({ filename: "f.pdf", mediaType: "application/pdf", bytes: pdf });
  });

  it("finds an attachment listed only in the catalog's /AF array", async () => {
    const built = await PDFDocument.load(await pdfWith([{ name: "factur-x.xml", bytes: new TextEncoder().encode(MINIMUM_XML()) }]));
    built.catalog.delete(PDFName.of("Names"));
    const pdf = await built.save();
    expect((await readEInvoice(pdf, "af.pdf")).number).toBe("F20260023");
  });

  it("rejects an XXE inside the embedded XML, and no file content leaks", async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${MINIMUM_XML()
      .replace(/^<\?xml[^>]*>/, "")
      .replace("F20260023", "&e;")}`;
    const e = await readError(await pdfWith([{ name: "factur-x.xml", bytes: new TextEncoder().encode(xxe) }]), "xxe.pdf");
    expect(e.message).toContain("DTD/entity declarations are not allowed");
    expect(`${e.message}${JSON.stringify(e.problems)}`).not.toMatch(/root:.*:0:0:/);
  });

  it("an encrypted PDF gets a clear error", async () => {
    const doc = await PDFDocument.create();
    doc.addPage();
    doc.context.trailerInfo.Encrypt = doc.context.register(doc.context.obj({ Filter: "Standard", V: 2, R: 3 }));
    const e = await readError(await doc.save(), "locked.pdf");
    expect(e.message).toMatch(/encrypted/);
  });

  it("broken PDFs give an AppError, never a crash", async () => {
    const real = bytesOf("facturx/valid_zf20_BASIC_Einfach.pdf");
    const samples: Uint8Array[] = [
      new TextEncoder().encode("%PDF-1.7\nthis is not a pdf"),
      real.subarray(0, 2000),
      real.subarray(0, Math.floor(real.length / 2)),
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5; i++) {
      const copy = real.slice();
      for (let j = 0; j < 200; j++) copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      samples.push(copy);
    }
    const { warn, log } = console;
    for (const s of samples) {
      try {
        const r = await readEInvoice(s, "broken.pdf");
        // A damaged PDF whose attachment survived may still be read: then it must be sensible.
        expect(r.number).not.toBe("");
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
      }
    }
    // pdf-lib's console noise is silenced only while a PDF is read.
    expect(console.warn).toBe(warn);
    expect(console.log).toBe(log);
  });

  it("does not inflate an oversized embedded file (decompression bomb)", async () => {
    const bomb = new Uint8Array(30 * 1024 * 1024).fill(0x20);
    const e = await readError(await pdfWith([{ name: "factur-x.xml", bytes: bomb }]), "bomb.pdf");
    expect(e.message).toContain(NO_EMBEDDED_INVOICE);
    expect(e.message).toMatch(/attachment factur-x\.xml could not be decoded/);
  });
});

describe("detectEInvoice", () => {
  it("tells PDF, CII (incl. ZUGFeRD 1.0) and UBL apart, and returns null for anything else", () => {
    expect(detectEInvoice(bytesOf("cii/CEN_CII_example1.xml"), "x.xml")).toBe("cii");
    expect(detectEInvoice(bytesOf("facturx/xml/zf10_BASIC_akretion.xml"), "x.xml")).toBe("cii");
    expect(detectEInvoice(bytesOf("ubl/CEN_UBL_creditnote1.xml"), "x.xml")).toBe("ubl");
    expect(detectEInvoice(bytesOf("facturx/valid_zf20_MINIMUM.pdf"), "x.pdf")).toBe("facturx");
    expect(detectEInvoice(new TextEncoder().encode("<Invoice><ID>1</ID></Invoice>"), "x.xml")).toBeNull();
    expect(detectEInvoice(new TextEncoder().encode("code_client;nom\n1;Dupont"), "x.csv")).toBeNull();
    expect(detectEInvoice(new Uint8Array([0, 1, 2, 255]), "x.bin")).toBeNull();
  });
});
