/**
 * Demo data set: a French SME's receivables over the last `months` months, as rows ready
 * to be written by the store. Pure and deterministic: the same seed and as-of date always
 * give the same data (a seeded PRNG, never Math.random nor the clock).
 *
 * The story: ~300 customers with a Pareto-like concentration of revenue, seasonal
 * invoicing, six payment behaviours (prompt … chronic, plus two customers who defaulted
 * ~8 months before as-of), a few customers getting worse or better over the last six
 * months, partial payments, grouped payments, credit notes, disputes, promises, notes,
 * tasks, and a handful of bank receipts still to reconcile.
 *
 * Credit notes: the schema has no way to allocate a credit note to an invoice (allocations
 * are payment ↔ document and positive), so a customer pays an invoice net of its credit
 * note; the invoice keeps an outstanding equal to the credit and the credit note an equal
 * negative outstanding: they cancel out in AR.
 */
import {
  addDays,
  addMonths,
  dayOfWeek,
  daysBetween,
  daysInMonth,
  endOfMonth,
  fromDayNumber,
  type IsoDate,
  maxDate,
  parts,
  toDayNumber,
} from "../domain/dates.js";
import { type Cents, formatMoney } from "../domain/money.js";
import * as W from "./names.js";

export type DemoBehaviour = "prompt" | "good" | "average" | "slow" | "chronic" | "defaulted";

export interface DemoContact {
  name: string;
  email: string;
  phone: string | null;
  jobTitle: string;
  isPrimary: boolean;
}

export interface DemoCustomer {
  ref: string;
  name: string;
  siren: string;
  vatNumber: string;
  email: string;
  phone: string;
  address: string;
  language: "fr" | "en";
  paymentTermsDays: 30 | 45 | 60;
  creditLimit: Cents | null;
  status: "active" | "defaulted";
  behaviour: DemoBehaviour;
  contacts: DemoContact[];
}

export interface DemoDocument {
  number: string;
  customerRef: string;
  kind: "invoice" | "credit_note";
  issueDate: IsoDate;
  dueDate: IsoDate;
  total: Cents;
  tax: Cents;
  disputed: boolean;
}

export interface DemoAllocation {
  documentNumber: string;
  amount: Cents;
}

export interface DemoPayment {
  bankTxId: string;
  customerRef: string;
  date: IsoDate;
  amount: Cents;
  reference: string;
  payerName: string;
  allocations: DemoAllocation[];
}

export interface DemoWriteOff {
  documentNumber: string;
  date: IsoDate;
  amount: Cents;
  reason: string;
}

/** A credit note applied to the invoice it credits (services/apply-credit-note.ts). */
export interface DemoCreditApplication {
  invoiceNumber: string;
  creditNoteNumber: string;
  amount: Cents;
  date: IsoDate;
}

export interface DemoDispute {
  documentNumber: string;
  reason: string;
  status: "open" | "resolved";
  openedAt: IsoDate;
  resolvedAt: IsoDate | null;
}

export interface DemoPromise {
  customerRef: string;
  amount: Cents;
  promisedDate: IsoDate;
  status: "pending" | "kept" | "broken";
}

export interface DemoNote {
  customerRef: string;
  body: string;
  date: IsoDate;
}

export interface DemoTask {
  customerRef: string;
  kind: "call" | "follow_up";
  title: string;
  dueDate: IsoDate;
  status: "open" | "done";
}

export interface DemoData {
  customers: DemoCustomer[];
  documents: DemoDocument[];
  payments: DemoPayment[];
  writeOffs: DemoWriteOff[];
  creditApplications: DemoCreditApplication[];
  disputes: DemoDispute[];
  promises: DemoPromise[];
  notes: DemoNote[];
  tasks: DemoTask[];
}

export interface DemoOptions {
  seed: number;
  asOf: IsoDate;
  /** Number of customers, default 300. */
  customers?: number;
  /** Months of history ending at asOf, default 24. */
  months?: number;
}

// ---------------------------------------------------------------------------------------
// Seeded randomness

class Rng {
  private state: number;
  constructor(seed: number) {
    // Mix the seed so that neighbouring seeds start far apart.
    let h = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    this.state = (h ^ (h >>> 16)) >>> 0;
  }
  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    const sum = weights.reduce((a, b) => a + b, 0);
    let u = this.next() * sum;
    for (let i = 0; i < items.length; i++) {
      u -= weights[i] ?? 0;
      if (u < 0) return items[i] as T;
    }
    return items[items.length - 1] as T;
  }
  normal(mean: number, sd: number): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const a = items[i] as T;
      items[i] = items[j] as T;
      items[j] = a;
    }
    return items;
  }
}

// ---------------------------------------------------------------------------------------
// Small helpers

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

function stripAccents(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
}

