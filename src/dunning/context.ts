/**
 * Everything a reminder says, loaded once per message: the customer, its contact, the
 * documents of the message with what they still owe, the penalties when the step includes
 * them, the payment link and bank details, the sender and the company. `templateContext`
 * turns it into the Liquid variables (formatted for the customer's language); the letter
 * PDF and the webhook payload read the same data, so every surface shows the same figures.
 */
import { addDays, daysBetween, type IsoDate } from "../domain/dates.js";
import { formatMoney } from "../domain/money.js";
import {
  halfYearBounds,
  halfYearOf,
  LEGAL_INTEREST_RATES,
  type PenaltiesSummary,
  type PenaltyMovement,
  parseRatePercent,
  penaltiesFor,
  SHIPPED_PENALTY_RATES,
} from "../domain/penalties.js";
import { formatRf, rfForDocument } from "../domain/rf-reference.js";
import { notFound } from "../errors.js";
import { buildPortalLink, portalLink } from "../portal/link.js";
import { readSettings, type Settings } from "../services/settings.js";
import type { Db } from "../store/connect.js";
import { outstandingAt } from "../store/ledger-sql.js";
import { formatLongDate, formatPercent, formatShortDate, type Lang } from "./format.js";
import { type Channel, chaseDb, type StepTemplates } from "./schema.js";

/** Outstanding with every allocation and write-off recorded so far, whatever its date. */
export const CURRENT = "9999-12-31";

export interface DocLine {
  id: number;
  number: string;
  kind: "invoice" | "credit_note";
  issueDate: IsoDate;
  dueDate: IsoDate;
  total: number;
  outstanding: number;
  daysLate: number;
  interest: number;
  indemnity: number;
  rf: string | null;
  disputed: boolean;
  onHoldUntil: IsoDate | null;
}

export interface StepInfo {
  id: number | null;
  policyId: number | null;
  name: string;
  offsetDays: number;
  channel: Channel;
  includePenalties: boolean;
  attachStatement: boolean;
  attachLetter: boolean;
  templates: StepTemplates;
}

export interface MessageData {
  lang: Lang;
  asOf: IsoDate;
  org: { id: number; slug: string; name: string };
  settings: Settings;
  companyName: string;
  customer: {
    id: number;
    ref: string;
    name: string;
    address: string | null;
    siren: string | null;
    vatNumber: string | null;
    email: string | null;
    phone: string | null;
    language: Lang;
    assignedUserId: number | null;
    status: string;
    onHoldUntil: IsoDate | null;
  };
  contact: { name: string; email: string; phone: string };
  recipients: string[];
  sender: { name: string; email: string; title: string; userId: number | null };
  from: string;
  replyTo: string | null;
  step: StepInfo;
  /** The message's documents, as they stand now (settled ones included, outstanding 0). */
  documents: DocLine[];
  /** The customer's open credit notes (negative outstanding). */
  credits: DocLine[];
  /** Every open document of the customer (for statements). */
  openItems: DocLine[];
  penalties: PenaltiesSummary | null;
  /** The late-payment rate in force: the customer's contract, else the organisation's terms, else ECB + 10 points. */
  penaltyTerms: PenaltyTerms;
  totals: {
    outstanding: number;
    credits: number;
    balance: number;
    interest: number;
    indemnities: number;
    grandTotal: number;
    maxDaysLate: number;
  };
  paymentLink: string;
  bank: { iban: string; bic: string; beneficiary: string };
  warnings: string[];
}

export function splitEmails(s: string | null | undefined): string[] {
  return (s ?? "")
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter((x) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(x));
}

/** The address part of "Name <address>". */
export function addressOf(mailbox: string): string {
  return /<([^>]+)>/.exec(mailbox)?.[1] ?? mailbox.trim();
}

export interface PenaltyTerms {
  /** Basis points, or null for the legal default (ECB rate + 10 points). */
  contractualRateBp: number | null;
  source: "customer" | "org" | "legal";
}

/** Customer > organisation > legal default (DESIGN §5). */
export function penaltyTermsFor(customerRateBp: number | null | undefined, settings: Settings): PenaltyTerms {
  if (customerRateBp != null) return { contractualRateBp: customerRateBp, source: "customer" };
  const org = settings["penalties.contractual_rate"];
  if (org) return { contractualRateBp: parseRatePercent(org), source: "org" };
  return { contractualRateBp: null, source: "legal" };
}

