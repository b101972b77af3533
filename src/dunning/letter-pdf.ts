/**
 * Letters (formal notice, reminder letters) and statements of open items as PDF (pdf-lib,
 * standard Helvetica: WinAnsi text, so € and French accents print; characters outside it,
 * such as the narrow no-break space of French number grouping, are replaced).
 * Layout: the company's identity top left, the customer's address in the window position
 * on the right, date and subject, the body of the step's template with the table of
 * invoices where the template puts `{{ invoice_table }}`, totals and penalties, payment
 * details, page numbers.
 */
import { PDFDocument, type PDFFont, type PDFImage, type PDFPage, rgb, StandardFonts } from "pdf-lib";
import { formatMoney } from "../domain/money.js";
import { formatRf } from "../domain/rf-reference.js";
import { logoImage } from "../services/settings.js";
import { type DocLine, INVOICE_TABLE_MARKER, type MessageData } from "./context.js";
import { formatLongDate, formatShortDate } from "./format.js";

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 56;
const WINANSI_EXTRA = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";

/** Keeps what Helvetica (WinAnsi) can print. */
export function pdfSafe(text: string): string {
  return text
    .replace(/[\u202f\u2009\u2007]/g, " ")
    .replace(/\u2212/g, "-")
    .replace(/[^\n\u0020-\u007e\u00a0-\u00ff]/g, (c) => (WINANSI_EXTRA.includes(c) ? c : "?"));
}

interface Cursor {
  page: PDFPage;
  y: number;
}

class Writer {
  pages: PDFPage[] = [];
  cur!: Cursor;
  constructor(
    readonly pdf: PDFDocument,
    readonly font: PDFFont,
    readonly bold: PDFFont,
  ) {
    this.newPage();
  }
  newPage() {
    const page = this.pdf.addPage([A4.width, A4.height]);
    this.pages.push(page);
    this.cur = { page, y: A4.height - MARGIN };
  }
  ensure(height: number) {
    if (this.cur.y - height < MARGIN + 20) this.newPage();
  }
  text(s: string, x: number, size = 10, options: { bold?: boolean; color?: [number, number, number] } = {}) {
    this.cur.page.drawText(pdfSafe(s), {
      x,
      y: this.cur.y,
      size,
      font: options.bold ? this.bold : this.font,
      color: options.color ? rgb(...options.color) : rgb(0, 0, 0),
    });
  }
  width(s: string, size = 10, bold = false) {
    return (bold ? this.bold : this.font).widthOfTextAtSize(pdfSafe(s), size);
  }
  /** Right-aligned at x. */
  textRight(s: string, x: number, size = 10, bold = false) {
    this.text(s, x - this.width(s, size, bold), size, { bold });
  }
  wrap(s: string, maxWidth: number, size = 10, bold = false): string[] {
    const out: string[] = [];
    for (const para of s.split("\n")) {
      const words = para.split(/ +/);
      let line = "";
      for (const word of words) {
        let w = word;
        // A word wider than the line (a long link) is cut where it overflows.
        while (this.width(w, size, bold) > maxWidth && w.length > 1) {
          if (line) {
            out.push(line);
            line = "";
          }
          let n = w.length - 1;
          while (n > 1 && this.width(w.slice(0, n), size, bold) > maxWidth) n--;
          out.push(w.slice(0, n));
          w = w.slice(n);
        }
        const candidate = line ? `${line} ${w}` : w;
        if (this.width(candidate, size, bold) <= maxWidth || !line) line = candidate;
        else {
          out.push(line);
          line = w;
        }
      }
      out.push(line);
    }
    return out;
  }
  paragraph(s: string, size = 10, options: { bold?: boolean; x?: number; width?: number; leading?: number } = {}) {
    const x = options.x ?? MARGIN;
    const width = options.width ?? A4.width - MARGIN - x;
    const leading = options.leading ?? size * 1.35;
    for (const line of this.wrap(s, width, size, options.bold)) {
      this.ensure(leading);
      this.text(line, x, size, { bold: options.bold });
      this.cur.y -= leading;
    }
  }
  rule(y = this.cur.y) {
    this.cur.page.drawLine({
      start: { x: MARGIN, y },
      end: { x: A4.width - MARGIN, y },
      thickness: 0.5,
      color: rgb(0.6, 0.6, 0.6),
    });
  }
}