function slugify(s: string): string {
  return stripAccents(s)
    .toLowerCase()
    .replace(/&/g, " ")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Next Monday–Friday on or after `d`. */
function nextBusinessDay(d: IsoDate): IsoDate {
  const w = dayOfWeek(d);
  return w === 6 ? addDays(d, 2) : w === 0 ? addDays(d, 1) : d;
}

/** Previous Monday–Friday on or before `d`. */
function previousBusinessDay(d: IsoDate): IsoDate {
  const w = dayOfWeek(d);
  return w === 6 ? addDays(d, -1) : w === 0 ? addDays(d, -2) : d;
}

function frDate(d: IsoDate): string {
  return `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;
}

function euros(c: Cents): string {
  return formatMoney(c, "fr");
}

/** A SIREN: 8 random digits and a Luhn check digit. */
function makeSiren(rng: Rng): string {
  const digits = [rng.int(3, 9)];
  for (let i = 0; i < 7; i++) digits.push(rng.int(0, 9));
  // With the check digit appended, the payload's last digit sits at an even position from
  // the right, so it is doubled, and so on every other digit.
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    let d = digits[7 - i] as number;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  digits.push((10 - (sum % 10)) % 10);
  return digits.join("");
}

function vatNumberOf(siren: string): string {
  const key = (12 + 3 * (Number(siren) % 97)) % 97;
  return `FR${String(key).padStart(2, "0")}${siren}`;
}

// Numbers reserved by ARCEP for fiction (01 99 00, 02 61 91, 03 53 01, 04 65 71, 05 36 49, 06 39 98).
const FICTION_LANDLINES = ["1 99 00", "2 61 91", "3 53 01", "4 65 71", "5 36 49"] as const;
function landline(rng: Rng): string {
  return `+33 ${rng.pick(FICTION_LANDLINES)} ${String(rng.int(0, 99)).padStart(2, "0")} ${String(rng.int(0, 99)).padStart(2, "0")}`;
}
function mobile(rng: Rng): string {
  return `+33 6 39 98 ${String(rng.int(0, 99)).padStart(2, "0")} ${String(rng.int(0, 99)).padStart(2, "0")}`;
}

/** Bank-statement form of a company name: upper case, no accents, legal form first. */
function bankName(name: string): string {
  let n = stripAccents(name).toUpperCase().replace(/'/g, " ");
  const m = /^(.*) (SARL|SAS|SA|EURL|SASU|SNC)$/.exec(n);
  if (m) n = `${m[2]} ${m[1]}`;
  return n.length > 35 ? n.slice(0, 35).trim() : n;
}

// ---------------------------------------------------------------------------------------
// Internal model

type PayRun = "w-fri" | "m-10" | "m-10-25" | "m-end";
type Trend = "worse" | "better" | null;
type LabelStyle = "fact" | "ref" | "inv" | "motif";

interface Cust {
  idx: number;
  ref: string;
  name: string;
  lang: "fr" | "en";
  rank: number;
  behaviour: DemoBehaviour;
  terms: 30 | 45 | 60;
  endOfMonth: boolean;
  start: IsoDate;
  end: IsoDate;
  invoiceCount: number;
  medianHt: number;
  trend: Trend;
  trendDays: number;
  payRun: PayRun | null;
  stopPaying: IsoDate | null;
  cheques: boolean;
  keepsBankFees: boolean;
  labelStyle: LabelStyle;
  payer: string;
  out: DemoCustomer;
}

interface Doc {
  seq: number;
  cust: Cust;
  kind: "invoice" | "credit_note";
  issue: IsoDate;
  due: IsoDate;
  total: Cents;
  tax: Cents;
  number: string;
  disputed: boolean;
  /** For an invoice: its credit notes' total (positive) and the date of the last one. */
  credited: Cents;
  creditDate: IsoDate | null;
  /** For a credit note: the invoice it credits. */
  creditFor: Doc | null;
  dispute: DemoDispute | null;
  /** Allocated so far and written off so far (both ≤ asOf). */
  paid: Cents;
  writtenOff: Cents;
}

interface Settlement {
  doc: Doc;
  date: IsoDate;
  amount: Cents;
  bankFee: Cents;
}

interface Pay {
  cust: Cust;
  date: IsoDate;
  amount: Cents;
  allocations: { doc: Doc; amount: Cents }[];
  reference: string;
  hasFee: boolean;
  /** Bank fee kept by the customer's bank on a single-invoice payment (written off later). */
  fee: Cents;
  touched: boolean;
}

// Seasonality of invoicing: busy spring and autumn, quiet August and Christmas.
const MONTH_WEIGHTS = [0.85, 0.95, 1.15, 1.15, 1.1, 1.15, 0.95, 0.45, 1.1, 1.2, 1.15, 0.85];

// ---------------------------------------------------------------------------------------

export function generateDemo(options: DemoOptions): DemoData {
  const rng = new Rng(options.seed);
  const asOf = options.asOf;
  const customerCount = Math.max(1, Math.trunc(options.customers ?? 300));
  const months = Math.max(1, Math.trunc(options.months ?? 24));
  const start = addDays(addMonths(asOf, -months), 1);
  const startDay = toDayNumber(start);
  const asOfDay = toDayNumber(asOf);
  const periodDays = asOfDay - startDay + 1;

  // Cumulative invoicing weight of each day of the period.
  const cumulative: number[] = new Array(periodDays);
  {
    let acc = 0;
    for (let i = 0; i < periodDays; i++) {
      const d = fromDayNumber(startDay + i);
      const { month, day } = parts(d);
      const w = dayOfWeek(d);
      let weight = (MONTH_WEIGHTS[month - 1] ?? 1) * (w === 0 || w === 6 ? 0.03 : 1);
      if (month === 12 && day >= 21) weight *= 0.3;
      if (month === 1 && day === 1) weight = 0;
      weight *= 1 + 0.1 * (i / 365); // the business grows ~10 % a year
      acc += weight;
      cumulative[i] = acc;
    }
  }
  const sampleDay = (from: IsoDate, to: IsoDate): IsoDate => {
    const lo = clamp(toDayNumber(from) - startDay, 0, periodDays - 1);
    const hi = clamp(toDayNumber(to) - startDay, lo, periodDays - 1);
    const base = lo > 0 ? (cumulative[lo - 1] as number) : 0;
    const u = base + rng.next() * ((cumulative[hi] as number) - base);
    let a = lo;
    let b = hi;
    while (a < b) {
      const mid = (a + b) >> 1;
      if ((cumulative[mid] as number) > u) b = mid;
      else a = mid + 1;
    }
    return fromDayNumber(startDay + a);
  };

  const customers = makeCustomers(rng, customerCount, months, start, asOf);
  const docs = makeInvoices(rng, customers, sampleDay);
  const invoices = docs.slice();
  const disputes = makeDisputesAndCredits(rng, invoices, docs, start, asOf);
  numberDocuments(docs);

  const settlements = settle(rng, invoices, asOf);
  const pays = groupPayments(rng, settlements);
  const extraPays = reconcileStory(rng, pays, customers, asOf);
  const allPays = pays.concat(extraPays);
  allPays.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.cust.idx - b.cust.idx));
  for (const p of allPays) for (const a of p.allocations) a.doc.paid += a.amount;

  const writeOffs = makeWriteOffs(rng, allPays, customers, invoices, asOf);
  // Credit limits: about a quarter of a year's invoicing, in steps of 5 000 €.
  const invoiced = new Map<Cust, Cents>();
  for (const d of invoices) invoiced.set(d.cust, (invoiced.get(d.cust) ?? 0) + d.total);
  for (const c of customers) {
    const annual = (invoiced.get(c) ?? 0) * (12 / months);
    if (c.behaviour !== "defaulted" && rng.chance(0.6)) {
      c.out.creditLimit = Math.max(500_000, Math.ceil(annual / 4 / 500_000) * 500_000);
    }
  }
  const promises = makePromises(rng, invoices, allPays, asOf);
  const { notes, tasks } = makeNotesAndTasks(rng, customers, invoices, disputes, promises.list, promises.madeOn, asOf);

  const payments: DemoPayment[] = allPays.map((p, i) => ({
    bankTxId: `DEMO-${options.seed}-${String(i + 1).padStart(6, "0")}`,
    customerRef: p.cust.ref,
    date: p.date,
    amount: p.amount,
    reference: p.reference,
    payerName: p.cust.payer,
    allocations: p.allocations.map((a) => ({ documentNumber: a.doc.number, amount: a.amount })),
  }));

  return {
    customers: customers.map((c) => c.out),
    documents: docs.map((d) => ({
      number: d.number,
      customerRef: d.cust.ref,
      kind: d.kind,
      issueDate: d.issue,
      dueDate: d.due,
      total: d.total,
      tax: d.tax,
      disputed: d.disputed,
    })),
    payments,
    writeOffs,
    // Each credit note settles the invoice it credits, on its own date.
    creditApplications: docs.flatMap((d) =>
      d.creditFor ? [{ invoiceNumber: d.creditFor.number, creditNoteNumber: d.number, amount: -d.total, date: d.issue }] : [],
    ),
    disputes: disputes.sort((a, b) => (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : 0)),
    promises: promises.list,
    notes,
    tasks,
  };
}

// ---------------------------------------------------------------------------------------
// Customers

function makeCustomers(rng: Rng, count: number, months: number, start: IsoDate, asOf: IsoDate): Cust[] {
  const totalInvoices = Math.round(250 * months * (count / 300));
  // Revenue weight by rank (Zipf, s = 0.9: the top 20 of 300 hold about half);
  // invoice count grows with weight^0.65, the typical amount with weight^0.35.
  const ranks = rng.shuffle(Array.from({ length: count }, (_, i) => i));
  const weights = ranks.map((r) => (r + 1) ** -0.9);
  const countWeights = weights.map((w) => w ** 0.65);
  const countSum = countWeights.reduce((a, b) => a + b, 0);
  const amountWeights = weights.map((w) => w ** 0.35);
  const meanAmountWeight = amountWeights.reduce((s, a, i) => s + a * (countWeights[i] as number), 0) / countSum;

  // Two mid-size customers defaulted (ranks 15–60 of 300, scaled).
  const defaultedIdx = new Set<number>();
  if (count >= 4) {
    const lo = Math.floor(count * 0.03);
    const hi = Math.max(lo + 2, Math.floor(count * 0.12));
    const candidates = ranks
      .map((r, i) => ({ r, i }))
      .filter((x) => x.r >= lo && x.r < hi)
      .map((x) => x.i);
    rng.shuffle(candidates);
    for (const i of candidates.slice(0, 2)) defaultedIdx.add(i);
  }

  const bigCount = Math.max(1, Math.round(count * 0.07));
  const bigDeck: DemoBehaviour[] = [];
  for (const [b, share] of [
    ["prompt", 0.15],
    ["good", 0.38],
    ["average", 0.32],
    ["slow", 0.15],
  ] as const) {
    for (let k = 0; k < Math.round(bigCount * share); k++) bigDeck.push(b);
  }
  rng.shuffle(bigDeck);
  // The very first customer is a good or average payer: alone it makes ~10 % of revenue.
  const firstOk = bigDeck.findIndex((b) => b === "good" || b === "average");
  if (firstOk > 0) [bigDeck[0], bigDeck[firstOk]] = [bigDeck[firstOk] as DemoBehaviour, bigDeck[0] as DemoBehaviour];

  const names = new Set<string>();
  const slugs = new Set<string>();
  const sirens = new Set<string>();
  const out: Cust[] = [];
  for (let i = 0; i < count; i++) {
    const rank = ranks[i] as number;
    const defaulted = defaultedIdx.has(i);
    const lang: "fr" | "en" = !defaulted && rng.chance(0.15) ? "en" : "fr";
    let name = "";
    for (let tries = 0; tries < 1000; tries++) {
      name = lang === "fr" ? frenchCompanyName(rng) : englishCompanyName(rng);
      if (!names.has(name)) break;
    }
    if (names.has(name)) name = `${name} ${i + 1}`;
    names.add(name);

    let slug = slugify(name.replace(/ (SARL|SAS|SA|EURL|SASU|SNC|Ltd|GmbH|BV)$/, ""))
      .slice(0, 40)
      .replace(/-+$/, "");
    if (slugs.has(slug)) {
      let k = 2;
      while (slugs.has(`${slug}-${k}`)) k++;
      slug = `${slug}-${k}`;
    }
    slugs.add(slug);
    const domain =
      lang === "en"
        ? `${slug}.example.com`
        : `${slug}.${rng.weighted(["example.fr", "example.com", "example.net", "example.org"], [85, 9, 3, 3])}`;

    let siren = makeSiren(rng);
    while (sirens.has(siren)) siren = makeSiren(rng);
    sirens.add(siren);

    const place = rng.pick(W.CITIES);
    const address = `${rng.int(1, 180)}${rng.chance(0.08) ? " bis" : ""} ${rng.pick(W.STREETS)}, ${place.postcode} ${place.city}`;

    const terms = rng.weighted([30, 45, 60] as const, [65, 25, 10]);
    const endOfMonthTerms = terms !== 60 && rng.chance(0.12);

    const big = rank < bigCount;
    // The biggest customers weigh on DSO: they get their behaviours from a fixed deck so
    // that every seed tells the same overall story.
    const behaviour: DemoBehaviour = defaulted
      ? "defaulted"
      : big
        ? (bigDeck[rank] ?? "good")
        : rng.weighted(["prompt", "good", "average", "slow", "chronic"] as const, [21, 33, 24, 14, 8]);

    // Some customers arrived during the period; the biggest were there from the start.
    let custStart = start;
    if (rank >= 10 && rng.chance(0.1)) custStart = addDays(start, rng.int(30, Math.floor(0.75 * daysBetween(start, asOf))));
    const custEnd = defaulted ? addDays(addMonths(asOf, -4), -rng.int(0, 20)) : asOf;
    const activeShare = clamp(daysBetween(custStart, custEnd) / Math.max(1, daysBetween(start, asOf)), 0.05, 1);
    const invoiceCount = Math.max(2, Math.round(((totalInvoices * (countWeights[i] as number)) / countSum) * activeShare));
    // Median amount excl. tax, in cents: ~1 300 € for a typical customer.
    const medianHt = 130_000 * ((amountWeights[i] as number) / meanAmountWeight);

    const payRun: PayRun | null = rng.chance(big ? 0.5 : 0.2)
      ? rng.weighted(["m-10", "m-10-25", "m-end", "w-fri"] as const, [30, 30, 20, 20])
      : null;

    const contacts = makeContacts(rng, lang, domain, rng.weighted([1, 2, 3], [40, 40, 20]));
    const emailLocal =
      lang === "en" ? rng.pick(["accounts", "ap", "invoices"]) : rng.pick(["compta", "comptabilite", "facturation", "factures"]);

    const c: Cust = {
      idx: i,
      ref: `C${String(i + 1).padStart(4, "0")}`,
      name,
      lang,
      rank,
      behaviour,
      terms,
      endOfMonth: endOfMonthTerms,
      start: custStart,
      end: custEnd,
      invoiceCount,
      medianHt,
      trend: null,
      trendDays: 0,
      payRun,
      stopPaying: defaulted ? addDays(addMonths(asOf, -8), rng.int(-10, 10)) : null,
      cheques: lang === "fr" && payRun === null && rng.chance(0.08),
      keepsBankFees: lang === "en" && / Ltd$/.test(name) && rng.chance(0.25),
      labelStyle: lang === "en" ? "inv" : rng.weighted(["fact", "ref", "inv", "motif"] as const, [50, 20, 15, 15]),
      payer: bankName(name),
      out: {
        ref: `C${String(i + 1).padStart(4, "0")}`,
        name,
        siren,
        vatNumber: vatNumberOf(siren),
        email: `${emailLocal}@${domain}`,
        phone: landline(rng),
        address,
        language: lang,
        paymentTermsDays: terms,
        creditLimit: null,
        status: defaulted ? "defaulted" : "active",
        behaviour,
        contacts,
      },
    };
    out.push(c);
  }

  // Trends over the last six months: some customers slip, a few improve.
  const worseCandidates = out.filter(
    (c) => ["good", "average", "slow"].includes(c.behaviour) && c.rank >= Math.min(3, count - 1) && c.rank < count * 0.4,
  );
  rng.shuffle(worseCandidates);
  for (const c of worseCandidates.slice(0, Math.max(1, Math.round(count / 37)))) {
    c.trend = "worse";
    c.trendDays = rng.int(25, 45);
  }
  const betterCandidates = out.filter((c) => ["slow", "chronic"].includes(c.behaviour) && c.trend === null);
  rng.shuffle(betterCandidates);
  for (const c of betterCandidates.slice(0, Math.max(1, Math.round(count / 75)))) {
    c.trend = "better";
    c.trendDays = rng.int(20, 35);
  }
  return out;
}

function frenchCompanyName(rng: Rng): string {
  const form = rng.weighted(W.FR_LEGAL_FORMS, W.FR_LEGAL_FORM_WEIGHTS);
  const pattern = rng.weighted(
    ["trade-surname", "trade-place", "family", "brand", "brand-activity", "surname-activity"],
    [34, 14, 10, 16, 14, 12],
  );
  switch (pattern) {
    case "trade-surname":
      return `${rng.pick(W.FR_TRADES)} ${rng.pick(W.FR_SURNAMES)} ${form}`;
    case "trade-place": {
      const base = `${rng.pick(W.FR_PLACE_TRADES)} ${rng.pick(W.FR_PLACES)}`;
      return rng.chance(0.4) ? base : `${base} ${form}`;
    }
    case "family": {
      const s = rng.pick(W.FR_SURNAMES);
      const base = rng.weighted([`${s} & Fils`, `${s} Frères`, `Établissements ${s}`, `Groupe ${s}`], [3, 2, 3, 2]);
      return `${base} ${form}`;
    }
    case "brand":
      return `${rng.pick(W.BRAND_PREFIXES)}${rng.pick(W.BRAND_SUFFIXES)} ${form}`;
    case "brand-activity":
      return `${rng.pick(W.BRAND_PREFIXES)}${rng.pick(W.BRAND_SUFFIXES)} ${rng.pick(W.FR_ACTIVITY_WORDS)} ${form}`;
    default:
      return `${rng.pick(W.FR_SURNAMES)} ${rng.pick(W.FR_ACTIVITY_WORDS)} ${form}`;
  }
}

function englishCompanyName(rng: Rng): string {
  if (rng.chance(0.5)) {
    const s = rng.pick(W.EN_SURNAMES);
    const form = W.EN_LEGAL_FORMS_BY_SURNAME[s] ?? "Ltd";
    return rng.chance(0.3) ? `${s} & Partners ${form}` : `${s} ${rng.pick(W.EN_ACTIVITY_WORDS)} ${form}`;
  }
  const brand = rng.pick(W.EN_BRANDS);
  const form = /^(Alpenblick|Rheinland)/.test(brand) ? "GmbH" : brand === "Nordsee" || brand === "Polderland" ? "BV" : "Ltd";
  return `${brand} ${rng.pick(W.EN_ACTIVITY_WORDS)} ${form}`;
}

function makeContacts(rng: Rng, lang: "fr" | "en", domain: string, n: number): DemoContact[] {
  const contacts: DemoContact[] = [];
  const used = new Set<string>();
  for (let k = 0; k < n; k++) {
    const female = rng.chance(0.6);
    const first =
      lang === "fr"
        ? rng.pick(female ? W.FR_FIRST_NAMES_F : W.FR_FIRST_NAMES_M)
        : rng.pick(female ? W.EN_FIRST_NAMES_F : W.EN_FIRST_NAMES_M);
    const last = lang === "fr" ? rng.pick(W.FR_SURNAMES) : rng.pick(W.EN_SURNAMES);
    const name = `${first} ${last}`;
    if (used.has(name)) continue;
    used.add(name);
    let jobTitle: string;
    if (lang === "fr") {
      const titles = k === 0 ? W.FR_JOB_TITLES.slice(0, 3) : W.FR_JOB_TITLES.slice(3);
      const t = rng.pick(titles);
      jobTitle = female ? t[1] : t[0];
    } else {
      jobTitle = k === 0 ? rng.pick(W.EN_JOB_TITLES.slice(0, 2)) : rng.pick(W.EN_JOB_TITLES.slice(2));
    }
    contacts.push({
      name,
      email: `${slugify(first).replace(/-/g, "")}.${slugify(last).replace(/-/g, "")}@${domain}`,
      phone: rng.chance(0.7) ? (rng.chance(0.5) ? mobile(rng) : landline(rng)) : null,
      jobTitle,
      isPrimary: k === 0,
    });
  }
  return contacts;
}

// ---------------------------------------------------------------------------------------
// Documents

function dueDateOf(c: Cust, issue: IsoDate): IsoDate {
  const d = addDays(issue, c.terms);
  return c.endOfMonth ? endOfMonth(d) : d;
}

function makeInvoices(rng: Rng, customers: Cust[], sampleDay: (from: IsoDate, to: IsoDate) => IsoDate): Doc[] {
  const docs: Doc[] = [];
  let seq = 0;
  for (const c of customers) {
    for (let k = 0; k < c.invoiceCount; k++) {
      const issue = sampleDay(c.start, c.end);
      let ht = Math.exp(rng.normal(Math.log(c.medianHt), 0.8));
      ht = clamp(ht, 16_700, 3_333_000);
      // Services are often billed in round euros; goods to the cent.
      const htCents = rng.chance(0.4) ? Math.round(ht / 100) * 100 : Math.round(ht);
      const tax = Math.round(htCents * 0.2);
      docs.push(newDoc(seq++, c, "invoice", issue, dueDateOf(c, issue), htCents + tax, tax));
    }
  }
  return docs;
}

function newDoc(seq: number, cust: Cust, kind: "invoice" | "credit_note", issue: IsoDate, due: IsoDate, total: Cents, tax: Cents): Doc {
  return {
    seq,
    cust,
    kind,
    issue,
    due,
    total,
    tax,
    number: "",
    disputed: false,
    credited: 0,
    creditDate: null,
    creditFor: null,
    dispute: null,
    paid: 0,
    writtenOff: 0,
  };
}

function addCreditNote(docs: Doc[], inv: Doc, date: IsoDate, fraction: number): void {
  const ht = inv.total - inv.tax;
  const creditHt = fraction >= 1 ? ht : Math.max(100, Math.round((ht * fraction) / 100) * 100);
  const creditTax = fraction >= 1 ? inv.tax : Math.round(creditHt * 0.2);
  const credit = Math.min(inv.total - inv.credited, creditHt + creditTax);
  const tax = Math.min(creditTax, credit);
  const note = newDoc(docs.length, inv.cust, "credit_note", date, date, -credit, -tax);
  note.creditFor = inv;
  docs.push(note);
  inv.credited += credit;
  inv.creditDate = date;
}

function makeDisputesAndCredits(rng: Rng, invoices: Doc[], docs: Doc[], start: IsoDate, asOf: IsoDate): DemoDispute[] {
  const disputes: DemoDispute[] = [];
  const scale = invoices.length / 6000;
  const eligible = (d: Doc) => d.dispute === null && d.credited === 0 && d.cust.behaviour !== "defaulted";

  // Open disputes on recent invoices: they stay unpaid and flagged.
  const openTarget = Math.max(1, Math.round(4 * Math.min(1, scale * 2)));
  const openCands = invoices.filter(
    (d) => eligible(d) && d.cust.behaviour !== "chronic" && d.issue >= addDays(asOf, -110) && d.issue <= addDays(asOf, -20),
  );
  rng.shuffle(openCands);
  const seenCust = new Set<Cust>();
  for (const d of openCands) {
    if (disputes.length >= openTarget) break;
    if (seenCust.has(d.cust)) continue;
    seenCust.add(d.cust);
    const openedAt = nextBusinessDay(addDays(d.issue, rng.int(8, Math.max(8, Math.min(50, daysBetween(d.issue, asOf) - 3)))));
    d.dispute = {
      documentNumber: "",
      reason: rng.pick(W.DISPUTE_REASONS),
      status: "open",
      openedAt: openedAt > asOf ? asOf : openedAt,
      resolvedAt: null,
    };
    d.disputed = true;
    disputes.push(d.dispute);
  }

  // Resolved disputes on older invoices; some end with a credit note.
  const resolvedTarget = Math.max(1, Math.round(7 * Math.min(1, scale * 2)));
  const resolvedCands = invoices.filter((d) => eligible(d) && d.issue >= addDays(start, 20) && d.issue <= addDays(asOf, -160));
  rng.shuffle(resolvedCands);
  let resolved = 0;
  for (const d of resolvedCands) {
    if (resolved >= resolvedTarget) break;
    if (seenCust.has(d.cust)) continue;
    seenCust.add(d.cust);
    const openedAt = nextBusinessDay(addDays(d.due, rng.int(-12, 15)));
    const openedAtSafe = openedAt <= d.issue ? addDays(d.issue, 3) : openedAt;
    const resolvedAt = nextBusinessDay(addDays(openedAtSafe, rng.int(10, 45)));
    const reason = rng.pick(W.DISPUTE_REASONS);
    d.dispute = { documentNumber: "", reason, status: "resolved", openedAt: openedAtSafe, resolvedAt };
    if (W.DISPUTE_REASONS_WITH_CREDIT.has(reason)) addCreditNote(docs, d, resolvedAt, 0.1 + rng.next() * 0.25);
    disputes.push(d.dispute);
    resolved++;
  }

  // Other credit notes (returns, rebates, cancelled invoices): ~2 % of documents overall.
  const creditTarget = Math.round(invoices.length * 0.02) - resolved;
  const creditCands = invoices.filter((d) => eligible(d) && d.issue <= addDays(asOf, -30));
  rng.shuffle(creditCands);
  for (const d of creditCands.slice(0, Math.max(0, creditTarget))) {
    const date = nextBusinessDay(addDays(d.issue, rng.int(2, 20)));
    const fraction = rng.weighted([0.05 + rng.next() * 0.15, 0.2 + rng.next() * 0.4, 1], [45, 30, 25]);
    addCreditNote(docs, d, date, fraction);
  }
  return disputes;
}

function numberDocuments(docs: Doc[]): void {
  const order = docs.slice().sort((a, b) => (a.issue < b.issue ? -1 : a.issue > b.issue ? 1 : a.seq - b.seq));
  const counters = new Map<string, number>();
  for (const d of order) {
    const prefix = `${d.kind === "invoice" ? "F" : "AV"}${d.issue.slice(0, 4)}`;
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    d.number = `${prefix}-${String(n).padStart(6, "0")}`;
    if (d.dispute) d.dispute.documentNumber = d.number;
  }
  docs.sort((a, b) => (a.issue < b.issue ? -1 : a.issue > b.issue ? 1 : a.number < b.number ? -1 : 1));
}

// ---------------------------------------------------------------------------------------
// Payments

function baseDelay(rng: Rng, b: DemoBehaviour): number {
  switch (b) {
    case "prompt":
      return clamp(rng.normal(-2, 2.5), -8, 2);
    case "good":
      return clamp(rng.normal(3, 3), -3, 12);
    case "average":
      return clamp(rng.normal(12, 6), 0, 35);
    case "slow":
      return clamp(rng.normal(30, 10), 10, 65);
    case "chronic":
      return clamp(rng.normal(88, 18), 60, 125);
    default:
      return clamp(rng.normal(40, 12), 15, 80);
  }
}

function snapToPayRun(run: PayRun, d: IsoDate, notBefore: IsoDate, preferEarlier: boolean): IsoDate {
  const candidates: IsoDate[] = [];
  const { year, month } = parts(d);
  const monthStart = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-01`;
  if (run === "w-fri") {
    const next = addDays(d, (5 - dayOfWeek(d) + 7) % 7);
    candidates.push(addDays(next, -7), next);
  } else {
    for (let m = -1; m <= 1; m++) {
      const ms = addMonths(monthStart, m);
      const { year: y, month: mo } = parts(ms);
      if (run === "m-10" || run === "m-10-25") candidates.push(addDays(ms, 9));
      if (run === "m-10-25") candidates.push(addDays(ms, 24));
      if (run === "m-end") candidates.push(addDays(ms, daysInMonth(y, mo) - 1));
    }
  }
  const ok = candidates.filter((x) => x >= notBefore).sort();
  const before = ok.filter((x) => x <= d);
  const after = ok.filter((x) => x >= d);
  const prev = before[before.length - 1];
  const next = after[0];
  if (prev === undefined) return next ?? d;
  if (next === undefined || (preferEarlier && daysBetween(prev, d) <= 7)) return prev;
  // The payment run nearest to the day the invoice would have been paid.
  return daysBetween(prev, d) <= daysBetween(d, next) ? prev : next;
}

function settle(rng: Rng, invoices: Doc[], asOf: IsoDate): Settlement[] {
  const out: Settlement[] = [];
  const sixMonthsAgo = addDays(asOf, -183);
  for (const d of invoices) {
    const c = d.cust;
    if (d.dispute?.status === "open") continue;
    const due = d.total - d.credited;
    if (due <= 0) continue;

    let earliest = addDays(d.issue, 1);
    if (d.creditDate && d.creditDate >= earliest) earliest = addDays(d.creditDate, 1);

    let delay = baseDelay(rng, c.behaviour);
    if (c.trend !== null) {
      const progress = clamp(daysBetween(sixMonthsAgo, d.due) / 183, 0, 1);
      if (c.trend === "worse") delay += progress * c.trendDays;
      else delay = Math.max(-2, delay * (1 - (0.75 * progress * c.trendDays) / 35));
    }
    let target = addDays(d.due, Math.round(delay));
    if (d.dispute?.resolvedAt) {
      earliest = addDays(d.dispute.resolvedAt, 1);
      target = addDays(d.dispute.resolvedAt, rng.int(3, 20));
    }

    // Instalments: chronic payers often pay in two goes (sometimes never the second),
    // a few others too.
    const instalments: { date: IsoDate; amount: Cents }[] = [];
    const split = c.behaviour === "chronic" ? rng.chance(0.55) : rng.chance(0.03);
    if (split && due >= 20_000) {
      const first = Math.round((due * (0.3 + rng.next() * 0.35)) / 100) * 100;
      const firstDate = c.behaviour === "chronic" ? target : addDays(target, -rng.int(0, 10));
      instalments.push({ date: firstDate, amount: first });
      if (!(c.behaviour === "chronic" && rng.chance(0.15))) {
        instalments.push({ date: addDays(firstDate, rng.int(15, 60)), amount: due - first });
      }
    } else {
      instalments.push({ date: target, amount: due });
    }

    for (const inst of instalments) {
      let date = maxDate(inst.date, earliest);
      if (c.payRun) date = snapToPayRun(c.payRun, date, earliest, c.behaviour === "prompt" || c.behaviour === "good");
      date = nextBusinessDay(date);
      if (date > asOf) break; // later instalments cannot come earlier
      if (c.stopPaying && date >= c.stopPaying) break;
      const fee = c.keepsBankFees && instalments.length === 1 && rng.chance(0.1) ? rng.int(15, 25) * 100 : 0;
      out.push({ doc: d, date, amount: inst.amount - fee, bankFee: fee });
    }
  }
  return out;
}

function paymentLabel(rng: Rng, c: Cust, numbers: string[], date: IsoDate): string {
  if (c.cheques) return `REMISE CHEQUE N ${rng.int(1_000_000, 9_999_999)}`;
  const joined = numbers.join(" ");
  const p = c.payer;
  if (c.lang === "en") {
    const s = `SEPA CT ${p} INVOICE${numbers.length > 1 ? "S" : ""} ${joined}`;
    return s.length <= 140 ? s : `SEPA CT ${p} PAYMENT RUN ${date.slice(5, 7)}/${date.slice(0, 4)} ${numbers.length} INVOICES`;
  }
  let s: string;
  switch (c.labelStyle) {
    case "fact":
      s = `VIR SEPA ${p} FACT ${joined}`;
      break;
    case "ref":
      s = `VIR SEPA ${p} REF ${joined}`;
      break;
    case "inv":
      s = `VIR ${p} /INV/ ${joined}`;
      break;
    default:
      s = `VIREMENT SEPA RECU /DE ${p} /MOTIF ${joined}`;
  }
  return s.length <= 140 ? s : `VIR SEPA ${p} REGLEMENT ${numbers.length} FACTURES ${date.slice(5, 7)}/${date.slice(0, 4)}`;
}

function groupPayments(rng: Rng, settlements: Settlement[]): Pay[] {
  const byCust = new Map<Cust, Settlement[]>();
  for (const s of settlements) {
    const list = byCust.get(s.doc.cust);
    if (list) list.push(s);
    else byCust.set(s.doc.cust, [s]);
  }
  const pays: Pay[] = [];
  for (const [c, list] of byCust) {
    list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.doc.number < b.doc.number ? -1 : 1));
    let current: Pay | null = null;
    for (const s of list) {
      const merge =
        current !== null && current.date === s.date && !current.hasFee && s.bankFee === 0 && (c.payRun !== null || rng.chance(0.6));
      if (!merge || current === null) {
        current = {
          cust: c,
          date: s.date,
          amount: 0,
          allocations: [],
          reference: "",
          hasFee: s.bankFee > 0,
          fee: s.bankFee,
          touched: false,
        };
        pays.push(current);
      }
      current.amount += s.amount;
      current.allocations.push({ doc: s.doc, amount: s.amount });
    }
  }
  for (const p of pays)
    p.reference = paymentLabel(
      rng,
      p.cust,
      p.allocations.map((a) => a.doc.number),
      p.date,
    );
  return pays;
}

