/**
 * Readable text tables of the reports, in French (default) or English. Figures are those of
 * the reports, only rounded for display: days to one decimal, money to the cent.
 */
import type { AgingAmounts } from "../domain/aging.js";
import type { DsoFigures } from "../domain/dso.js";
import { type Cents, formatMoney, type Locale } from "../domain/money.js";
import type { RiskFactorKey } from "../domain/risk.js";
import type { AgingReport } from "./report-aging.js";
import type { BehaviourReport } from "./report-behaviour.js";
import type { BridgeReport } from "./report-bridge.js";
import type { ForecastReport } from "./report-forecast.js";
import type { RiskReport } from "./report-risk.js";
import type { TrendReport } from "./report-trend.js";

/** The locale of LC_ALL / LC_MESSAGES / LANG: English for `en…`, French otherwise. */
export function localeFromEnv(env: NodeJS.ProcessEnv = process.env): Locale {
  const lang = env.LC_ALL || env.LC_MESSAGES || env.LANG || "";
  return lang.toLowerCase().startsWith("en") ? "en" : "fr";
}

const nf = (locale: Locale, digits: number) =>
  new Intl.NumberFormat(locale === "fr" ? "fr-FR" : "en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function days(value: number | null, locale: Locale): string {
  return value === null ? "—" : nf(locale, 1).format(value);
}

function percent(value: number | null, locale: Locale, scale = 1): string {
  return value === null ? "—" : `${nf(locale, 1).format(value * scale)} %`;
}

/** French typography puts a space before a colon. */
const colon = (l: Locale) => (l === "fr" ? " :" : ":");

function date(d: string, locale: Locale): string {
  return locale === "fr" ? `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}` : d;
}

