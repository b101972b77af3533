import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addDays,
  addMonths,
  compareDates,
  DateParseError,
  dayOfWeek,
  daysBetween,
  daysInclusive,
  daysInMonth,
  endOfMonth,
  fromDayNumber,
  isIsoDate,
  isLeapYear,
  maxDate,
  minDate,
  parseDate,
  parts,
  startOfMonth,
  toDayNumber,
  today,
} from "./dates.js";

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** Days in a month computed by the platform, independently of the module under test. */
const platformDaysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** Any valid calendar date in [minYear, maxYear], built from its parts. */
function isoDate(minYear = 1000, maxYear = 9999) {
  return fc
    .record({
      year: fc.integer({ min: minYear, max: maxYear }),
      month: fc.integer({ min: 1, max: 12 }),
    })
    .chain(({ year, month }) =>
      fc.integer({ min: 1, max: platformDaysInMonth(year, month) }).map((day) => ({
        year,
        month,
        day,
        iso: `${pad(year, 4)}-${pad(month)}-${pad(day)}`,
      })),
    );
}

function expectDateError(input: string): void {
  expect(() => parseDate(input)).toThrow(DateParseError);
}

describe("parseDate", () => {
  it("reads an ISO date, including 29 February of a leap year", () => {
    expect(parseDate("2024-02-29")).toBe("2024-02-29");
    expect(parseDate("2000-02-29")).toBe("2000-02-29");
  });

  it("reads a French DD/MM/YYYY date", () => {
    expect(parseDate("29/02/2024")).toBe("2024-02-29");
    expect(parseDate("01/03/2024")).toBe("2024-03-01");
  });

  it("reads French day-first dates with dots, dashes and single digits", () => {
    expect(parseDate("01.03.2024")).toBe("2024-03-01");
    expect(parseDate("01-03-2024")).toBe("2024-03-01");
    expect(parseDate("1/3/2024")).toBe("2024-03-01");
  });

  it("reads a compact FEC YYYYMMDD date", () => {
    expect(parseDate("20240229")).toBe("2024-02-29");
  });

  it("reads spreadsheet timestamps as their calendar date", () => {
    expect(parseDate("2024-03-01T00:00:00")).toBe("2024-03-01");
    expect(parseDate("2024-03-01 12:30:00")).toBe("2024-03-01");
  });

  it("ignores surrounding blanks", () => {
    expect(parseDate("  2024-02-29 ")).toBe("2024-02-29");
  });

  it("rejects 29 February of a common year", () => {
    expectDateError("2023-02-29");
    expectDateError("29/02/2023");
    expectDateError("20230229");
    expectDateError("1900-02-29");
  });

  it("rejects a day beyond the end of the month", () => {
    expectDateError("31/04/2024");
    expectDateError("2024-04-31");
    expectDateError("2024-02-30");
  });

  it("rejects month 13 and month or day zero", () => {
    expectDateError("2024-13-01");
    expectDateError("2024-00-10");
    expectDateError("00/01/2024");
    expectDateError("2024-01-00");
  });

  it("rejects text that is not a date", () => {
    expectDateError("hello");
    expectDateError("");
    expectDateError("2024-2-29");
    expectDateError("2024/02/29");
    expectDateError("29/02/24");
  });

  it("rejects years outside 1000–9999", () => {
    expectDateError("0999-12-31");
    expectDateError("31/12/0999");
  });

  it("reports the offending input on the error", () => {
    try {
      parseDate("hello");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DateParseError);
      const err = e as DateParseError;
      expect(err.name).toBe("DateParseError");
      expect(err.input).toBe("hello");
      expect(err.message).toContain('"hello"');
    }
  });
});

describe("isIsoDate", () => {
  it("accepts only canonical, existing YYYY-MM-DD dates", () => {
    expect(isIsoDate("2024-02-29")).toBe(true);
    expect(isIsoDate("2023-02-29")).toBe(false);
    expect(isIsoDate("29/02/2024")).toBe(false);
    expect(isIsoDate("20240229")).toBe(false);
    expect(isIsoDate(" 2024-02-29")).toBe(false);
    expect(isIsoDate("2024-02-29T00:00")).toBe(false);
  });
});

