/**
 * French business days: Monday to Friday except French public holidays (jours fériés,
 * Code du travail L3133-1): 1 January, Easter Monday, 1 May, 8 May, Ascension Thursday,
 * Whit Monday, 14 July, 15 August, 1 November, 11 November, 25 December.
 * Alsace-Moselle's two extra days (Good Friday, 26 December) are opt-in (`alsaceMoselle`).
 * Pure functions over `YYYY-MM-DD` strings.
 */
import { addDays, dayOfWeek, type IsoDate } from "./dates.js";

const pad = (n: number) => String(n).padStart(2, "0");

/** Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
export function easterSunday(year: number): IsoDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${pad(month)}-${pad(day)}`;
}

export interface Holiday {
  date: IsoDate;
  name: { fr: string; en: string };
}

export interface HolidayOptions {
  /** Good Friday and 26 December (Bas-Rhin, Haut-Rhin, Moselle). */
  alsaceMoselle?: boolean;
  /** Extra closed days of the company (bridges, annual closure). */
  extra?: readonly IsoDate[];
}

/** The French public holidays of a year, in date order. */
export function frenchHolidays(year: number, options: HolidayOptions = {}): Holiday[] {
  const easter = easterSunday(year);
  const fixed = (md: string, fr: string, en: string): Holiday => ({ date: `${year}-${md}`, name: { fr, en } });
  const list: Holiday[] = [
    fixed("01-01", "Jour de l'an", "New Year's Day"),
    { date: addDays(easter, 1), name: { fr: "Lundi de Pâques", en: "Easter Monday" } },
    fixed("05-01", "Fête du Travail", "Labour Day"),
    fixed("05-08", "Victoire 1945", "Victory in Europe Day"),
    { date: addDays(easter, 39), name: { fr: "Ascension", en: "Ascension Day" } },
    { date: addDays(easter, 50), name: { fr: "Lundi de Pentecôte", en: "Whit Monday" } },
    fixed("07-14", "Fête nationale", "Bastille Day"),
    fixed("08-15", "Assomption", "Assumption Day"),
    fixed("11-01", "Toussaint", "All Saints' Day"),
    fixed("11-11", "Armistice 1918", "Armistice Day"),
    fixed("12-25", "Noël", "Christmas Day"),
  ];
  if (options.alsaceMoselle) {
    list.push({ date: addDays(easter, -2), name: { fr: "Vendredi saint", en: "Good Friday" } });
    list.push(fixed("12-26", "Saint-Étienne", "St Stephen's Day"));
  }
  return list.sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
}

const cache = new Map<string, Set<IsoDate>>();

function holidaySet(year: number, options: HolidayOptions): Set<IsoDate> {
  const key = `${year}:${options.alsaceMoselle ? 1 : 0}`;
  let set = cache.get(key);
  if (!set) {
    set = new Set(frenchHolidays(year, options).map((h) => h.date));
    cache.set(key, set);
  }
  return set;
}

export function isFrenchHoliday(date: IsoDate, options: HolidayOptions = {}): boolean {
  return holidaySet(Number(date.slice(0, 4)), options).has(date) || (options.extra?.includes(date) ?? false);
}

export function isBusinessDay(date: IsoDate, options: HolidayOptions = {}): boolean {
  const dow = dayOfWeek(date);
  return dow !== 0 && dow !== 6 && !isFrenchHoliday(date, options);
}

/** The date itself when it is a business day, else the next business day. */
export function nextBusinessDay(date: IsoDate, options: HolidayOptions = {}): IsoDate {
  let d = date;
  // At most a weekend plus a couple of holidays in a row; 14 is a safe bound against bad input.
  for (let i = 0; i < 14 && !isBusinessDay(d, options); i++) d = addDays(d, 1);
  return d;
}