/**
 * Payments allocated to, and write-offs of, these documents dated ≤ asOf: what reduced
 * each one's balance and when, for interest that runs on what was unpaid each day.
 */
async function movementsOf(db: Db, orgId: number, documentIds: number[], asOf: IsoDate): Promise<Map<number, PenaltyMovement[]>> {
  const out = new Map<number, PenaltyMovement[]>();
  if (documentIds.length === 0) return out;
  const [allocations, writeOffs] = await Promise.all([
    db
      .selectFrom("allocations")
      .select(["document_id", "date", "amount"])
      .where("org_id", "=", orgId)
      .where("document_id", "in", documentIds)
      .where("date", "<=", asOf)
      .execute(),
    db
      .selectFrom("write_offs")
      .select(["document_id", "date", "amount"])
      .where("org_id", "=", orgId)
      .where("document_id", "in", documentIds)
      .where("date", "<=", asOf)
      .execute(),
  ]);
  for (const m of [...allocations, ...writeOffs]) {
    const list = out.get(m.document_id) ?? [];
    list.push({ date: m.date, amount: Number(m.amount) });
    out.set(m.document_id, list);
  }
  return out;
}

export function penaltyRates(settings: Settings): Record<string, number> {
  const extra = Object.fromEntries(Object.entries(settings["penalties.rates"] ?? {}).map(([k, v]) => [k, parseRatePercent(String(v))]));
  return { ...SHIPPED_PENALTY_RATES, ...extra };
}

export interface LoadOptions {
  customerId: number;
  step: StepInfo;
  /** null: every open invoice of the customer that is due (previews, manual reminders). */
  documentIds: number[] | null;
  asOf: IsoDate;
  lang?: Lang;
  /** Outstanding counted at this date (default: everything recorded so far). */
  ledgerDate?: IsoDate;
}

