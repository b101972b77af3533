import { describe, expect, it } from "vitest";
import {
  dueDateFromTerms,
  isSiren,
  kindAndSign,
  paidAndDue,
  profileOf,
  ReadContext,
  readAmount,
  readCiiDate,
  readIsoDate,
  sirenFromId,
  sirenFromVat,
} from "./common.js";

describe("readAmount", () => {
  it("reads xsd:decimal amounts into cents, trailing zero decimals included", () => {
    const ctx = new ReadContext("t");
    expect(readAmount(ctx, "123.45000", "f")).toBe(12345);
    expect(readAmount(ctx, "-8.79", "f")).toBe(-879);
    expect(readAmount(ctx, "+0.10", "f")).toBe(10);
    expect(readAmount(ctx, "10000", "f")).toBe(1000000);
    expect(readAmount(ctx, "5.", "f")).toBe(500);
    expect(readAmount(ctx, ".5", "f")).toBe(50);
    expect(readAmount(ctx, "-0.00", "f")).toBe(0);
    expect(readAmount(ctx, null, "f")).toBeNull();
    expect(ctx.warnings).toEqual([]);
    expect(ctx.problems).toEqual([]);
  });

  it("rounds more than two significant decimals half away from zero and warns", () => {
    const ctx = new ReadContext("t");
    expect(readAmount(ctx, "10.125", "BT-112 GrandTotalAmount")).toBe(1013);
    expect(readAmount(ctx, "10.1249", "f")).toBe(1012);
    expect(readAmount(ctx, "-10.125", "f")).toBe(-1013);
    expect(readAmount(ctx, "0.999", "f")).toBe(100);
    expect(ctx.warnings[0]).toBe("BT-112 GrandTotalAmount: 10.125 has more than two decimals; rounded to 10.13");
    expect(ctx.problems).toEqual([]);
  });

  it("records a problem for text that is not a decimal", () => {
    const ctx = new ReadContext("t");
    expect(readAmount(ctx, "1,234.56", "BT-112 GrandTotalAmount")).toBeNull();
    expect(readAmount(ctx, "abc", "f")).toBeNull();
    expect(readAmount(ctx, "-", "f")).toBeNull();
    expect(ctx.problems.map((p) => p.field)).toEqual(["BT-112 GrandTotalAmount", "f", "f"]);
    expect(() => ctx.check()).toThrow(/invalid e-invoice t: 3 problems/);
  });
});

describe("dates", () => {
  it("reads CII format 102 and refuses other formats and impossible days", () => {
    const ctx = new ReadContext("t");
    expect(readCiiDate(ctx, "20171113", "102", "BT-2")).toBe("2017-11-13");
    expect(readCiiDate(ctx, "20240229", null, "BT-2")).toBe("2024-02-29");
    expect(readCiiDate(ctx, "20141008", "1020", "BT-2")).toBeNull();
    expect(readCiiDate(ctx, "20230229", "102", "BT-2")).toBeNull();
    expect(readCiiDate(ctx, "13/11/2017", "102", "BT-2")).toBeNull();
    expect(ctx.problems).toHaveLength(3);
    expect(ctx.problems[0]?.message).toMatch(/format "1020" is not supported/);
  });

  it("reads UBL dates with or without a time zone", () => {
    const ctx = new ReadContext("t");
    expect(readIsoDate(ctx, "2019-09-23", "BT-2")).toBe("2019-09-23");
    expect(readIsoDate(ctx, "2019-09-23+02:00", "BT-2")).toBe("2019-09-23");
    expect(readIsoDate(ctx, "23.09.2019", "BT-2")).toBeNull();
    expect(ctx.problems).toHaveLength(1);
  });
});

describe("kindAndSign", () => {
  it("stores a 381 credit note negative and a 380 invoice positive", () => {
    expect(kindAndSign(new ReadContext("t"), "381", 23347)).toEqual({ kind: "credit_note", sign: -1 });
    expect(kindAndSign(new ReadContext("t"), "380", 23347)).toEqual({ kind: "invoice", sign: 1 });
  });

  it("reads 384 corrective and 389 self-billed invoices as invoices", () => {
    expect(kindAndSign(new ReadContext("t"), "384", 100).kind).toBe("invoice");
    expect(kindAndSign(new ReadContext("t"), "389", 100).kind).toBe("invoice");
  });

  it("records a negative invoice as a credit note keeping its negative amounts, with a warning", () => {
    const ctx = new ReadContext("t");
    expect(kindAndSign(ctx, "380", -23347)).toEqual({ kind: "credit_note", sign: 1 });
    expect(ctx.warnings[0]).toMatch(/negative total: recorded as a credit note/);
  });

  it("records a credit note with a negative total as an invoice, amounts negated to positive", () => {
    const ctx = new ReadContext("t");
    expect(kindAndSign(ctx, "381", -500)).toEqual({ kind: "invoice", sign: -1 });
    expect(ctx.warnings).toHaveLength(1);
  });

  it("keeps the type code's kind for a zero total and warns on unknown codes", () => {
    expect(kindAndSign(new ReadContext("t"), "381", 0).kind).toBe("credit_note");
    const ctx = new ReadContext("t");
    expect(kindAndSign(ctx, "999", 100).kind).toBe("invoice");
    expect(ctx.warnings[0]).toMatch(/not an EN 16931/);
  });
});