/** Receipts still to reconcile: no invoice number in the label, partly matched, paid twice, on account. */
function reconcileStory(rng: Rng, pays: Pay[], customers: Cust[], asOf: IsoDate): Pay[] {
  const recent = pays.filter((p) => p.date >= addDays(asOf, -40) && !p.hasFee && !p.cust.cheques);
  rng.shuffle(recent);
  const scale = Math.min(1, customers.length / 300);
  const unlabelled = Math.max(1, Math.round(8 * scale));
  const partly = Math.max(1, Math.round(3 * scale));
  let u = 0;
  let pa = 0;
  const extra: Pay[] = [];
  for (const p of recent) {
    if (u < unlabelled && p.allocations.length === 1) {
      p.allocations = [];
      p.reference =
        p.cust.lang === "en"
          ? `SEPA CT ${p.cust.payer} PAYMENT`
          : rng.pick([
              `VIR SEPA ${p.cust.payer} REGLEMENT`,
              `VIR SEPA ${p.cust.payer} PAIEMENT FOURNISSEUR`,
              `VIR INST ${p.cust.payer}`,
              `VIR SEPA ${p.cust.payer} /RFB/ ${asOf.slice(0, 7)}`,
            ]);
      p.touched = true;
      u++;
    } else if (pa < partly && p.allocations.length >= 2) {
      const first = p.allocations[0];
      if (!first) continue;
      p.allocations = [first];
      p.reference = `VIR SEPA ${p.cust.payer} FACT ${first.doc.number} ET AUTRES`;
      p.touched = true;
      pa++;
    }
  }
  // A customer paying the same invoice twice, a few days apart.
  const dupCands = recent.filter((p) => !p.touched && p.allocations.length === 1 && p.date <= addDays(asOf, -5));
  for (const p of dupCands.slice(0, Math.max(1, Math.round(2 * scale)))) {
    const again = nextBusinessDay(addDays(p.date, rng.int(2, 4)));
    extra.push({
      cust: p.cust,
      date: again > asOf ? p.date : again,
      amount: p.amount,
      allocations: [],
      reference: p.reference,
      hasFee: false,
      fee: 0,
      touched: true,
    });
    p.touched = true;
  }
  // Chronic payers sending round sums "on account".
  const chronic = customers.filter((c) => c.behaviour === "chronic" && c.trend === null);
  rng.shuffle(chronic);
  for (const c of chronic.slice(0, Math.max(1, Math.round(2 * scale)))) {
    extra.push({
      cust: c,
      date: previousBusinessDay(addDays(asOf, -rng.int(5, 25))),
      amount: rng.int(5, 20) * 10_000,
      allocations: [],
      reference: `VIR SEPA ${c.payer} ACOMPTE`,
      hasFee: false,
      fee: 0,
      touched: true,
    });
  }
  return extra;
}