describe("isLeapYear and daysInMonth", () => {
  it("applies the Gregorian leap-year rule", () => {
    expect(isLeapYear(2024)).toBe(true);
    expect(isLeapYear(2023)).toBe(false);
    expect(isLeapYear(1900)).toBe(false);
    expect(isLeapYear(2000)).toBe(true);
    expect(isLeapYear(2100)).toBe(false);
  });

  it("knows the length of each month", () => {
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2023, 2)).toBe(28);
    expect(daysInMonth(2024, 1)).toBe(31);
    expect(daysInMonth(2024, 4)).toBe(30);
    expect(daysInMonth(2024, 12)).toBe(31);
  });

  it("answers zero for a month that does not exist", () => {
    expect(daysInMonth(2024, 0)).toBe(0);
    expect(daysInMonth(2024, 13)).toBe(0);
  });
});

describe("day numbers", () => {
  it("counts days from 1970-01-01", () => {
    expect(toDayNumber("1970-01-01")).toBe(0);
    expect(toDayNumber("1970-01-02")).toBe(1);
    expect(toDayNumber("1969-12-31")).toBe(-1);
    expect(toDayNumber("2000-01-01")).toBe(10957); // 30 years × 365 + 7 leap days
    expect(toDayNumber("2024-02-29")).toBe(19782); // 54 × 365 + 13 + 31 + 28
  });

  it("turns a day number back into a date", () => {
    expect(fromDayNumber(0)).toBe("1970-01-01");
    expect(fromDayNumber(-1)).toBe("1969-12-31");
    expect(fromDayNumber(19782)).toBe("2024-02-29");
  });

  it("refuses a day number for a non-ISO date", () => {
    expect(() => toDayNumber("29/02/2024")).toThrow(DateParseError);
  });
});

describe("daysBetween and daysInclusive", () => {
  it("counts signed days from the first date to the second", () => {
    expect(daysBetween("2024-01-01", "2024-01-31")).toBe(30);
    expect(daysBetween("2024-01-31", "2024-01-01")).toBe(-30);
    expect(daysBetween("2024-05-10", "2024-05-10")).toBe(0);
  });

  it("counts 29 February in leap years only", () => {
    expect(daysBetween("2024-01-01", "2025-01-01")).toBe(366);
    expect(daysBetween("2023-01-01", "2024-01-01")).toBe(365);
    expect(daysBetween("2024-02-28", "2024-03-01")).toBe(2);
    expect(daysBetween("2023-02-28", "2023-03-01")).toBe(1);
    expect(daysBetween("2000-02-28", "2000-03-01")).toBe(2);
    expect(daysBetween("1900-02-28", "1900-03-01")).toBe(1);
    // 2020 (366) + 2021 + 2022 (365 each) + 2023 up to 31 Dec (364)
    expect(daysBetween("2023-12-31", "2020-01-01")).toBe(-1460);
  });

  it("is not shifted by daylight-saving changes", () => {
    // Europe: clocks go forward on 31 March 2024 and back on 27 October 2024.
    expect(daysBetween("2024-03-30", "2024-04-01")).toBe(2);
    expect(daysBetween("2024-10-26", "2024-10-28")).toBe(2);
    expect(daysBetween("2024-03-31", "2024-10-27")).toBe(210);
    expect(addDays("2024-03-30", 1)).toBe("2024-03-31");
    expect(addDays("2024-03-31", 1)).toBe("2024-04-01");
    expect(addDays("2024-10-27", 1)).toBe("2024-10-28");
  });

  it("counts both ends of a closed interval", () => {
    expect(daysInclusive("2025-01-01", "2025-01-31")).toBe(31);
    expect(daysInclusive("2025-01-01", "2025-01-01")).toBe(1);
    expect(daysInclusive("2024-02-01", "2024-02-29")).toBe(29);
    expect(daysInclusive("2024-01-01", "2024-12-31")).toBe(366);
  });
});

describe("addDays", () => {
  it("moves across month and year ends", () => {
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2023-02-28", 1)).toBe("2023-03-01");
    expect(addDays("2024-12-31", 1)).toBe("2025-01-01");
    expect(addDays("2025-01-01", -1)).toBe("2024-12-31");
    expect(addDays("2024-01-15", 45)).toBe("2024-02-29");
    expect(addDays("2024-05-10", 0)).toBe("2024-05-10");
  });
});

