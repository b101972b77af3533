import { describe, expect, it } from "vitest";
import { easterSunday, frenchHolidays, isBusinessDay, nextBusinessDay } from "./business-days.js";

describe("Easter and French public holidays", () => {
  it("computes Easter Sunday 2024–2027 as published", () => {
    expect(easterSunday(2024)).toBe("2024-03-31");
    expect(easterSunday(2025)).toBe("2025-04-20");
    expect(easterSunday(2026)).toBe("2026-04-05");
    expect(easterSunday(2027)).toBe("2027-03-28");
    // Extremes of the Gregorian range of dates (22 March … 25 April).
    expect(easterSunday(2285)).toBe("2285-03-22");
    expect(easterSunday(2038)).toBe("2038-04-25");
  });

  it("lists the eleven holidays with Easter Monday, Ascension and Whit Monday for 2024–2027", () => {
    const movable = (y: number) =>
      frenchHolidays(y)
        .filter((h) => ["Easter Monday", "Ascension Day", "Whit Monday"].includes(h.name.en))
        .map((h) => h.date);
    expect(movable(2024)).toEqual(["2024-04-01", "2024-05-09", "2024-05-20"]);
    expect(movable(2025)).toEqual(["2025-04-21", "2025-05-29", "2025-06-09"]);
    expect(movable(2026)).toEqual(["2026-04-06", "2026-05-14", "2026-05-25"]);
    expect(movable(2027)).toEqual(["2027-03-29", "2027-05-06", "2027-05-17"]);
    expect(frenchHolidays(2026)).toHaveLength(11);
    expect(frenchHolidays(2026).map((h) => h.date)).toContain("2026-07-14");
    expect(frenchHolidays(2026, { alsaceMoselle: true }).map((h) => h.date)).toEqual(expect.arrayContaining(["2026-04-03", "2026-12-26"]));
  });
});

describe("business days", () => {
  it("treats weekends and holidays as closed, other weekdays as open", () => {
    expect(isBusinessDay("2026-03-02")).toBe(true); // Monday
    expect(isBusinessDay("2026-03-07")).toBe(false); // Saturday
    expect(isBusinessDay("2026-03-08")).toBe(false); // Sunday
    expect(isBusinessDay("2026-05-01")).toBe(false); // Friday, Labour Day
    expect(isBusinessDay("2026-03-03", { extra: ["2026-03-03"] })).toBe(false);
  });

  it("moves a Saturday to Monday, and a Saturday before Easter Monday to Tuesday", () => {
    expect(nextBusinessDay("2026-03-07")).toBe("2026-03-09");
    expect(nextBusinessDay("2026-04-04")).toBe("2026-04-07");
    expect(nextBusinessDay("2026-03-09")).toBe("2026-03-09");
  });

  it("crosses the year boundary: Saturday 1 Jan 2028 → Monday 3 Jan; Friday 1 Jan 2027 → Monday 4 Jan", () => {
    expect(nextBusinessDay("2027-12-31")).toBe("2027-12-31"); // Friday, open
    expect(nextBusinessDay("2028-01-01")).toBe("2028-01-03");
    expect(nextBusinessDay("2027-01-01")).toBe("2027-01-04");
    expect(nextBusinessDay("2026-12-25")).toBe("2026-12-28"); // Christmas Friday → Monday
  });

  it("skips Ascension Thursday and the weekend after a Friday holiday", () => {
    expect(nextBusinessDay("2026-05-14")).toBe("2026-05-15");
    expect(nextBusinessDay("2026-05-08")).toBe("2026-05-11"); // Friday 8 May → Monday
    expect(nextBusinessDay("2026-05-23")).toBe("2026-05-26"); // Saturday before Whit Monday → Tuesday
  });
});