// ---------------------------------------------------------------------------------------
// Write-offs, promises, notes, tasks

function outstanding(d: Doc): Cents {
  return d.total - d.credited - d.paid - d.writtenOff;
}

function makeWriteOffs(rng: Rng, pays: Pay[], customers: Cust[], invoices: Doc[], asOf: IsoDate): DemoWriteOff[] {
  const out: DemoWriteOff[] = [];
  // Bank fees kept by the customer's bank: the small residue is written off.
  for (const p of pays) {
    const fee = p.fee;
    const a = p.allocations[0];
    if (!fee || !a) continue;
    const date = nextBusinessDay(addDays(p.date, rng.int(5, 20)));
    if (date > asOf) continue;
    const amount = Math.min(fee, outstanding(a.doc));
    if (amount <= 0) continue;
    a.doc.writtenOff += amount;
    out.push({ documentNumber: a.doc.number, date, amount, reason: "Frais bancaires retenus par la banque du client" });
  }
  // The first defaulted customer went into liquidation: its oldest unpaid invoices are lost.
  const defaulted = customers.find((c) => c.behaviour === "defaulted");
  if (defaulted) {
    const date = nextBusinessDay(addDays(asOf, -50));
    const unpaid = invoices
      .filter((d) => d.cust === defaulted && d.issue < date && outstanding(d) > 0)
      .sort((a, b) => (a.issue < b.issue ? -1 : 1));
    for (const d of unpaid.slice(0, 2)) {
      const amount = outstanding(d);
      d.writtenOff += amount;
      out.push({ documentNumber: d.number, date, amount, reason: "Liquidation judiciaire du client — créance irrécouvrable" });
    }
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.documentNumber < b.documentNumber ? -1 : 1));
}