export async function loadMessageData(db: Db, orgId: number, options: LoadOptions): Promise<MessageData> {
  const cdb = chaseDb(db);
  const ledgerDate = options.ledgerDate ?? CURRENT;
  const [org, customer] = await Promise.all([
    db.selectFrom("orgs").select(["id", "slug", "name"]).where("id", "=", orgId).executeTakeFirstOrThrow(),
    cdb.selectFrom("customers").selectAll().where("org_id", "=", orgId).where("id", "=", options.customerId).executeTakeFirst(),
  ]);
  if (!customer) throw notFound("customer");
  const [settings, contacts, assignee, docs] = await Promise.all([
    readSettings(db, orgId),
    db
      .selectFrom("contacts")
      .select(["name", "email", "phone", "language", "is_primary"])
      .where("org_id", "=", orgId)
      .where("customer_id", "=", customer.id)
      .orderBy("is_primary", "desc")
      .orderBy("id")
      .execute(),
    customer.assigned_user_id
      ? db.selectFrom("users").select(["id", "name", "email"]).where("id", "=", customer.assigned_user_id).executeTakeFirst()
      : Promise.resolve(undefined),
    db
      .selectFrom("documents as d")
      .select([
        "d.id",
        "d.number",
        "d.kind",
        "d.issue_date",
        "d.due_date",
        "d.total",
        "d.disputed",
        "d.on_hold_until",
        outstandingAt(ledgerDate).as("outstanding"),
      ])
      .where("d.org_id", "=", orgId)
      .where("d.customer_id", "=", customer.id)
      .orderBy("d.due_date")
      .orderBy("d.number")
      .execute(),
  ]);
  const openDisputes = new Set(
    (
      await db
        .selectFrom("disputes")
        .select("document_id")
        .where("org_id", "=", orgId)
        .where("status", "=", "open")
        .where("document_id", "in", docs.map((d) => d.id).concat([-1]))
        .execute()
    ).map((r) => r.document_id),
  );
  const primary = contacts[0];
  const lang: Lang = options.lang ?? (primary?.language as Lang | null) ?? customer.language;
  const asOf = options.asOf;
  const rates = penaltyRates(settings);
  const penaltyTerms = penaltyTermsFor(customer.penalty_rate_bp, settings);

  const line = (d: (typeof docs)[number]): DocLine => ({
    id: d.id,
    number: d.number,
    kind: d.kind,
    issueDate: d.issue_date,
    dueDate: d.due_date,
    total: d.total,
    outstanding: d.outstanding,
    daysLate: Math.max(0, daysBetween(d.due_date, asOf)),
    interest: 0,
    indemnity: 0,
    rf: d.kind === "invoice" ? rfForDocument(orgId, d.number) : null,
    disputed: d.disputed || openDisputes.has(d.id),
    onHoldUntil: d.on_hold_until,
  });
  const all = docs.map(line);
  const wanted = options.documentIds ? new Set(options.documentIds) : null;
  const documents = wanted
    ? all.filter((d) => wanted.has(d.id))
    : all.filter((d) => d.kind === "invoice" && d.outstanding > 0 && !d.disputed && (options.step.offsetDays < 0 || d.dueDate < asOf));
  const credits = all.filter((d) => d.kind === "credit_note" && d.outstanding < 0);
  const openItems = all.filter((d) => d.outstanding !== 0);

  const warnings: string[] = [];
  let penalties: PenaltiesSummary | null = null;
  if (options.step.includePenalties) {
    // Only the invoices the message asks to pay carry penalties (a settled one is not listed),
    // but each one's interest includes what its parts already paid late owed up to their payment date.
    const open = documents.filter((d) => d.kind === "invoice" && d.outstanding > 0);
    const movements = await movementsOf(
      db,
      orgId,
      open.map((d) => d.id),
      asOf,
    );
    penalties = penaltiesFor(
      open.map((d) => ({ id: d.id, kind: d.kind, total: d.total, dueDate: d.dueDate, movements: movements.get(d.id) ?? [] })),
      asOf,
      { rates, contractualRateBp: penaltyTerms.contractualRateBp ?? undefined },
    );
    const byId = new Map(penalties.documents.map((p) => [p.id, p]));
    for (const d of documents) {
      d.interest = byId.get(d.id)?.interest ?? 0;
      d.indemnity = byId.get(d.id)?.indemnity ?? 0;
    }
    for (const w of penalties.warnings) warnings.push(w.message);
  }
  const open = documents.filter((d) => d.outstanding > 0);
  const outstanding = open.reduce((t, d) => t + d.outstanding, 0);
  const creditTotal = credits.reduce((t, d) => t + d.outstanding, 0);
  const unallocated = Number(
    (
      await db
        .selectFrom("payments as p")
        .select((eb) =>
          eb.fn
            .coalesce(
              eb.fn.sum<number>(
                eb(
                  "p.amount",
                  "-",
                  eb.fn.coalesce(
                    eb
                      .selectFrom("allocations as a")
                      .select((e2) => e2.fn.sum<number>("a.amount").as("s"))
                      .whereRef("a.org_id", "=", "p.org_id")
                      .whereRef("a.payment_id", "=", "p.id"),
                    eb.val(0),
                  ),
                ),
              ),
              eb.val(0),
            )
            .as("u"),
        )
        .where("p.org_id", "=", orgId)
        .where("p.customer_id", "=", customer.id)
        .executeTakeFirst()
    )?.u ?? 0,
  );
  const balance = openItems.reduce((t, d) => t + d.outstanding, 0) - unallocated;
  const interest = penalties?.interest ?? 0;
  const indemnities = penalties?.indemnities ?? 0;

  const companyName = settings["company.name"] ?? org.name;
  const fromSetting = settings["mail.from"];
  const from = fromSetting ?? `${companyName} <relance@localhost>`;
  const title = lang === "fr" ? "Service comptabilité clients" : "Accounts receivable";
  const sender = assignee
    ? { name: assignee.name || assignee.email, email: assignee.email, title, userId: assignee.id }
    : { name: companyName, email: settings["company.email"] ?? (fromSetting ? addressOf(fromSetting) : ""), title, userId: null };
  const replyTo = assignee
    ? assignee.name
      ? `"${assignee.name.replace(/["\\]/g, "")}" <${assignee.email}>`
      : assignee.email
    : (settings["mail.reply_to"] ?? settings["company.email"] ?? null);
  const recipients = [...new Set([...splitEmails(customer.email), ...splitEmails(primary?.email)].map((e) => e.toLowerCase()))];

  return {
    lang,
    asOf,
    org,
    settings,
    companyName,
    customer: {
      id: customer.id,
      ref: customer.ref,
      name: customer.name,
      address: customer.address,
      siren: customer.siren,
      vatNumber: customer.vat_number,
      email: customer.email,
      phone: customer.phone,
      language: customer.language,
      assignedUserId: customer.assigned_user_id,
      status: customer.status,
      onHoldUntil: customer.on_hold_until,
    },
    contact: { name: primary?.name ?? "", email: primary?.email ?? recipients[0] ?? "", phone: primary?.phone ?? customer.phone ?? "" },
    recipients,
    sender,
    from,
    replyTo,
    step: options.step,
    documents,
    credits,
    openItems,
    penalties,
    penaltyTerms,
    totals: {
      outstanding,
      credits: creditTotal,
      balance,
      interest,
      indemnities,
      grandTotal: outstanding + interest + indemnities,
      maxDaysLate: open.reduce((m, d) => Math.max(m, d.daysLate), 0),
    },
    paymentLink: settings["portal.secret"]
      ? buildPortalLink(
          settings.base_url ?? process.env.RELANCE_BASE_URL ?? "http://127.0.0.1:3000",
          settings["portal.secret"],
          org.id,
          customer.id,
        )
      : await portalLink(db, org, customer),
    bank: { iban: settings["bank.iban"] ?? "", bic: settings["bank.bic"] ?? "", beneficiary: settings["bank.beneficiary"] ?? companyName },
    warnings,
  };
}