function labels(lang: "fr" | "en") {
  return lang === "fr"
    ? {
        invoice: "Facture",
        date: "Date",
        due: "Échéance",
        amount: "Montant TTC",
        outstanding: "Reste dû",
        late: "Retard (j)",
        interest: "Intérêts",
        total: "Total restant dû",
        interestTotal: "Intérêts de retard (art. L441-10 C. com.)",
        indemnity: (n: number) => `Indemnité forfaitaire de recouvrement, 40 € x ${n} (art. D441-5 C. com.)`,
        claimed: "Total réclamé",
        credits: "Avoirs non imputés",
        balance: "Solde du compte",
        ref: "Réf. client",
        siren: "SIREN",
        vat: "TVA",
        payment: "Règlement",
        online: "En ligne",
        transfer: "Virement",
        page: (i: number, n: number) => `Page ${i}/${n}`,
        statement: "Relevé de compte",
        statementAt: (d: string) => `Relevé des pièces ouvertes au ${d}`,
        kindCredit: "Avoir",
        kindInvoice: "Facture",
        piece: "Pièce",
        on: (d: string) => `Le ${d}`,
        subject: "Objet",
      }
    : {
        invoice: "Invoice",
        date: "Date",
        due: "Due date",
        amount: "Amount",
        outstanding: "Outstanding",
        late: "Days late",
        interest: "Interest",
        total: "Total outstanding",
        interestTotal: "Late-payment interest (art. L441-10 French Commercial Code)",
        indemnity: (n: number) => `Fixed recovery indemnity, €40 x ${n} (art. D441-5 French Commercial Code)`,
        claimed: "Total claimed",
        credits: "Credit notes not yet applied",
        balance: "Account balance",
        ref: "Customer ref.",
        siren: "SIREN",
        vat: "VAT",
        payment: "Payment",
        online: "Online",
        transfer: "Bank transfer",
        page: (i: number, n: number) => `Page ${i}/${n}`,
        statement: "Statement of account",
        statementAt: (d: string) => `Open items at ${d}`,
        kindCredit: "Credit note",
        kindInvoice: "Invoice",
        piece: "Document",
        on: (d: string) => d,
        subject: "Subject",
      };
}

/** The company's logo (setting company.logo), embedded once per document. */
async function embedLogo(pdf: PDFDocument, data: MessageData): Promise<PDFImage | null> {
  const image = logoImage(data.settings["company.logo"]);
  if (!image) return null;
  try {
    return image.type === "image/png" ? await pdf.embedPng(image.bytes) : await pdf.embedJpg(image.bytes);
  } catch {
    return null; // an image pdf-lib cannot read (e.g. interlaced PNG): the letter goes without it
  }
}

function header(w: Writer, data: MessageData, logo: PDFImage | null) {
  const s = data.settings;
  const L = labels(data.lang);
  if (logo) {
    // At most 48 pt high and 160 pt wide, top left, above the company's name.
    const scale = Math.min(48 / logo.height, 160 / logo.width, 1);
    const h = logo.height * scale;
    w.cur.page.drawImage(logo, { x: MARGIN, y: w.cur.y - h + 10, width: logo.width * scale, height: h });
    w.cur.y -= h + 6;
  }
  w.text(data.companyName, MARGIN, 13, { bold: true });
  w.cur.y -= 15;
  const idLines = [
    ...(s["company.address"] ?? "").split(/\n|,\s*/).filter(Boolean),
    s["company.siren"] ? `${L.siren} ${s["company.siren"]}` : "",
    s["company.vat_number"] ? `${L.vat} ${s["company.vat_number"]}` : "",
    [s["company.phone"], s["company.email"]].filter(Boolean).join(" - "),
  ].filter(Boolean);
  const top = w.cur.y;
  for (const l of idLines) {
    w.text(l, MARGIN, 9, { color: [0.25, 0.25, 0.25] });
    w.cur.y -= 12;
  }
  // Recipient block (window envelope position, right side).
  let y = Math.min(top - 40, A4.height - 160);
  const x = 320;
  const saveY = w.cur.y;
  w.cur.y = y;
  w.text(data.customer.name, x, 11, { bold: true });
  y -= 14;
  for (const l of (data.customer.address ?? "").split(/\n/).filter(Boolean)) {
    w.cur.y = y;
    w.text(l.trim(), x, 10);
    y -= 13;
  }
  w.cur.y = Math.min(saveY, y) - 30;
  w.text(L.on(formatLongDate(data.asOf, data.lang)), 320, 10);
  w.cur.y -= 14;
  w.text(`${L.ref} : ${data.customer.ref}`, 320, 9, { color: [0.25, 0.25, 0.25] });
  w.cur.y -= 28;
}

