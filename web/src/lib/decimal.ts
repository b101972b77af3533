/**
 * Money arrives from the API as decimal strings ("1234.56", "-40.00"). Arithmetic is done
 * on integer cents as BigInt, never on floats; numbers are made only to draw charts.
 */

const DECIMAL = /^(-)?(\d+)(?:[.,](\d{1,2}))?$/;

export function toCents(value: string | null | undefined): bigint {
  if (value === null || value === undefined || value === "") return 0n;
  const m = DECIMAL.exec(value.trim().replace(/[\s\u00a0\u202f]/g, ""));
  if (!m) throw new Error(`not a decimal amount: ${value}`);
  const cents = BigInt(m[2] ?? "0") * 100n + BigInt((m[3] ?? "").padEnd(2, "0") || "0");
  return m[1] ? -cents : cents;
}

export function fromCents(cents: bigint): string {
  const neg = cents < 0n;
  const abs = neg ? -cents : cents;
  const units = abs / 100n;
  const rest = (abs % 100n).toString().padStart(2, "0");
  return `${neg ? "-" : ""}${units}.${rest}`;
}

export const isDecimal = (value: string) => DECIMAL.test(value.trim().replace(/[\s\u00a0\u202f]/g, ""));
export const addMoney = (...values: (string | null | undefined)[]) => fromCents(values.reduce((s, v) => s + toCents(v), 0n));
export const subMoney = (a: string, b: string) => fromCents(toCents(a) - toCents(b));
export const minMoney = (a: string, b: string) => (toCents(a) <= toCents(b) ? a : b);
export const compareMoney = (a: string, b: string) => {
  const d = toCents(a) - toCents(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};
export const isZero = (value: string | null | undefined) => toCents(value) === 0n;
export const isPositive = (value: string | null | undefined) => toCents(value) > 0n;
/** For charts only: a float is fine to draw a bar, never to add amounts up. */
export const chartNumber = (value: string | null | undefined) => Number(fromCents(toCents(value)));