describe("addMonths", () => {
  it("clamps 31 January to the end of February in a leap year", () => {
    expect(addMonths("2024-01-31", 1)).toBe("2024-02-29");
  });

  it("clamps 31 January to 28 February in a common year", () => {
    expect(addMonths("2023-01-31", 1)).toBe("2023-02-28");
  });

  it("clamps when going back a month", () => {
    expect(addMonths("2024-03-31", -1)).toBe("2024-02-29");
    expect(addMonths("2024-05-31", -1)).toBe("2024-04-30");
  });

  it("keeps the day when it exists in the target month", () => {
    expect(addMonths("2024-01-15", 1)).toBe("2024-02-15");
    expect(addMonths("2024-05-31", 0)).toBe("2024-05-31");
  });

  it("crosses year boundaries both ways", () => {
    expect(addMonths("2024-11-15", 2)).toBe("2025-01-15");
    expect(addMonths("2025-01-15", -2)).toBe("2024-11-15");
    expect(addMonths("2024-01-31", -13)).toBe("2022-12-31");
    expect(addMonths("2024-12-01", -12)).toBe("2023-12-01");
  });

  it("moves 29 February by whole years to a valid date", () => {
    expect(addMonths("2024-02-29", 12)).toBe("2025-02-28");
    expect(addMonths("2024-02-29", 48)).toBe("2028-02-29");
    expect(addMonths("2024-02-29", -12)).toBe("2023-02-28");
  });
});

describe("startOfMonth and endOfMonth", () => {
  it("finds the first day of the month", () => {
    expect(startOfMonth("2024-02-29")).toBe("2024-02-01");
    expect(startOfMonth("2024-02-01")).toBe("2024-02-01");
  });

  it("finds the last day of the month, leap years included", () => {
    expect(endOfMonth("2024-02-10")).toBe("2024-02-29");
    expect(endOfMonth("2023-02-10")).toBe("2023-02-28");
    expect(endOfMonth("2000-02-01")).toBe("2000-02-29");
    expect(endOfMonth("2100-02-01")).toBe("2100-02-28");
    expect(endOfMonth("2024-04-15")).toBe("2024-04-30");
    expect(endOfMonth("2024-12-01")).toBe("2024-12-31");
    expect(endOfMonth("2024-12-31")).toBe("2024-12-31");
  });
});

describe("dayOfWeek", () => {
  it("numbers days from Sunday = 0 to Saturday = 6", () => {
    expect(dayOfWeek("1970-01-01")).toBe(4); // Thursday
    expect(dayOfWeek("2026-11-25")).toBe(3); // Wednesday
    expect(dayOfWeek("2024-02-29")).toBe(4); // Thursday
    expect(dayOfWeek("2024-03-30")).toBe(6); // Saturday
    expect(dayOfWeek("2024-03-31")).toBe(0); // Easter Sunday
    expect(dayOfWeek("2024-04-01")).toBe(1); // Easter Monday
  });

  it("is correct before 1970 (negative day numbers)", () => {
    expect(dayOfWeek("1969-12-31")).toBe(3); // Wednesday
    expect(dayOfWeek("1969-12-28")).toBe(0); // Sunday
  });
});

describe("parts", () => {
  it("splits a date into numbers", () => {
    expect(parts("2024-02-09")).toEqual({ year: 2024, month: 2, day: 9 });
  });

  it("refuses a non-ISO date", () => {
    expect(() => parts("09/02/2024")).toThrow(DateParseError);
  });
});

describe("compareDates, minDate, maxDate", () => {
  it("orders dates chronologically", () => {
    expect(compareDates("2024-01-31", "2024-02-01")).toBe(-1);
    expect(compareDates("2024-02-01", "2024-01-31")).toBe(1);
    expect(compareDates("2024-02-01", "2024-02-01")).toBe(0);
    expect(["2025-01-01", "2023-12-31", "2024-06-15"].sort(compareDates)).toEqual(["2023-12-31", "2024-06-15", "2025-01-01"]);
  });

  it("picks the earlier and the later date", () => {
    expect(minDate("2024-03-01", "2023-12-31")).toBe("2023-12-31");
    expect(maxDate("2024-03-01", "2023-12-31")).toBe("2024-03-01");
    expect(minDate("2024-03-01", "2024-03-01")).toBe("2024-03-01");
  });
});