interface PromiseInfo {
  list: DemoPromise[];
  madeOn: Map<DemoPromise, { made: IsoDate; doc: Doc }>;
}

function makePromises(rng: Rng, invoices: Doc[], pays: Pay[], asOf: IsoDate): PromiseInfo {
  const list: DemoPromise[] = [];
  const madeOn = new Map<DemoPromise, { made: IsoDate; doc: Doc }>();
  const used = new Set<Cust>();
  const scale = Math.min(1, invoices.length / 6000);
  const add = (doc: Doc, amount: Cents, promisedDate: IsoDate, status: DemoPromise["status"], made: IsoDate) => {
    const p: DemoPromise = { customerRef: doc.cust.ref, amount, promisedDate, status };
    list.push(p);
    madeOn.set(p, { made: made > asOf ? asOf : made, doc });
    used.add(doc.cust);
  };

  const overdue = invoices.filter(
    (d) => !d.disputed && d.cust.behaviour !== "defaulted" && d.due < addDays(asOf, -10) && outstanding(d) > 0 && d.credited === 0,
  );
  const lateFirst = (d: Doc) => (d.cust.behaviour === "chronic" || d.cust.behaviour === "slow" || d.cust.trend === "worse" ? 0 : 1);
  overdue.sort((a, b) => lateFirst(a) - lateFirst(b) || (a.due < b.due ? -1 : a.due > b.due ? 1 : a.seq - b.seq));
  const pool = rng.shuffle(overdue.slice(0, Math.max(20, Math.floor(overdue.length / 2))));

  let pending = Math.max(1, Math.round(8 * scale));
  let broken = Math.max(1, Math.round(7 * scale));
  for (const d of pool) {
    if (used.has(d.cust)) continue;
    if (pending > 0) {
      const promised = nextBusinessDay(addDays(asOf, rng.int(3, 25)));
      add(d, outstanding(d), promised, "pending", addDays(asOf, -rng.int(1, 10)));
      pending--;
    } else if (broken > 0) {
      const from = addDays(d.due, 7);
      const lo = maxDate(from, addDays(asOf, -60));
      const span = daysBetween(lo, addDays(asOf, -3));
      if (span < 0) continue;
      const promised = addDays(lo, rng.int(0, span));
      add(d, outstanding(d), promised, "broken", addDays(promised, -rng.int(5, 15)));
      broken--;
    } else break;
  }

  // Kept promises: late payments of the last year preceded by a promise.
  const latePaid = pays
    .filter((p) => p.allocations.length === 1 && p.date >= addDays(asOf, -365))
    .filter((p) => {
      const a = p.allocations[0];
      return a !== undefined && daysBetween(a.doc.due, p.date) > 15 && !used.has(p.cust);
    });
  rng.shuffle(latePaid);
  let kept = Math.max(1, Math.round(12 * scale));
  for (const p of latePaid) {
    if (kept <= 0) break;
    if (used.has(p.cust)) continue;
    const a = p.allocations[0];
    if (!a) continue;
    let promised = nextBusinessDay(addDays(p.date, rng.int(0, 3)));
    if (promised > asOf) promised = p.date;
    add(a.doc, a.amount, promised, "kept", addDays(p.date, -rng.int(5, 15)));
    kept--;
  }
  list.sort((a, b) =>
    a.promisedDate < b.promisedDate ? -1 : a.promisedDate > b.promisedDate ? 1 : a.customerRef < b.customerRef ? -1 : 1,
  );
  return { list, madeOn };
}