/** Marker the letter PDF replaces with its table of invoices. */
export const INVOICE_TABLE_MARKER = "[[invoices]]";

const formatIban = (iban: string) => iban.replace(/(.{4})/g, "$1 ").trim();

function invoiceTable(data: MessageData): string {
  const { lang } = data;
  const m = (c: number) => formatMoney(c, lang);
  const withRf = data.documents.length > 1;
  return data.documents
    .filter((d) => d.outstanding > 0)
    .map((d) => {
      const due = d.dueDate < data.asOf;
      const head =
        lang === "fr"
          ? `- Facture ${d.number} du ${formatShortDate(d.issueDate, lang)}, ${due ? "échue le" : "échéance le"} ${formatShortDate(d.dueDate, lang)}${due ? ` (${d.daysLate} jour${d.daysLate > 1 ? "s" : ""} de retard)` : ""} : ${m(d.outstanding)}${d.outstanding !== d.total ? ` restant dû sur ${m(d.total)}` : ""}`
          : `- Invoice ${d.number} of ${formatShortDate(d.issueDate, lang)}, due ${formatShortDate(d.dueDate, lang)}${due ? ` (${d.daysLate} day${d.daysLate > 1 ? "s" : ""} late)` : ""}: ${m(d.outstanding)}${d.outstanding !== d.total ? ` outstanding of ${m(d.total)}` : ""}`;
      const pen = data.penalties
        ? lang === "fr"
          ? ` — intérêts : ${m(d.interest)}, indemnité forfaitaire : ${m(d.indemnity)}`
          : ` — interest: ${m(d.interest)}, fixed indemnity: ${m(d.indemnity)}`
        : "";
      const rf = withRf && d.rf ? (lang === "fr" ? ` — réf. ${formatRf(d.rf)}` : ` — ref. ${formatRf(d.rf)}`) : "";
      return head + pen + rf;
    })
    .join("\n");
}

function paymentInstructions(data: MessageData): string {
  const { lang, bank } = data;
  const open = data.documents.filter((d) => d.outstanding > 0);
  const single = open.length === 1 ? open[0]?.rf : null;
  const lines = [lang === "fr" ? "Pour régler :" : "How to pay:"];
  lines.push(lang === "fr" ? `- en ligne : ${data.paymentLink}` : `- online: ${data.paymentLink}`);
  if (bank.iban) {
    const ref = single ? formatRf(single) : null;
    const refText = ref
      ? lang === "fr"
        ? ` — référence à indiquer : ${ref}`
        : ` — reference: ${ref}`
      : lang === "fr"
        ? " — indiquez la référence RF de chaque facture"
        : " — quote the RF reference of each invoice";
    lines.push(
      lang === "fr"
        ? `- par virement à ${bank.beneficiary} : IBAN ${formatIban(bank.iban)}${bank.bic ? `, BIC ${bank.bic}` : ""}${refText}`
        : `- by bank transfer to ${bank.beneficiary}: IBAN ${formatIban(bank.iban)}${bank.bic ? `, BIC ${bank.bic}` : ""}${refText}`,
    );
  }
  return lines.join("\n");
}

