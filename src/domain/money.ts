/**
 * Money is always an integer number of minor units (cents). Floats never carry money:
 * parsing works on the decimal string itself, formatting on integer division.
 * JS numbers are exact for integers up to 2^53 (≈ 90 000 billion euros in cents).
 */
export type Cents = number;

export class MoneyParseError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid amount "${input}": ${reason}`);
    this.name = "MoneyParseError";
  }
}

// Spaces used as thousands separators in French exports: space, no-break space, narrow no-break space.
const GROUP_SPACES = /[\s\u00a0\u202f']/g;

/**
 * Parses an amount as written in accounting exports: `1234.56`, `1 234,56`, `1234,56`,
 * `-12,5`, `1,234.56`, `1.234,56`, `(12.50)` for a negative, a trailing `-` (`12,50-`),
 * an optional currency sign. More than two decimals are accepted only when they are zeros
 * (camt amounts written with 5 decimals) — anything else would silently lose cents.
 */
export function parseMoney(input: string): Cents {
  let s = input.trim().replace(/€|EUR/gi, "").trim();
  if (s === "") throw new MoneyParseError(input, "empty");
  // One sign at most, in any of its accounting spellings: "(12.50)", "12,50-", "-12,5".
  let signs = 0;
  if (/^\(.*\)$/.test(s)) {
    signs++;
    s = s.slice(1, -1).trim();
  }
  if (s.endsWith("-")) {
    signs++;
    s = s.slice(0, -1).trim();
  }
  if (s.startsWith("-")) {
    signs++;
    s = s.slice(1);
  } else if (s.startsWith("+")) {
    s = s.slice(1);
  }
  if (signs > 1) throw new MoneyParseError(input, "several signs");
  const negative = signs === 1;
  s = s.replace(GROUP_SPACES, "");
  // A lone sign or separator ("-", ".", "()") is not an amount; do not read it as zero.
  if (!/\d/.test(s)) throw new MoneyParseError(input, "no digits");
  const lastComma = s.lastIndexOf(",");
  const lastDot = s.lastIndexOf(".");
  let intPart: string;
  let fracPart = "";
  if (lastComma >= 0 && lastDot >= 0) {
    // Both present: the last one is the decimal separator, the other groups thousands.
    const dec = lastComma > lastDot ? "," : ".";
    const group = dec === "," ? "." : ",";
    const [i, f = ""] = s.split(dec);
    if (s.split(dec).length > 2) throw new MoneyParseError(input, "several decimal separators");
    const groups = (i ?? "").split(group);
    if (groups.length > 1 && !groups.slice(1).every((g) => g.length === 3)) throw new MoneyParseError(input, "misplaced separators");
    intPart = groups.join("");
    fracPart = f;
  } else if (lastComma >= 0 || lastDot >= 0) {
    const sep = lastComma >= 0 ? "," : ".";
    const parts = s.split(sep);
    if (parts.length > 2) {
      // 1.234.567 or 1,234,567: thousands groups only.
      if (!parts.slice(1).every((p) => p.length === 3)) throw new MoneyParseError(input, "misplaced separators");
      intPart = parts.join("");
    } else {
      intPart = parts[0] ?? "";
      fracPart = parts[1] ?? "";
    }
  } else {
    intPart = s;
  }
  if (intPart === "") intPart = "0";
  if (!/^\d+$/.test(intPart) || !/^\d*$/.test(fracPart)) throw new MoneyParseError(input, "not a number");
  if (fracPart.length > 2) {
    if (!/^0+$/.test(fracPart.slice(2))) throw new MoneyParseError(input, "more than two decimals");
    fracPart = fracPart.slice(0, 2);
  }
  const cents = Number(intPart) * 100 + Number(fracPart.padEnd(2, "0"));
  if (!Number.isSafeInteger(cents)) throw new MoneyParseError(input, "too large");
  return negative && cents !== 0 ? -cents : cents;
}

/** `"1234.56"` — the JSON and CSV form: dot decimal, two decimals, no grouping. */
export function toDecimalString(cents: Cents): string {
  assertCents(cents);
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

export type Locale = "fr" | "en";

/** Human display: `1 234,56 €` in French, `€1,234.56` in English. */
export function formatMoney(cents: Cents, locale: Locale, currency = "EUR"): string {
  assertCents(cents);
  const abs = Math.abs(cents);
  const int = String(Math.trunc(abs / 100));
  const frac = String(abs % 100).padStart(2, "0");
  const sign = cents < 0 ? "-" : "";
  if (locale === "fr") {
    const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    return `${sign}${grouped},${frac}\u00a0${currencySymbol(currency)}`;
  }
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const sym = currencySymbol(currency);
  return sym.length === 1 ? `${sign}${sym}${grouped}.${frac}` : `${sign}${grouped}.${frac} ${sym}`;
}

function currencySymbol(currency: string): string {
  return { EUR: "€", USD: "$", GBP: "£" }[currency] ?? currency;
}

export function assertCents(value: number): asserts value is Cents {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer amount of cents: ${value}`);
}

/** Splits `total` into parts proportional to `weights`, exactly (largest remainder). */
export function allocateProportionally(total: Cents, weights: number[]): Cents[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map(() => 0);
  const raw = weights.map((w) => (total * w) / sum);
  const floors = raw.map((r) => Math.floor(r));
  let rest = total - floors.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => ({ i, frac: r - Math.floor(r) })).sort((a, b) => b.frac - a.frac);
  for (const { i } of order) {
    if (rest <= 0) break;
    floors[i] = (floors[i] ?? 0) + 1;
    rest--;
  }
  return floors;
}
