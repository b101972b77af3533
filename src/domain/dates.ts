/**
 * Calendar dates without time zone, as `YYYY-MM-DD` strings (what PostgreSQL `date` and
 * JSON carry). Arithmetic goes through a day number (days since 1970-01-01, UTC), so no
 * daylight-saving hour can ever shift a due date.
 */
export type IsoDate = string;

const MS_PER_DAY = 86_400_000;
const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

export class DateParseError extends Error {
  constructor(
    readonly input: string,
    reason = "expected YYYY-MM-DD or DD/MM/YYYY",
  ) {
    super(`invalid date "${input}": ${reason}`);
    this.name = "DateParseError";
  }
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

function fromParts(year: number, month: number, day: number, input: string): IsoDate {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || year < 1000 || year > 9999) {
    throw new DateParseError(input, "no such day");
  }
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** Accepts `YYYY-MM-DD`, `DD/MM/YYYY` (French order, also with `.` or `-`), and `YYYYMMDD` (FEC). */
export function parseDate(input: string): IsoDate {
  const s = input.trim();
  let m = ISO.exec(s) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (m) return fromParts(Number(m[1]), Number(m[2]), Number(m[3]), input);
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
  if (m) return fromParts(Number(m[3]), Number(m[2]), Number(m[1]), input);
  // Spreadsheet timestamps such as 2024-03-01T00:00:00 or 2024-03-01 00:00:00.
  m = /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}/.exec(s);
  if (m) return fromParts(Number(m[1]), Number(m[2]), Number(m[3]), input);
  throw new DateParseError(input);
}

export function isIsoDate(s: string): boolean {
  try {
    return ISO.test(s) && parseDate(s) === s;
  } catch {
    return false;
  }
}

export function toDayNumber(date: IsoDate): number {
  const m = ISO.exec(date);
  if (!m) throw new DateParseError(date);
  return Math.round(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / MS_PER_DAY);
}

export function fromDayNumber(day: number): IsoDate {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Signed number of days from `a` to `b` (b − a). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return toDayNumber(b) - toDayNumber(a);
}

/** Days of the closed interval [from, to], both ends counted (1 Jan → 31 Jan = 31). */
export function daysInclusive(from: IsoDate, to: IsoDate): number {
  return daysBetween(from, to) + 1;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return fromDayNumber(toDayNumber(date) + days);
}

export function parts(date: IsoDate): { year: number; month: number; day: number } {
  const m = ISO.exec(date);
  if (!m) throw new DateParseError(date);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/** Adds months, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(date: IsoDate, months: number): IsoDate {
  const { year, month, day } = parts(date);
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const mo = (index % 12) + 1;
  return fromParts(y, mo, Math.min(day, daysInMonth(y, mo)), date);
}

export function startOfMonth(date: IsoDate): IsoDate {
  return `${date.slice(0, 7)}-01`;
}

export function endOfMonth(date: IsoDate): IsoDate {
  const { year, month } = parts(date);
  return fromParts(year, month, daysInMonth(year, month), date);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: IsoDate): number {
  return (((toDayNumber(date) + 4) % 7) + 7) % 7;
}

export function compareDates(a: IsoDate, b: IsoDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function minDate(a: IsoDate, b: IsoDate): IsoDate {
  return a <= b ? a : b;
}

export function maxDate(a: IsoDate, b: IsoDate): IsoDate {
  return a >= b ? a : b;
}

/** Today's calendar date in a time zone (Europe/Paris by default: where invoices fall due). */
export function today(timeZone = "Europe/Paris", now: Date = new Date()): IsoDate {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}