function signature(data: MessageData): string {
  const s = data.sender;
  const lines = [s.name];
  if (s.userId !== null || s.name !== data.companyName) lines.push(s.title, data.companyName);
  else lines.push(s.title);
  if (s.email) lines.push(s.email);
  if (data.settings["company.phone"]) lines.push(data.settings["company.phone"]);
  return lines.join("\n");
}

function rateLabel(data: MessageData): string {
  const contractual = data.penaltyTerms.contractualRateBp;
  if (contractual !== null) {
    // The rate applied at the as-of date: the contract's, or its floor (3 × the legal rate) when higher.
    const legal = LEGAL_INTEREST_RATES[halfYearOf(data.asOf)];
    const floored = legal !== undefined && contractual < 3 * legal;
    const applied = formatPercent(floored ? 3 * legal : contractual, data.lang);
    // Read after "au taux …" / "at …" in the templates.
    if (data.lang === "fr") return floored ? `de ${applied}, soit trois fois le taux de l'intérêt légal` : `contractuel de ${applied}`;
    return floored ? `${applied}, three times the legal interest rate` : `the contractual rate of ${applied}`;
  }
  const rates = penaltyRates(data.settings);
  const bp = rates[halfYearOf(data.asOf)];
  if (data.lang === "fr")
    return bp === undefined ? "de la BCE majoré de 10 points" : `de la BCE majoré de 10 points (${formatPercent(bp, "fr")})`;
  return bp === undefined ? "the ECB rate plus 10 points" : `the ECB rate plus 10 points (${formatPercent(bp, "en")})`;
}

function penaltyNote(data: MessageData): string {
  const p = data.penalties;
  if (!p || p.complete) return "";
  const missing = p.warnings.filter((w) => w.code === "missing_rate").map((w) => halfYearBounds(w.halfYear).from);
  const from = missing.sort()[0];
  if (!from) return "";
  return data.lang === "fr"
    ? `Les intérêts courus à compter du ${formatShortDate(from, "fr")} seront calculés dès la publication du taux applicable et s'ajoutent aux sommes ci-dessus.`
    : `Interest accrued from ${formatShortDate(from, "en")} will be calculated once the applicable rate is published and is payable in addition.`;
}