/** A text table: first column left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)];
}

const T = {
  fr: {
    dsoTitle: "DSO — délai moyen de paiement clients",
    asOf: "au",
    window: "Période",
    days: "jours",
    receivables: "Encours clients",
    notDue: "dont non échu",
    revenue: "Chiffre d'affaires TTC",
    classic: "DSO classique",
    countback: "DSO par épuisement (count-back)",
    exhausted: "24 mois ne suffisent pas à couvrir l'encours : minimum",
    best: "Meilleur DSO possible",
    bestShort: "Meilleur",
    add: "Retard moyen (ADD)",
    cei: "Efficacité du recouvrement (CEI)",
    agingTitle: "Balance âgée",
    notDueBucket: "non échu",
    bucket: (a: number, b: number | null) => (b === null ? `> ${a - 1} j` : `${a}–${b} j`),
    amount: "Montant",
    count: "Pièces",
    total: "Total",
    unapplied: "Règlements non affectés",
    customer: "Client",
    customers: (shown: number, all: number) => `Clients (${shown} sur ${all}, par encours décroissant)`,
    documents: "Pièces ouvertes",
    number: "N°",
    due: "Échéance",
    late: "Retard (j)",
    disputed: "litige",
    forecastTitle: "Prévision d'encaissements",
    week: "Semaine",
    month: "Mois",
    expected: "Attendu",
    received: "Reçu",
    later: "Au-delà",
    overdue: "En retard au-delà de l'habitude du client (non planifié)",
    disputedLine: "En litige (non planifié)",
    doubtful: "Clients défaillants (non planifié)",
    openTotal: "Total des pièces ouvertes",
    past: (d: string) => `Prévision faite le ${d} et encaissements réels`,
    history: "Encaissements des derniers mois",
    riskTitle: "Risque clients (0–100)",
    rose: (d: string) => `Clients dont le risque a augmenté depuis le ${d}`,
    noneRose: "Aucun client dont le risque a augmenté.",
    highest: "Clients les plus risqués",
    score: "Score",
    before: "Avant",
    factors: "Facteurs",
    trendTitle: "Évolution mensuelle du DSO",
    bridgeTitle: "Pont de DSO : contribution de chaque client",
    from: "de",
    to: "à",
    change: "Variation",
    calendar: "Effet calendrier",
    arEffect: "Effet encours",
    revEffect: "Effet CA",
    contribution: "Contribution",
    others: (n: number) => `${n} autres clients`,
    unassigned: "Règlements sans client",
    behaviourTitle: "Comportement de paiement (12 mois)",
    paid: "Payé",
    toPay: "Délai (j)",
    lateDays: "Retard (j)",
    onTime: "À l'heure",
    trend: "Tendance (j)",
    promises: "Promesses non tenues",
    disputes: "Litiges ouverts",
    reminders: "Relances",
  },
  en: {
    dsoTitle: "DSO — days sales outstanding",
    asOf: "as of",
    window: "Period",
    days: "days",
    receivables: "Receivables",
    notDue: "of which not yet due",
    revenue: "Revenue incl. VAT",
    classic: "Classic DSO",
    countback: "Count-back DSO",
    exhausted: "24 months do not cover the receivables: at least",
    best: "Best possible DSO",
    bestShort: "Best",
    add: "Average days delinquent (ADD)",
    cei: "Collection effectiveness index (CEI)",
    agingTitle: "Aged receivables",
    notDueBucket: "not due",
    bucket: (a: number, b: number | null) => (b === null ? `> ${a - 1} d` : `${a}–${b} d`),
    amount: "Amount",
    count: "Docs",
    total: "Total",
    unapplied: "Unapplied payments",
    customer: "Customer",
    customers: (shown: number, all: number) => `Customers (${shown} of ${all}, largest balance first)`,
    documents: "Open documents",
    number: "No.",
    due: "Due",
    late: "Days late",
    disputed: "disputed",
    forecastTitle: "Cash forecast",
    week: "Week",
    month: "Month",
    expected: "Expected",
    received: "Received",
    later: "Later",
    overdue: "Later than the customer's usual delay (not scheduled)",
    disputedLine: "Disputed (not scheduled)",
    doubtful: "Defaulted customers (not scheduled)",
    openTotal: "Total open documents",
    past: (d: string) => `Forecast made on ${d} against actual receipts`,
    history: "Receipts of the last months",
    riskTitle: "Customer risk (0–100)",
    rose: (d: string) => `Customers whose risk rose since ${d}`,
    noneRose: "No customer's risk rose.",
    highest: "Highest risk",
    score: "Score",
    before: "Before",
    factors: "Factors",
    trendTitle: "Monthly DSO trend",
    bridgeTitle: "DSO bridge: what each customer contributed",
    from: "from",
    to: "to",
    change: "Change",
    calendar: "Calendar effect",
    arEffect: "Receivables effect",
    revEffect: "Revenue effect",
    contribution: "Contribution",
    others: (n: number) => `${n} other customers`,
    unassigned: "Payments without customer",
    behaviourTitle: "Payment behaviour (12 months)",
    paid: "Paid",
    toPay: "To pay (d)",
    lateDays: "Late (d)",
    onTime: "On time",
    trend: "Trend (d)",
    promises: "Broken promises",
    disputes: "Open disputes",
    reminders: "Reminders",
  },
} as const;

const FACTORS: Record<Locale, Record<RiskFactorKey, string>> = {
  fr: {
    overdue_share: "part échue",
    severe_overdue_share: "échu > 60 j",
    days_late: "retard moyen",
    worsening: "dégradation",
    credit_limit: "encours autorisé",
    broken_promises: "promesses non tenues",
    disputes: "litiges",
    concentration: "concentration",
    defaulted: "défaillant",
  },
  en: {
    overdue_share: "overdue share",
    severe_overdue_share: "overdue > 60 d",
    days_late: "days late",
    worsening: "worsening",
    credit_limit: "credit limit",
    broken_promises: "broken promises",
    disputes: "disputes",
    concentration: "concentration",
    defaulted: "defaulted",
  },
};

const money = (c: Cents, l: Locale) => formatMoney(c, l);

export function formatDso(asOf: string, f: DsoFigures, l: Locale = "fr"): string {
  const t = T[l];
  const rows: string[][] = [
    [t.receivables, money(f.ar, l)],
    [`  ${t.notDue}`, money(f.notDueAr, l)],
    [t.revenue, money(f.revenue, l)],
    [t.classic, days(f.dso, l)],
    [t.countback, f.countback.exhausted ? `≥ ${days(f.countback.dso, l)}` : days(f.countback.dso, l)],
    [t.best, days(f.bestPossibleDso, l)],
    [t.add, days(f.add, l)],
    [t.cei, percent(f.cei, l)],
  ];
  const out = [
    `${t.dsoTitle} ${t.asOf} ${date(asOf, l)}`,
    `${t.window}${colon(l)} ${date(f.from, l)} → ${date(f.to, l)} (${f.days} ${t.days})`,
    "",
    ...table(["", ""], rows).slice(2),
  ];
  if (f.countback.exhausted) out.push("", `${t.exhausted} ${days(f.countback.dso, l)} ${t.days}.`);
  return `${out.join("\n")}\n`;
}

function bucketLabels(a: AgingAmounts, l: Locale): string[] {
  return a.buckets.map((b) => (b.minDays === null ? T[l].notDueBucket : T[l].bucket(b.minDays, b.maxDays)));
}

export function formatAging(r: AgingReport, l: Locale = "fr"): string {
  const t = T[l];
  const labels = bucketLabels(r, l);
  const out = [`${t.agingTitle} ${t.asOf} ${date(r.asOf, l)}`, ""];
  out.push(
    ...table(
      ["", t.amount, t.count],
      [
        ...r.buckets.map((b, i) => [labels[i] as string, money(b.total, l), String(b.count)]),
        [t.total, money(r.total, l), String(r.count)],
        [t.unapplied, money(-r.unapplied.total, l), String(r.unapplied.count)],
        [t.receivables, money(r.ar, l), ""],
      ],
    ),
  );
  if (r.customers.length > 0 && !r.documents) {
    out.push("", `${t.customers(r.customers.length, r.customerCount)}${colon(l)}`);
    out.push(
      ...table(
        [t.customer, ...labels, t.receivables],
        r.customers.map((c) => [`${c.ref} ${c.name}`, ...c.buckets.map((b) => money(b.total, l)), money(c.ar, l)]),
      ),
    );
  }
  if (r.documents) {
    const c = r.customers[0];
    if (c) out.push("", `${c.ref} ${c.name}`);
    out.push("", `${t.documents}${colon(l)}`);
    out.push(
      ...table(
        [t.number, t.due, t.late, t.amount, ""],
        r.documents.map((d) => [
          d.number,
          date(d.dueDate, l),
          String(d.daysPastDue),
          money(d.outstanding, l),
          d.disputed ? t.disputed : "",
        ]),
      ),
    );
  }
  return `${out.join("\n")}\n`;
}

export function formatForecast(r: ForecastReport, l: Locale = "fr"): string {
  const t = T[l];
  const out = [`${t.forecastTitle} ${t.asOf} ${date(r.asOf, l)}`, ""];
  out.push(
    ...table(
      [t.week, t.expected],
      [...r.weeks.map((w) => [`${date(w.from, l)} → ${date(w.to, l)}`, money(w.expected, l)]), [t.later, money(r.laterThanWeeks, l)]],
    ),
  );
  out.push("");
  out.push(
    ...table(
      [t.month, t.expected],
      [...r.months.map((m) => [`${date(m.from, l)} → ${date(m.to, l)}`, money(m.expected, l)]), [t.later, money(r.laterThanMonths, l)]],
    ),
  );
  out.push("");
  out.push(
    ...table(
      ["", ""],
      [
        [t.overdue, money(r.overdue, l)],
        [t.disputedLine, money(r.disputed, l)],
        [t.doubtful, money(r.doubtful, l)],
        [t.openTotal, money(r.total, l)],
      ],
    ).slice(2),
  );
  if (r.past.length > 0) {
    out.push("", t.past(date(r.pastFrom, l)));
    out.push(
      ...table(
        [t.week, t.expected, t.received],
        r.past.map((p) => [`${date(p.from, l)} → ${date(p.to, l)}`, money(p.expected, l), money(p.received, l)]),
      ),
    );
  }
  if (r.receivedByMonth.length > 0) {
    out.push("", t.history);
    out.push(
      ...table(
        [t.month, t.received],
        r.receivedByMonth.map((m) => [m.month, money(m.received, l)]),
      ),
    );
  }
  return `${out.join("\n")}\n`;
}

export function formatRisk(r: RiskReport, l: Locale = "fr"): string {
  const t = T[l];
  const factors = (c: RiskReport["customers"][number]) =>
    c.factors
      .filter((f) => f.points >= 0.5)
      .map((f) => `${FACTORS[l][f.key]} ${Math.round(f.points)}/${f.max}`)
      .join(", ");
  const rows = (list: RiskReport["customers"]) =>
    list.map((c) => [`${c.ref} ${c.name}`, String(c.score), String(c.previousScore), money(c.receivables, l), factors(c)]);
  const out = [`${t.riskTitle} ${t.asOf} ${date(r.asOf, l)}`, "", t.rose(date(r.comparedTo, l))];
  if (r.rose.length === 0) out.push(t.noneRose);
  else out.push(...table([t.customer, t.score, t.before, t.receivables, t.factors], rows(r.rose)));
  out.push("", t.highest);
  out.push(...table([t.customer, t.score, t.before, t.receivables, t.factors], rows(r.customers)));
  return `${out.join("\n")}\n`;
}

export function formatTrend(r: TrendReport, l: Locale = "fr"): string {
  const t = T[l];
  const out = [`${t.trendTitle} ${t.asOf} ${date(r.asOf, l)} (${r.windowDays} ${t.days})`, ""];
  out.push(
    ...table(
      [t.month, t.receivables, t.revenue, "DSO", "Count-back", t.bestShort, "ADD", "CEI"],
      r.points.map((p) => [
        p.month,
        money(p.figures.ar, l),
        money(p.figures.revenue, l),
        days(p.figures.dso, l),
        days(p.figures.countback.dso, l),
        days(p.figures.bestPossibleDso, l),
        days(p.figures.add, l),
        percent(p.figures.cei, l),
      ]),
    ),
  );
  return `${out.join("\n")}\n`;
}

export function formatBridge(r: BridgeReport, l: Locale = "fr"): string {
  const t = T[l];
  const sign = (x: number | null) => (x === null ? "—" : `${x >= 0 ? "+" : ""}${nf(l, 2).format(x)}`);
  const out = [
    t.bridgeTitle,
    "",
    `DSO ${date(r.before.to, l)}${colon(l)} ${days(r.before.dso, l)} → ${date(r.after.to, l)}${colon(l)} ${days(r.after.dso, l)} (${t.change} ${sign(r.change)})`,
    "",
  ];
  const lines = r.lines.map((x) => [
    x.customerId === null ? t.unassigned : `${x.ref} ${x.name}`,
    money(x.arBefore, l),
    money(x.arAfter, l),
    sign(x.receivablesEffect),
    sign(x.revenueEffect),
    sign(x.contribution),
  ]);
  if (r.others.count > 0)
    lines.push([
      t.others(r.others.count),
      "",
      "",
      sign(r.others.receivablesEffect),
      sign(r.others.revenueEffect),
      sign(r.others.contribution),
    ]);
  if (r.calendarEffect) lines.push([t.calendar, "", "", "", "", sign(r.calendarEffect)]);
  lines.push([t.total, money(r.before.ar, l), money(r.after.ar, l), "", "", sign(r.change)]);
  out.push(...table([t.customer, `${t.receivables} 1`, `${t.receivables} 2`, t.arEffect, t.revEffect, t.contribution], lines));
  return `${out.join("\n")}\n`;
}

export function formatBehaviour(r: BehaviourReport, l: Locale = "fr"): string {
  const t = T[l];
  const out = [`${t.behaviourTitle} ${t.asOf} ${date(r.asOf, l)}`, ""];
  out.push(
    ...table(
      [t.customer, t.paid, t.toPay, t.lateDays, t.onTime, t.trend, t.promises, t.disputes, t.reminders],
      r.customers.map((c) => [
        `${c.ref} ${c.name}`,
        money(c.paid, l),
        days(c.daysToPay, l),
        days(c.daysLate, l),
        percent(c.onTimeShare, l, 100),
        c.trend.change === null ? "—" : `${c.trend.change >= 0 ? "+" : ""}${days(c.trend.change, l)}${c.trend.worsening ? " ↑" : ""}`,
        String(c.brokenPromises),
        String(c.openDisputes),
        String(c.reminders),
      ]),
    ),
  );
  return `${out.join("\n")}\n`;
}
