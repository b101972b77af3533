import type { Lang } from "./messages";

/** Number and date formatting by Intl, in the user's language (French: 1 234,56 €). */

const LOCALES: Record<Lang, string> = { fr: "fr-FR", en: "en-GB" };
const cache = new Map<string, Intl.NumberFormat>();

function nf(lang: Lang, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${lang}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(LOCALES[lang], options);
    cache.set(key, f);
  }
  return f;
}

/** Intl formats decimal strings exactly (no float rounding): the API's "1234.56" goes in as is. */
const asDecimal = (value: string) => value as Intl.StringNumericLiteral;

export function makeFormat(lang: Lang) {
  const locale = LOCALES[lang];
  const dateFmt = new Intl.DateTimeFormat(locale, { day: "2-digit", month: "short", year: "numeric", timeZone: "UTC" });
  const numDateFmt = new Intl.DateTimeFormat(locale, { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" });
  const shortDateFmt = new Intl.DateTimeFormat(locale, { day: "2-digit", month: "2-digit", timeZone: "UTC" });
  const monthFmt = new Intl.DateTimeFormat(locale, { month: "short", year: "2-digit", timeZone: "UTC" });
  const dateTimeFmt = new Intl.DateTimeFormat(locale, {
    day: "2-digit",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
  const rel = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const parseDay = (iso: string) => new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  return {
    locale,
    money(value: string | null | undefined, currency = "EUR"): string {
      if (value === null || value === undefined || value === "") return "—";
      return nf(lang, { style: "currency", currency }).format(asDecimal(value));
    },
    /** 1,2 M€ / €1.2M: for headline figures; the exact amount goes in the title attribute. */
    moneyCompact(value: string | null | undefined, currency = "EUR"): string {
      if (value === null || value === undefined || value === "") return "—";
      return nf(lang, { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 }).format(asDecimal(value));
    },
    number(value: number | null | undefined, digits = 0): string {
      if (value === null || value === undefined || Number.isNaN(value)) return "—";
      return nf(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
    },
    days(value: number | null | undefined, digits = 1): string {
      if (value === null || value === undefined || Number.isNaN(value)) return "—";
      return `${nf(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value)}\u00a0${lang === "fr" ? "j" : "d"}`;
    },
    percent(value: number | null | undefined, digits = 1): string {
      if (value === null || value === undefined || Number.isNaN(value)) return "—";
      return nf(lang, { style: "percent", maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
    },
    date(iso: string | null | undefined): string {
      return iso ? dateFmt.format(parseDay(iso)) : "—";
    },
    /** 27/12/2024: in tables, where columns must stay narrow. */
    numDate(iso: string | null | undefined): string {
      return iso ? numDateFmt.format(parseDay(iso)) : "—";
    },
    shortDate(iso: string | null | undefined): string {
      return iso ? shortDateFmt.format(parseDay(iso)) : "—";
    },
    month(iso: string): string {
      return monthFmt.format(parseDay(iso));
    },
    dateTime(value: string | null | undefined): string {
      return value ? dateTimeFmt.format(new Date(value)) : "—";
    },
    ago(value: string): string {
      const diff = (new Date(value).getTime() - Date.now()) / 1000;
      const abs = Math.abs(diff);
      if (abs < 60) return rel.format(Math.round(diff), "second");
      if (abs < 3600) return rel.format(Math.round(diff / 60), "minute");
      if (abs < 86400) return rel.format(Math.round(diff / 3600), "hour");
      if (abs < 86400 * 30) return rel.format(Math.round(diff / 86400), "day");
      return dateFmt.format(new Date(value));
    },
  };
}

export type Format = ReturnType<typeof makeFormat>;

/** Today as YYYY-MM-DD in the browser's calendar. */
export function todayIso(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function addDaysIso(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