describe("today", () => {
  it("gives the Paris date when it is already tomorrow in Paris (summer, UTC+2)", () => {
    const now = new Date("2026-06-30T22:30:00Z");
    expect(today("Europe/Paris", now)).toBe("2026-07-01");
    expect(today("UTC", now)).toBe("2026-06-30");
  });

  it("gives the Paris date one second before local midnight", () => {
    expect(today("Europe/Paris", new Date("2026-06-30T21:59:59Z"))).toBe("2026-06-30");
  });

  it("uses the winter offset (UTC+1) in January", () => {
    expect(today("Europe/Paris", new Date("2026-01-31T22:59:59Z"))).toBe("2026-01-31");
    expect(today("Europe/Paris", new Date("2026-01-31T23:00:00Z"))).toBe("2026-02-01");
  });

  it("defaults to Europe/Paris", () => {
    expect(today(undefined, new Date("2026-06-30T22:30:00Z"))).toBe("2026-07-01");
  });

  it("gives an earlier date west of UTC", () => {
    expect(today("America/New_York", new Date("2026-07-01T03:00:00Z"))).toBe("2026-06-30");
  });

  it("returns a valid ISO date for the real clock", () => {
    expect(isIsoDate(today())).toBe(true);
  });
});

describe("date properties", () => {
  it("reads back any valid date in its ISO, French and FEC forms", () => {
    fc.assert(
      fc.property(isoDate(), ({ year, month, day, iso }) => {
        expect(parseDate(iso)).toBe(iso);
        expect(parseDate(`${pad(day)}/${pad(month)}/${pad(year, 4)}`)).toBe(iso);
        expect(parseDate(`${pad(year, 4)}${pad(month)}${pad(day)}`)).toBe(iso);
        expect(isIsoDate(iso)).toBe(true);
        expect(parts(iso)).toEqual({ year, month, day });
      }),
    );
  });

  it("round-trips day numbers", () => {
    fc.assert(
      fc.property(isoDate(), ({ iso }) => {
        expect(fromDayNumber(toDayNumber(iso))).toBe(iso);
      }),
    );
  });

  it("undoes addDays with the opposite number of days", () => {
    fc.assert(
      fc.property(isoDate(1100, 9900), fc.integer({ min: -30000, max: 30000 }), ({ iso }, n) => {
        expect(addDays(addDays(iso, n), -n)).toBe(iso);
      }),
    );
  });

  it("measures back the days it added", () => {
    fc.assert(
      fc.property(isoDate(1100, 9900), fc.integer({ min: -30000, max: 30000 }), ({ iso }, n) => {
        const later = addDays(iso, n);
        expect(isIsoDate(later)).toBe(true);
        expect(daysBetween(iso, later)).toBe(n);
        expect(daysBetween(later, iso)).toBe(0 - n); // 0 - 0 is +0, unlike -0
      }),
    );
  });

  it("agrees with the platform calendar on the day of the week", () => {
    fc.assert(
      fc.property(isoDate(), ({ year, month, day, iso }) => {
        const d = new Date(0);
        d.setUTCFullYear(year, month - 1, day);
        expect(dayOfWeek(iso)).toBe(d.getUTCDay());
      }),
    );
  });

  it("moves by whole months to a valid date whose day never exceeds the original", () => {
    fc.assert(
      fc.property(isoDate(1100, 9900), fc.integer({ min: -1000, max: 1000 }), ({ year, month, day, iso }, n) => {
        const result = addMonths(iso, n);
        expect(isIsoDate(result)).toBe(true);
        const r = parts(result);
        expect(r.day).toBeLessThanOrEqual(day);
        expect(r.year * 12 + r.month - (year * 12 + month)).toBe(n);
        // Clamped only when the original day does not exist in the target month.
        expect(r.day).toBe(Math.min(day, platformDaysInMonth(r.year, r.month)));
      }),
    );
  });

  it("keeps the month's first and last day around any date", () => {
    fc.assert(
      fc.property(isoDate(), ({ year, month, iso }) => {
        const first = startOfMonth(iso);
        const last = endOfMonth(iso);
        expect(first <= iso && iso <= last).toBe(true);
        expect(daysInclusive(first, last)).toBe(platformDaysInMonth(year, month));
        expect(daysInMonth(year, month)).toBe(platformDaysInMonth(year, month));
      }),
    );
  });
});