describe("paidAndDue", () => {
  it("uses BT-113 when given", () => {
    expect(paidAndDue(new ReadContext("t"), 1, 6474, 5000, 1474, null)).toEqual({ paid: 5000, due: 1474 });
  });

  it("derives the prepaid amount from BT-115 when BT-113 is absent (MINIMUM) and warns", () => {
    const ctx = new ReadContext("t");
    expect(paidAndDue(ctx, 1, 67115, null, 47015, null)).toEqual({ paid: 20100, due: 47015 });
    expect(ctx.warnings[0]).toMatch(/201\.00 taken as already paid/);
  });

  it("signs paid and due like the total for a credit note", () => {
    expect(paidAndDue(new ReadContext("t"), -1, 1083500, 83490, 1000000, -10)).toEqual({ paid: -83490, due: -1000000 });
  });

  it("gives 0 paid and no due when the file has neither", () => {
    expect(paidAndDue(new ReadContext("t"), 1, 23562, null, null, null)).toEqual({ paid: 0, due: null });
  });
});

describe("buyer identifiers", () => {
  it("checks SIREN with Luhn", () => {
    expect(isSiren("123456782")).toBe(true);
    expect(isSiren("123456789")).toBe(false);
    expect(isSiren("12345678")).toBe(false);
  });

  it("takes the SIREN from a 0002 SIREN or SIRET, and without scheme only for a French buyer", () => {
    expect(sirenFromId("78787878400035", "0002", null)).toBe("787878784");
    expect(sirenFromId("787 878 784", "0002", "DE")).toBe("787878784");
    expect(sirenFromId("123456782", null, "FR")).toBe("123456782");
    expect(sirenFromId("123456782", null, "NO")).toBeNull();
    expect(sirenFromId("9876543210", "0007", "SE")).toBeNull();
  });

  it("takes the SIREN from a French VAT number only when its key is right", () => {
    // key = (12 + 3 × (123456782 mod 97)) mod 97 = 11
    expect(sirenFromVat("FR11123456782")).toBe("123456782");
    expect(sirenFromVat("FR12123456782")).toBeNull();
    expect(sirenFromVat("DE136695976")).toBeNull();
  });
});

describe("profileOf", () => {
  it("reads both forms of Factur-X profile ids and the ZUGFeRD 1.0 ones", () => {
    expect(profileOf("urn:factur-x.eu:1p0:minimum")).toBe("MINIMUM");
    expect(profileOf("urn:factur-x.eu:1p0:basicwl")).toBe("BASIC WL");
    expect(profileOf("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic")).toBe("BASIC");
    expect(profileOf("urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic")).toBe("BASIC");
    expect(profileOf("urn:cen.eu:en16931:2017")).toBe("EN16931");
    expect(profileOf("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended")).toBe("EXTENDED");
    expect(profileOf("urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:extended")).toBe("EXTENDED");
    expect(profileOf("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0")).toBe("XRECHNUNG");
    expect(profileOf("urn:ferd:CrossIndustryDocument:invoice:1p0:comfort")).toBe("COMFORT");
    expect(profileOf("urn:ferd:CrossIndustryDocument:invoice:1p0:komfort")).toBe("COMFORT");
    expect(profileOf("urn:ferd:CrossIndustryDocument:invoice:1p0:basic")).toBe("BASIC");
  });
});

describe("dueDateFromTerms", () => {
  it("reads only unambiguous net terms, end of month and on receipt", () => {
    expect(dueDateFromTerms("PAIEMENT 30 JOURS NET", "2017-11-13")).toBe("2017-12-13");
    expect(dueDateFromTerms("30 dagar netto. Dröjsmålsränta:12 %", "2018-02-10")).toBe("2018-03-12");
    expect(dueDateFromTerms("Zahlbar innerhalb 30 Tagen netto bis 04.04.2018, 3% Skonto innerhalb 10 Tagen", "2018-03-05")).toBe(
      "2018-04-04",
    );
    expect(dueDateFromTerms("45 jours fin de mois", "2024-01-20")).toBe("2024-03-31");
    expect(dueDateFromTerms("Paiement à réception", "2024-01-20")).toBe("2024-01-20");
    expect(dueDateFromTerms("2 % discount if paid within 2 days", "2024-01-20")).toBeNull();
    expect(dueDateFromTerms("Payment within 30 days", "2024-01-20")).toBe("2024-02-19");
    expect(dueDateFromTerms("Bei Zahlung innerhalb 14 Tagen gewähren wir 2,0% Skonto.", "2024-01-20")).toBeNull();
    expect(dueDateFromTerms("Pas d'escompte pour paiement comptant", "2024-01-20")).toBeNull();
    expect(dueDateFromTerms(null, "2024-01-20")).toBeNull();
  });
});