function primaryContact(c: Cust): DemoContact | undefined {
  return c.out.contacts.find((x) => x.isPrimary) ?? c.out.contacts[0];
}

function makeNotesAndTasks(
  rng: Rng,
  customers: Cust[],
  invoices: Doc[],
  disputes: DemoDispute[],
  promises: DemoPromise[],
  madeOn: Map<DemoPromise, { made: IsoDate; doc: Doc }>,
  asOf: IsoDate,
): { notes: DemoNote[]; tasks: DemoTask[] } {
  const scale = Math.min(1, customers.length / 300);
  const noteTarget = Math.round(50 * scale);
  const taskTarget = Math.round(20 * scale);
  // Notes that carry the story are always written; optional ones only while there is room.
  const notes: DemoNote[] = [];
  const optional: DemoNote[] = [];
  const tasks: DemoTask[] = [];
  const byRef = new Map(customers.map((c) => [c.ref, c]));
  const byNumber = new Map(invoices.map((d) => [d.number, d]));
  const contactName = (c: Cust) => primaryContact(c)?.name ?? "la comptabilité";
  const who = (c: Cust) => {
    const p = primaryContact(c);
    return p ? `${p.name} (${p.jobTitle})` : "la comptabilité";
  };

  for (const dsp of disputes) {
    const d = byNumber.get(dsp.documentNumber);
    if (!d) continue;
    const opened: DemoNote = {
      customerRef: d.cust.ref,
      date: dsp.openedAt,
      body: `Litige ouvert sur la facture ${d.number} : ${dsp.reason.toLowerCase()}. Transmis au service commercial, relances suspendues.`,
    };
    if (dsp.status === "resolved" && dsp.resolvedAt) {
      optional.push(opened);
      notes.push({
        customerRef: d.cust.ref,
        date: dsp.resolvedAt,
        body:
          d.credited > 0
            ? `Litige sur ${d.number} résolu : avoir de ${euros(d.credited)} accordé, le solde sera réglé.`
            : `Litige sur ${d.number} résolu : justificatifs transmis, le client lance le règlement.`,
      });
    } else {
      notes.push(opened);
      tasks.push({
        customerRef: d.cust.ref,
        kind: "follow_up",
        title: `Relancer le service commercial sur le litige de la facture ${d.number}`,
        dueDate: nextBusinessDay(addDays(asOf, rng.int(1, 7))),
        status: "open",
      });
    }
  }

  for (const p of promises) {
    const info = madeOn.get(p);
    const c = byRef.get(p.customerRef);
    if (!info || !c) continue;
    const made: DemoNote = {
      customerRef: c.ref,
      date: info.made,
      body: `Appel de ${who(c)} : s'engage à régler ${euros(p.amount)} (facture ${info.doc.number}) le ${frDate(p.promisedDate)}.`,
    };
    if (p.status === "pending") {
      notes.push(made);
      tasks.push({
        customerRef: c.ref,
        kind: "follow_up",
        title: `Vérifier l'encaissement promis pour le ${frDate(p.promisedDate)} (${euros(p.amount)})`,
        dueDate: addDays(p.promisedDate, 1),
        status: "open",
      });
    } else if (p.status === "broken") {
      optional.push(made);
      const d = addDays(p.promisedDate, 2) <= asOf ? addDays(p.promisedDate, 2) : asOf;
      notes.push({
        customerRef: c.ref,
        date: d,
        body: `Promesse de paiement du ${frDate(p.promisedDate)} (${euros(p.amount)}) non tenue, aucun virement reçu.`,
      });
      const recent = daysBetween(d, asOf) <= 14;
      tasks.push({
        customerRef: c.ref,
        kind: "call",
        title: `Appeler ${contactName(c)} : promesse du ${frDate(p.promisedDate)} non tenue`,
        dueDate: recent ? nextBusinessDay(addDays(d, 1)) : d,
        status: recent ? "open" : "done",
      });
    } else {
      optional.push(made);
    }
  }

  for (const c of customers) {
    if (c.behaviour === "defaulted") {
      const stop = c.stopPaying ?? asOf;
      notes.push({
        customerRef: c.ref,
        date: nextBusinessDay(addDays(stop, 35)),
        body: "Plus aucun règlement depuis deux mois, le client ne répond plus aux appels.",
      });
      notes.push({
        customerRef: c.ref,
        date: nextBusinessDay(addDays(stop, 75)),
        body: "Client placé en redressement judiciaire : créance déclarée auprès du mandataire judiciaire, livraisons suspendues.",
      });
      if (c === customers.find((x) => x.behaviour === "defaulted")) {
        notes.push({
          customerRef: c.ref,
          date: nextBusinessDay(addDays(asOf, -52)),
          body: "Liquidation judiciaire prononcée. Créances les plus anciennes passées en perte.",
        });
      }
    } else if (c.trend === "worse") {
      optional.push({
        customerRef: c.ref,
        date: nextBusinessDay(addDays(asOf, -rng.int(10, 40))),
        body: "Retards de paiement en nette hausse depuis l'été — à surveiller, envisager de réduire l'encours autorisé.",
      });
    } else if (c.trend === "better") {
      optional.push({
        customerRef: c.ref,
        date: nextBusinessDay(addDays(asOf, -rng.int(20, 60))),
        body: "Nouveau responsable comptable, les délais de paiement s'améliorent nettement.",
      });
    }
  }

  rng.shuffle(optional);
  for (const n of optional) if (notes.length < noteTarget) notes.push(n);
  // Everyday collection notes, mostly about late payers.
  const late = customers.filter((c) => c.behaviour !== "prompt" && c.behaviour !== "defaulted");
  while (notes.length < noteTarget && late.length > 0) {
    const c = rng.pick(late);
    notes.push({ customerRef: c.ref, date: nextBusinessDay(addDays(asOf, -rng.int(3, 360))), body: rng.pick(W.GENERIC_NOTES) });
  }
  for (const n of notes) if (n.date > asOf) n.date = previousBusinessDay(asOf);

  // Calls for the customers with the most long-overdue money.
  const overdueByCust = new Map<Cust, { amount: Cents; count: number }>();
  for (const d of invoices) {
    if (d.cust.behaviour === "defaulted" || d.disputed || d.credited > 0) continue;
    const o = outstanding(d);
    if (o > 0 && daysBetween(d.due, asOf) > 60) {
      const e = overdueByCust.get(d.cust) ?? { amount: 0, count: 0 };
      e.amount += o;
      e.count++;
      overdueByCust.set(d.cust, e);
    }
  }
  const worst = [...overdueByCust.entries()].sort((a, b) => b[1].amount - a[1].amount || a[0].idx - b[0].idx);
  let calls = 0;
  for (const [c, e] of worst) {
    if (tasks.length >= taskTarget && calls >= 2) break;
    if (tasks.some((t) => t.customerRef === c.ref && t.status === "open")) continue;
    tasks.push({
      customerRef: c.ref,
      kind: "call",
      title: `Appeler ${contactName(c)} : ${e.count} facture${e.count > 1 ? "s" : ""} échue${e.count > 1 ? "s" : ""} depuis plus de 60 jours (${euros(e.amount)})`,
      dueDate: nextBusinessDay(addDays(asOf, rng.int(-3, 5))),
      status: "open",
    });
    calls++;
  }

  const byDate =
    <T extends { customerRef: string }>(key: (x: T) => IsoDate) =>
    (a: T, b: T) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.customerRef < b.customerRef ? -1 : a.customerRef > b.customerRef ? 1 : 0;
  notes.sort(byDate((n) => n.date));
  tasks.sort(byDate((t) => t.dueDate));
  return { notes, tasks };
}