function invoiceTable(w: Writer, data: MessageData, docs: DocLine[], withPenalties: boolean) {
  const L = labels(data.lang);
  const m = (c: number) => formatMoney(c, data.lang);
  const right = A4.width - MARGIN;
  const cols = withPenalties
    ? { number: MARGIN, date: 150, due: 210, amount: 330, outstanding: 400, late: 445, interest: right }
    : { number: MARGIN, date: 170, due: 250, amount: 390, outstanding: right, late: 0, interest: 0 };
  w.ensure(40);
  const head = () => {
    w.text(L.invoice, cols.number, 9, { bold: true });
    w.text(L.date, cols.date, 9, { bold: true });
    w.text(L.due, cols.due, 9, { bold: true });
    w.textRight(L.amount, cols.amount, 9, true);
    w.textRight(L.outstanding, cols.outstanding, 9, true);
    if (withPenalties) {
      w.textRight(L.late, cols.late, 9, true);
      w.textRight(L.interest, cols.interest, 9, true);
    }
    w.cur.y -= 5;
    w.rule();
    w.cur.y -= 12;
  };
  head();
  for (const d of docs) {
    if (w.cur.y - 14 < MARGIN + 20) {
      w.newPage();
      head();
    }
    w.text(d.number, cols.number, 9);
    w.text(formatShortDate(d.issueDate, data.lang), cols.date, 9);
    w.text(formatShortDate(d.dueDate, data.lang), cols.due, 9);
    w.textRight(m(d.total), cols.amount, 9);
    w.textRight(m(d.outstanding), cols.outstanding, 9);
    if (withPenalties) {
      w.textRight(String(d.daysLate), cols.late, 9);
      w.textRight(m(d.interest), cols.interest, 9);
    }
    w.cur.y -= 13;
  }
  w.rule(w.cur.y + 8);
  w.cur.y -= 6;
  const totalLine = (label: string, value: string, bold = false) => {
    w.ensure(14);
    w.text(label, MARGIN, 9.5, { bold });
    w.textRight(value, right, 9.5, bold);
    w.cur.y -= 13;
  };
  const outstanding = docs.reduce((t, d) => t + Math.max(0, d.outstanding), 0);
  totalLine(L.total, m(outstanding), !withPenalties);
  if (withPenalties && data.penalties) {
    const late = docs.filter((d) => d.indemnity > 0).length;
    totalLine(L.interestTotal, m(data.totals.interest));
    totalLine(L.indemnity(late), m(data.totals.indemnities));
    totalLine(L.claimed, m(outstanding + data.totals.interest + data.totals.indemnities), true);
  }
  if (data.credits.length > 0 && docs === data.documents) {
    totalLine(L.credits, m(data.totals.credits));
    totalLine(L.balance, m(data.totals.balance));
  }
  w.cur.y -= 10;
}

function paymentBlock(w: Writer, data: MessageData) {
  const L = labels(data.lang);
  w.ensure(60);
  w.rule();
  w.cur.y -= 14;
  w.text(L.payment, MARGIN, 9.5, { bold: true });
  w.cur.y -= 13;
  w.paragraph(`${L.online} : ${data.paymentLink}`, 8.5);
  if (data.bank.iban) {
    const open = data.documents.filter((d) => d.outstanding > 0);
    const rf = open.length === 1 && open[0]?.rf ? ` - RF ${formatRf(open[0].rf)}` : "";
    w.paragraph(
      `${L.transfer} : ${data.bank.beneficiary} - IBAN ${data.bank.iban.replace(/(.{4})/g, "$1 ").trim()}${data.bank.bic ? ` - BIC ${data.bank.bic}` : ""}${rf}`,
      8.5,
    );
  }
}

