import type { IsoDate } from "../domain/dates.js";

export type Lang = "fr" | "en";

const MONTHS = {
  fr: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
  en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
};

/** Dates in lists: 03/03/2026 (fr), 3 Mar 2026 (en). */
export function formatShortDate(date: IsoDate, lang: Lang): string {
  const [y, m, d] = date.split("-");
  if (lang === "fr") return `${d}/${m}/${y}`;
  return `${Number(d)} ${MONTHS.en[Number(m) - 1]?.slice(0, 3)} ${y}`;
}

/** Dates in sentences: 3 mars 2026 (fr, "1er" for the first), 3 March 2026 (en). */
export function formatLongDate(date: IsoDate, lang: Lang): string {
  const [y, m, d] = date.split("-");
  const day = Number(d);
  const month = MONTHS[lang][Number(m) - 1];
  return lang === "fr" ? `${day === 1 ? "1er" : day} ${month} ${y}` : `${day} ${month} ${y}`;
}

/** 1215 basis points → "12,15 %" (fr) or "12.15%" (en). */
export function formatPercent(bp: number, lang: Lang): string {
  const s = `${Math.trunc(bp / 100)}${lang === "fr" ? "," : "."}${String(bp % 100).padStart(2, "0")}`;
  return lang === "fr" ? `${s}\u00a0%` : `${s}%`;
}
