import type { Lang } from "./messages.js";

/**
 * CSV for a spreadsheet in the user's language: French Excel expects ";" and decimal
 * commas, English "," and points. UTF-8 with a BOM so accents survive a double-click.
 */
export function toCsv(lang: Lang, header: string[], rows: (string | number | null | undefined)[][], moneyColumns: number[] = []): string {
  const sep = lang === "fr" ? ";" : ",";
  const cell = (v: string | number | null | undefined, money: boolean) => {
    let s = v === null || v === undefined ? "" : String(v);
    if (money && lang === "fr") s = s.replace(".", ",");
    return s.includes(sep) || /["\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [
    header.map((h) => cell(h, false)).join(sep),
    ...rows.map((r) => r.map((v, i) => cell(v, moneyColumns.includes(i))).join(sep)),
  ];
  return `\ufeff${lines.join("\r\n")}\r\n`;
}