function footer(pdfPages: PDFPage[], font: PDFFont, lang: "fr" | "en", companyName: string) {
  const L = labels(lang);
  pdfPages.forEach((p, i) => {
    const label = pdfSafe(`${companyName} - ${L.page(i + 1, pdfPages.length)}`);
    p.drawText(label, { x: A4.width - MARGIN - font.widthOfTextAtSize(label, 8), y: 30, size: 8, font, color: rgb(0.4, 0.4, 0.4) });
  });
}

async function start(title: string) {
  const pdf = await PDFDocument.create();
  pdf.setTitle(pdfSafe(title));
  pdf.setProducer("Relance");
  pdf.setCreator("Relance");
  // Fixed dates: the same letter renders to the same bytes (a resent message is identical).
  pdf.setCreationDate(new Date(0));
  pdf.setModificationDate(new Date(0));
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  return { pdf, w: new Writer(pdf, font, bold), font };
}

/** A letter: the rendered template (subject + body) laid out with the invoice table. */
export async function renderLetterPdf(data: MessageData, rendered: { subject: string; body: string }): Promise<Uint8Array> {
  const { pdf, w, font } = await start(rendered.subject);
  const L = labels(data.lang);
  header(w, data, await embedLogo(pdf, data));
  w.paragraph(`${L.subject} : ${rendered.subject}`, 10.5, { bold: true });
  w.cur.y -= 8;
  const open = data.documents.filter((d) => d.outstanding > 0);
  let tableDone = false;
  const blocks = rendered.body.split(/\n{2,}/);
  for (const block of blocks) {
    if (block.trim() === INVOICE_TABLE_MARKER) {
      invoiceTable(w, data, open, data.penalties !== null);
      tableDone = true;
      continue;
    }
    w.paragraph(block.replaceAll(INVOICE_TABLE_MARKER, ""), 10);
    w.cur.y -= 7;
  }
  if (!tableDone) invoiceTable(w, data, open, data.penalties !== null);
  // The shipped letters print the payment details through {{ payment_instructions }}.
  if (!rendered.body.includes(data.paymentLink)) paymentBlock(w, data);
  footer(w.pages, font, data.lang, data.companyName);
  return pdf.save({ useObjectStreams: false });
}

/** Statement of every open item of the customer (invoices and credit notes). */
export async function renderStatementPdf(data: MessageData): Promise<Uint8Array> {
  const L = labels(data.lang);
  const { pdf, w, font } = await start(L.statement);
  header(w, data, await embedLogo(pdf, data));
  w.paragraph(L.statementAt(formatLongDate(data.asOf, data.lang)), 11, { bold: true });
  w.cur.y -= 8;
  const items = data.openItems;
  const m = (c: number) => formatMoney(c, data.lang);
  const right = A4.width - MARGIN;
  const head = () => {
    for (const [label, x] of [
      [L.piece, MARGIN],
      [L.invoice, 120],
      [L.date, 230],
      [L.due, 300],
    ] as const)
      w.text(label, x, 9, { bold: true });
    w.textRight(L.amount, 450, 9, true);
    w.textRight(L.outstanding, right, 9, true);
    w.cur.y -= 5;
    w.rule();
    w.cur.y -= 12;
  };
  head();
  for (const d of items) {
    if (w.cur.y - 14 < MARGIN + 20) {
      w.newPage();
      head();
    }
    w.text(d.kind === "invoice" ? L.kindInvoice : L.kindCredit, MARGIN, 9);
    w.text(d.number, 120, 9);
    w.text(formatShortDate(d.issueDate, data.lang), 230, 9);
    w.text(formatShortDate(d.dueDate, data.lang), 300, 9);
    w.textRight(m(d.total), 450, 9);
    w.textRight(m(d.outstanding), right, 9);
    w.cur.y -= 13;
  }
  w.rule(w.cur.y + 8);
  w.cur.y -= 6;
  w.text(L.balance, MARGIN, 10, { bold: true });
  w.textRight(m(items.reduce((t, d) => t + d.outstanding, 0)), right, 10, true);
  w.cur.y -= 24;
  paymentBlock(w, data);
  footer(w.pages, font, data.lang, data.companyName);
  return pdf.save({ useObjectStreams: false });
}