/** The Liquid variables of a message (every money amount formatted in the message's language). */
export function templateContext(data: MessageData, options: { forLetter?: boolean } = {}): Record<string, unknown> {
  const { lang } = data;
  const m = (c: number) => formatMoney(c, lang);
  const settings = data.settings;
  const open = data.documents.filter((d) => d.outstanding > 0);
  const firstRf = open[0]?.rf ?? "";
  return {
    language: lang,
    as_of: formatShortDate(data.asOf, lang),
    today: formatLongDate(data.asOf, lang),
    deadline: formatLongDate(addDays(data.asOf, 8), lang),
    company: {
      name: data.companyName,
      address: settings["company.address"] ?? "",
      siren: settings["company.siren"] ?? "",
      vat_number: settings["company.vat_number"] ?? "",
      phone: settings["company.phone"] ?? "",
      email: settings["company.email"] ?? "",
    },
    customer: {
      ref: data.customer.ref,
      name: data.customer.name,
      address: data.customer.address ?? "",
      siren: data.customer.siren ?? "",
      vat_number: data.customer.vatNumber ?? "",
    },
    contact: {
      name: data.contact.name,
      email: data.contact.email,
      phone: data.contact.phone,
      salutation:
        lang === "fr"
          ? data.contact.name
            ? `Bonjour ${data.contact.name},`
            : "Madame, Monsieur,"
          : data.contact.name
            ? `Dear ${data.contact.name},`
            : "Dear Sir or Madam,",
    },
    sender: { name: data.sender.name, email: data.sender.email, title: data.sender.title },
    invoices: open.map((d) => ({
      number: d.number,
      issue_date: formatShortDate(d.issueDate, lang),
      due_date: formatShortDate(d.dueDate, lang),
      total: m(d.total),
      outstanding: m(d.outstanding),
      days_late: d.daysLate,
      interest: m(d.interest),
      indemnity: m(d.indemnity),
      rf_reference: d.rf ? formatRf(d.rf) : "",
    })),
    credits: data.credits.map((d) => ({ number: d.number, date: formatShortDate(d.issueDate, lang), amount: m(d.outstanding) })),
    totals: {
      count: open.length,
      outstanding: m(data.totals.outstanding),
      credits_count: data.credits.length,
      credits: m(data.totals.credits),
      balance: m(data.totals.balance),
      interest: m(data.totals.interest),
      indemnities: m(data.totals.indemnities),
      penalties: m(data.totals.interest + data.totals.indemnities),
      grand_total: m(data.totals.grandTotal),
      max_days_late: data.totals.maxDaysLate,
    },
    penalties: {
      included: data.penalties !== null,
      interest: m(data.totals.interest),
      indemnities: m(data.totals.indemnities),
      total: m(data.totals.interest + data.totals.indemnities),
      rate: rateLabel(data),
      complete: data.penalties?.complete ?? true,
      note: penaltyNote(data),
    },
    payment_link: data.paymentLink,
    bank: {
      iban: data.bank.iban ? formatIban(data.bank.iban) : "",
      bic: data.bank.bic,
      beneficiary: data.bank.beneficiary,
      rf_reference: firstRf ? formatRf(firstRf) : "",
    },
    step: { name: data.step.name, offset_days: data.step.offsetDays },
    invoice_table: options.forLetter ? INVOICE_TABLE_MARKER : invoiceTable(data),
    payment_instructions: paymentInstructions(data),
    signature: signature(data),
  };
}

/** A context with every variable, to validate templates before they are saved. */
export function sampleContext(lang: Lang = "fr"): Record<string, unknown> {
  const step: StepInfo = {
    id: 0,
    policyId: 0,
    name: "Exemple",
    offsetDays: 15,
    channel: "email",
    includePenalties: true,
    attachStatement: false,
    attachLetter: false,
    templates: {},
  };
  const doc: DocLine = {
    id: 1,
    number: "FA-2026-0001",
    kind: "invoice",
    issueDate: "2026-01-05",
    dueDate: "2026-02-04",
    total: 120_000,
    outstanding: 120_000,
    daysLate: 15,
    interest: 600,
    indemnity: 4000,
    rf: rfForDocument(1, "FA-2026-0001"),
    disputed: false,
    onHoldUntil: null,
  };
  const data: MessageData = {
    lang,
    asOf: "2026-02-19",
    org: { id: 1, slug: "demo", name: "Exemple SAS" },
    settings: {} as Settings,
    companyName: "Exemple SAS",
    customer: {
      id: 1,
      ref: "C001",
      name: "Client SARL",
      address: "1 rue de la Paix\n75002 Paris",
      siren: "123456789",
      vatNumber: null,
      email: "compta@client.example",
      phone: null,
      language: lang,
      assignedUserId: null,
      status: "active",
      onHoldUntil: null,
    },
    contact: { name: "Camille Martin", email: "compta@client.example", phone: "" },
    recipients: ["compta@client.example"],
    sender: { name: "Exemple SAS", email: "compta@exemple.example", title: "Accounts receivable", userId: null },
    from: "Exemple SAS <compta@exemple.example>",
    replyTo: null,
    step,
    documents: [doc],
    credits: [],
    openItems: [doc],
    penalties: null,
    penaltyTerms: { contractualRateBp: null, source: "legal" },
    totals: { outstanding: 120_000, credits: 0, balance: 120_000, interest: 600, indemnities: 4000, grandTotal: 124_600, maxDaysLate: 15 },
    paymentLink: "https://relance.example/p/TOKEN",
    bank: { iban: "FR7630006000011234567890189", bic: "AGRIFRPP", beneficiary: "Exemple SAS" },
    warnings: [],
  };
  return templateContext(data);
}
