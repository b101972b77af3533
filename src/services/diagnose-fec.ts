/**
 * `relance diagnose FEC_FILE [--from D --to D] [--days N] [--json]` — no database needed.
 * Reads the file, lets the domain (`domain/fec.ts`) parse and compute, and shapes the
 * result for the CLI (JSON contract of DESIGN §4) and for humans (text table, fr/en).
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { diagnoseFecContent, type FecDiagnosis, type FecDiagnosisOptions, FecError, type FecFormat } from "../domain/fec.js";
import { type Cents, formatMoney, type Locale, toDecimalString } from "../domain/money.js";

export interface FecFileDiagnosis extends FecDiagnosis {
  file: string;
  format: FecFormat;
}

/**
 * Diagnoses a FEC file. The file is read whole (tens of MB fit in memory) and its records
 * are parsed lazily, one at a time, by the domain. A `FecError` comes back located in the file.
 */
export async function diagnoseFecFile(path: string, options: FecDiagnosisOptions = {}): Promise<FecFileDiagnosis> {
  const bytes = await readFile(path);
  try {
    const { format, diagnosis } = diagnoseFecContent(bytes, options);
    return { file: path, format, ...diagnosis };
  } catch (e) {
    if (e instanceof FecError) throw e.inFile(basename(path));
    throw e;
  }
}

const money = (c: Cents): string => toDecimalString(c);

export interface DiagnosisJson {
  from: string | null;
  to: string | null;
  days: number;
  receivables: string;
  salesTTC: string;
  dso: number | null;
  payables: string;
  purchasesTTC: string;
  dpo: number | null;
  inventory: string;
  dio: number | null;
  bfr: string;
  cycle: number | null;
  consumption: string;
  topCustomers: Array<{ account: string; name: string; outstanding: string }>;
  aging: {
    asOf: string;
    limits: number[];
    termsDays: number;
    buckets: Array<{ key: string; total: string; count: number }>;
    total: string;
    unapplied: string;
    ar: string;
    lettered: string;
  } | null;
  warnings: string[];
}

/** The `--json` form: money as decimal strings with two decimals, days unrounded. */
export function diagnosisToJson(d: FecDiagnosis): DiagnosisJson {
  return {
    from: d.from,
    to: d.to,
    days: d.days,
    receivables: money(d.receivables),
    salesTTC: money(d.salesTTC),
    dso: d.dso,
    payables: money(d.payables),
    purchasesTTC: money(d.purchasesTTC),
    dpo: d.dpo,
    inventory: money(d.inventory),
    dio: d.dio,
    bfr: money(d.bfr),
    cycle: d.cycle,
    consumption: money(d.consumption),
    topCustomers: d.topCustomers.map((c) => ({
      account: c.account,
      name: c.name,
      outstanding: money(c.outstanding),
    })),
    aging: d.aging && {
      asOf: d.aging.asOf,
      limits: d.aging.limits,
      termsDays: d.aging.termsDays,
      buckets: d.aging.buckets.map((b) => ({
        key: b.key,
        total: money(b.total),
        count: b.count,
      })),
      total: money(d.aging.total),
      unapplied: money(d.aging.unapplied.total),
      ar: money(d.aging.ar),
      lettered: money(d.aging.lettered),
    },
    warnings: d.warnings,
  };
}

const LABELS = {
  fr: {
    title: "Diagnostic FEC",
    period: "Période",
    days: "Jours",
    receivables: "Créances clients",
    salesTTC: "Ventes TTC",
    dso: "DSO (jours)",
    payables: "Dettes fournisseurs",
    purchasesTTC: "Achats TTC",
    dpo: "DPO (jours)",
    inventory: "Stocks",
    consumption: "Achats consommés (60)",
    dio: "DIO (jours)",
    bfr: "BFR d'exploitation",
    cycle: "Cycle de conversion (jours)",
    topCustomers: "Principaux encours clients",
    aging: "Balance âgée clients (lignes 411 non lettrées, âge depuis la date de pièce)",
    notDue: "non échu",
    plus: "et plus",
    days_: "j",
    unapplied: "Règlements non lettrés",
    total: "Total",
    none: "—",
    to: "au",
    warnings: "Avertissements",
  },
  en: {
    title: "FEC diagnosis",
    period: "Period",
    days: "Days",
    receivables: "Trade receivables",
    salesTTC: "Sales incl. VAT",
    dso: "DSO (days)",
    payables: "Trade payables",
    purchasesTTC: "Purchases incl. VAT",
    dpo: "DPO (days)",
    inventory: "Inventory",
    consumption: "Purchases consumed (60)",
    dio: "DIO (days)",
    bfr: "Operating working capital",
    cycle: "Cash conversion cycle (days)",
    topCustomers: "Largest customer balances",
    aging: "Customer aging (unlettered 411 lines, age from document date)",
    notDue: "not due",
    plus: "and more",
    days_: "d",
    unapplied: "Unlettered payments",
    total: "Total",
    none: "—",
    to: "to",
    warnings: "Warnings",
  },
} as const;

function formatDays(value: number | null, locale: Locale): string {
  if (value === null) return LABELS[locale].none;
  return new Intl.NumberFormat(locale === "fr" ? "fr-FR" : "en-GB", {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(value);
}

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, v]) => v.length));
  return rows.map(([label, v]) => `  ${label.padEnd(width)}  ${v.padStart(valueWidth)}`);
}

/** A readable text table of a diagnosis (French labels by default). */
export function formatDiagnosis(d: FecDiagnosis & { file?: string }, locale: Locale = "fr"): string {
  const L = LABELS[locale];
  const m = (c: Cents) => formatMoney(c, locale);
  const out: string[] = [];
  out.push(d.file ? `${L.title} — ${basename(d.file)}` : L.title);
  out.push(`${L.period}: ${d.from ?? L.none} ${L.to} ${d.to ?? L.none} (${d.days} ${L.days_})`);
  out.push("");
  out.push(
    ...table([
      [L.receivables, m(d.receivables)],
      [L.salesTTC, m(d.salesTTC)],
      [L.dso, formatDays(d.dso, locale)],
      [L.payables, m(d.payables)],
      [L.purchasesTTC, m(d.purchasesTTC)],
      [L.dpo, formatDays(d.dpo, locale)],
      [L.inventory, m(d.inventory)],
      [L.consumption, m(d.consumption)],
      [L.dio, formatDays(d.dio, locale)],
      [L.bfr, m(d.bfr)],
      [L.cycle, formatDays(d.cycle, locale)],
    ]),
  );
  if (d.topCustomers.length > 0) {
    out.push("", `${L.topCustomers}:`);
    out.push(...table(d.topCustomers.map((c) => [`${c.account}  ${c.name}`, m(c.outstanding)])));
  }
  if (d.aging) {
    out.push("", `${L.aging}:`);
    const rows: Array<[string, string]> = d.aging.buckets.map((b) => {
      const label =
        b.minDays === null ? L.notDue : b.maxDays === null ? `${b.minDays} ${L.days_} ${L.plus}` : `${b.minDays}–${b.maxDays} ${L.days_}`;
      return [`${label} (${b.count})`, m(b.total)];
    });
    rows.push([`${L.unapplied} (${d.aging.unapplied.count})`, m(-d.aging.unapplied.total)]);
    rows.push([L.total, m(d.aging.ar)]);
    out.push(...table(rows));
  }
  if (d.warnings.length > 0) {
    out.push("", `${L.warnings}:`, ...d.warnings.map((w) => `  - ${w}`));
  }
  return `${out.join("\n")}\n`;
}
