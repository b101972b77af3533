import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CertainMatch,
  type MatchCustomer,
  type MatchDocument,
  type MatchPayment,
  type MatchResult,
  matchPayments,
  normaliseCompanyName,
  sameCompanyName,
  subsetsSummingTo,
  type Unmatched,
} from "./matching.js";
import { formatRf, rfForDocument } from "./rf-reference.js";

const DUPONT_IBAN = "FR7610107001010012345678943";

const customers: MatchCustomer[] = [
  { id: 1, ref: "DUP", name: "Dupont SARL", ibans: [DUPONT_IBAN] },
  { id: 2, ref: "MAR", name: "Martin & Fils SAS" },
  { id: 3, ref: "DUR", name: "Durand" },
  { id: 4, ref: "LEB", name: "Établissements Lebrun" },
];

const doc = (
  id: number,
  customerId: number,
  number: string,
  dueDate: string,
  outstanding: number,
  extra: Partial<MatchDocument> = {},
): MatchDocument => ({
  id,
  customerId,
  number,
  kind: "invoice",
  currency: "EUR",
  issueDate: "2024-01-01",
  dueDate,
  outstanding,
  ...extra,
});

const docs: MatchDocument[] = [
  doc(1, 1, "FA-2024-0001", "2024-01-31", 100_000),
  doc(2, 1, "FA-2024-0002", "2024-02-29", 50_000),
  doc(3, 1, "FA-2024-0003", "2024-03-31", 25_000),
  doc(4, 2, "FA-2024-0004", "2024-02-15", 50_000),
  doc(5, 2, "FA-2024-0005", "2024-03-15", 50_000),
  doc(6, 3, "FA-2024-0006", "2024-01-15", 0),
  doc(7, 3, "42", "2024-04-30", 4_200),
  doc(8, 3, "123456", "2024-04-30", 9_900),
];

let n = 0;
const pay = (p: Partial<MatchPayment>): MatchPayment => ({
  key: `p${++n}`,
  date: "2024-04-02",
  amount: 10_000,
  currency: "EUR",
  reference: null,
  structuredReference: null,
  payerName: null,
  payerIban: null,
  ...p,
});

const one = (p: Partial<MatchPayment>, documents = docs, extraCustomers = customers): MatchResult => {
  const [r] = matchPayments([pay(p)], documents, extraCustomers, { orgId: 1 });
  if (!r) throw new Error("no result");
  return r;
};
const matched = (r: MatchResult) => {
  expect(r.status).toBe("matched");
  return r as CertainMatch;
};
const unmatched = (r: MatchResult) => {
  expect(r.status).toBe("unmatched");
  return r as Unmatched;
};
const codes = (r: MatchResult) => r.reasons.map((x) => x.code);

describe("payment matching: RF references", () => {
  it("allocates to the document whose Relance RF reference is given (structured or in the text)", () => {
    const rf = rfForDocument(1, "FA-2024-0003");
    for (const p of [{ structuredReference: rf }, { reference: `Paiement ${formatRf(rf)} merci` }]) {
      const r = matched(one({ ...p, amount: 25_000 }));
      expect(r).toMatchObject({
        rule: "rf",
        confidence: "certain",
        customerId: 1,
        allocations: [{ documentId: 3, amount: 25_000 }],
        unallocated: 0,
      });
    }
  });

  it("does not allocate a payment whose RF points at a paid document", () => {
    const r = unmatched(one({ structuredReference: rfForDocument(1, "FA-2024-0006"), amount: 5_000 }));
    expect(r.customerId).toBe(3);
    expect(codes(r)).toContain("rf_paid");
    expect("allocations" in r).toBe(false);
  });

  it("ignores an RF reference Relance did not issue and goes on with the next rules", () => {
    const r = matched(one({ structuredReference: "RF18539007547034", payerIban: DUPONT_IBAN, amount: 50_000 }));
    expect(r.rule).toBe("exact_amount");
    expect(codes(r)).toContain("rf_unknown");
  });

  it("only suggests when one RF reference belongs to two documents", () => {
    const twins = [doc(10, 1, "FA-1", "2024-01-01", 1_000), doc(11, 1, "FA1", "2024-02-01", 1_000)];
    const r = unmatched(one({ structuredReference: rfForDocument(1, "FA1"), amount: 1_000 }, twins));
    expect(codes(r)).toContain("rf_ambiguous");
    expect(r.suggestions.map((s) => s.documentIds)).toEqual([[10], [11]]);
  });
});

describe("payment matching: invoice numbers in the remittance", () => {
  it("finds a number written with other spaces, case and dashes", () => {
    const r = matched(one({ reference: "Règlement fact. fa 2024-0002 du 01/03", amount: 50_000 }));
    expect(r).toMatchObject({ rule: "invoice_number", customerId: 1, allocations: [{ documentId: 2, amount: 50_000 }] });
  });

  it("allocates several named invoices up to what each owes, oldest first", () => {
    const r = matched(one({ reference: "FA-2024-0002 + FA-2024-0001", amount: 120_000 }));
    expect(r.allocations).toEqual([
      { documentId: 1, amount: 100_000 },
      { documentId: 2, amount: 20_000 },
    ]);
  });

  it("never allocates more than the invoice owes: the rest is unallocated", () => {
    const r = matched(one({ reference: "FA-2024-0003", amount: 30_000 }));
    expect(r.allocations).toEqual([{ documentId: 3, amount: 25_000 }]);
    expect(r.unallocated).toBe(5_000);
    expect(codes(r)).toContain("overpayment");
  });

  it("accepts glued separators and dropped leading zeros, not a longer number", () => {
    expect(matched(one({ reference: "FA20240003", amount: 25_000 })).allocations[0]?.documentId).toBe(3);
    expect(matched(one({ reference: "FA-2024-3", amount: 25_000 })).allocations[0]?.documentId).toBe(3);
    const r = one({ reference: "FA-2024-00031 / XFA-2024-0003", amount: 25_000 });
    expect(r.status).toBe("unmatched");
  });

  it("does not read an amount or a quantity as an invoice number", () => {
    expect(unmatched(one({ reference: "montant 1234.56 pour 42 articles", amount: 9_900 })).status).toBe("unmatched");
    expect(matched(one({ reference: "facture n° 42", amount: 4_200 })).allocations).toEqual([{ documentId: 7, amount: 4_200 }]);
    expect(matched(one({ reference: "ref #42", amount: 4_200 })).allocations).toEqual([{ documentId: 7, amount: 4_200 }]);
    expect(matched(one({ reference: "paiement 123456", amount: 9_900 })).allocations).toEqual([{ documentId: 8, amount: 9_900 }]);
  });

  it("takes invoice numbers given by the file, even short ones", () => {
    expect(matched(one({ invoiceNumbers: ["42"], amount: 4_200 })).rule).toBe("invoice_number");
  });

  it("prefers the exact spelling when dropping zeros would name two documents", () => {
    const pair = [doc(20, 1, "F-42", "2024-01-01", 1_000), doc(21, 1, "F-0042", "2024-01-01", 1_000)];
    expect(matched(one({ reference: "F-0042", amount: 1_000 }, pair)).allocations[0]?.documentId).toBe(21);
    const r = unmatched(one({ reference: "F-042", amount: 1_000 }, pair));
    expect(codes(r)).toContain("invoice_number_ambiguous");
  });

  it("only suggests when the invoices named belong to two customers", () => {
    const r = unmatched(one({ reference: "FA-2024-0001 FA-2024-0004", amount: 150_000 }));
    expect(codes(r)).toContain("invoice_number_several_customers");
    expect(r.suggestions.map((s) => s.documentIds[0])).toEqual(expect.arrayContaining([1, 4]));
  });

  it("does not pay a document twice within one batch", () => {
    const results = matchPayments(
      [pay({ reference: "FA-2024-0003", amount: 25_000 }), pay({ reference: "FA-2024-0003", amount: 25_000, date: "2024-04-03" })],
      docs,
      customers,
    );
    expect(results[0]?.status).toBe("matched");
    expect(unmatched(results[1] as MatchResult).reasons.map((x) => x.code)).toContain("invoice_number_paid");
  });

  it("does not allocate across currencies", () => {
    const r = unmatched(one({ reference: "FA-2024-0001", amount: 100_000, currency: "USD" }));
    expect(codes(r)).toContain("currency_mismatch");
  });
});

describe("payment matching: identified customer", () => {
  it("exact amount of one open invoice of the customer known by IBAN", () => {
    const r = matched(one({ payerIban: "FR76 1010 7001 0100 1234 5678 943", reference: "VIR SEPA", amount: 50_000 }));
    expect(r).toMatchObject({ rule: "exact_amount", customerId: 1, allocations: [{ documentId: 2, amount: 50_000 }] });
    expect(codes(r)).toContain("customer_by_iban");
  });

  it("two invoices of the same amount: suggestions, not a certain match", () => {
    const r = unmatched(one({ payerName: "SAS MARTIN & FILS", amount: 50_000 }));
    expect(r.customerId).toBe(2);
    expect(codes(r)).toContain("exact_amount_ambiguous");
    expect(r.suggestions.slice(0, 2).map((s) => s.documentIds)).toEqual([[4], [5]]);
  });

  it("exact sum of several invoices of the customer", () => {
    const r = matched(one({ payerIban: DUPONT_IBAN, amount: 75_000 }));
    expect(r.rule).toBe("exact_sum");
    expect(r.allocations).toEqual([
      { documentId: 2, amount: 50_000 },
      { documentId: 3, amount: 25_000 },
    ]);
  });

  it("two different sets owing the amount: suggestions only", () => {
    const set = [
      doc(30, 4, "L1", "2024-01-01", 10_000),
      doc(31, 4, "L2", "2024-01-02", 20_000),
      doc(32, 4, "L3", "2024-01-03", 15_000),
      doc(33, 4, "L4", "2024-01-04", 15_000),
    ];
    const r = unmatched(one({ payerName: "LEBRUN", amount: 30_000, reference: "Facture" }, set));
    expect(codes(r)).toContain("exact_sum_ambiguous");
    expect(r.suggestions.slice(0, 2).map((s) => s.documentIds)).toEqual(
      expect.arrayContaining([
        [30, 31],
        [32, 33],
      ]),
    );
    expect(r.suggestions[0]?.reasons[0]?.code).toBe("exact_sum_ambiguous");
  });

  it("partial payment oldest first when the customer is certain and the remittance names no invoice", () => {
    const r = matched(one({ payerIban: DUPONT_IBAN, reference: "VIREMENT DUPONT", amount: 120_000 }));
    expect(r.rule).toBe("oldest_first");
    expect(r.allocations).toEqual([
      { documentId: 1, amount: 100_000 },
      { documentId: 2, amount: 20_000 },
    ]);
  });

  it("no oldest-first allocation when the remittance names an invoice that is not open here", () => {
    const r = unmatched(one({ payerIban: DUPONT_IBAN, reference: "Facture FA-2023-0999", amount: 120_000 }));
    expect(r.customerId).toBe(1);
    expect(codes(r)).toContain("invoice_reference_unknown");
    expect(r.suggestions.length).toBeGreaterThan(0);
  });

  it("payer unknown: suggestions by amount across customers", () => {
    const r = unmatched(one({ payerName: "Inconnu", reference: "virement", amount: 50_000 }));
    expect(r.customerId).toBeNull();
    expect(codes(r)).toContain("customer_unknown");
    // Oldest due date first: FA-2024-0004 (15/02), FA-2024-0002 (29/02), FA-2024-0005 (15/03).
    expect(r.suggestions.map((s) => [s.customerId, s.documentIds[0]])).toEqual([
      [2, 4],
      [1, 2],
      [2, 5],
    ]);
    expect(r.suggestions.every((s) => s.reasons[0]?.code === "same_amount")).toBe(true);
  });

  it("an IBAN known for two customers identifies none", () => {
    const shared = [...customers.slice(0, 1), { id: 9, name: "Dupont Holding", ibans: [DUPONT_IBAN] }];
    const r = unmatched(one({ payerIban: DUPONT_IBAN, amount: 50_000 }, docs, shared));
    expect(r.customerId).toBeNull();
    expect(codes(r)).toContain("customer_ambiguous");
  });
});

describe("company names", () => {
  it("ignores legal forms, accents, case, punctuation and word order", () => {
    expect(normaliseCompanyName("Société Générale S.A.")).toBe("GENERALE");
    expect(normaliseCompanyName("S.A.R.L. Dupont & Fils")).toBe("DUPONT FILS");
    expect(sameCompanyName("DUPONT SARL", "Sarl Dupont")).toBe(true);
    expect(sameCompanyName("Établissements Lebrun", "LEBRUN")).toBe(true);
    expect(sameCompanyName("Boulangerie Martin", "Martin Boulangerie")).toBe(true);
    expect(sameCompanyName("TRANSPORTS DUPONT ET FIL", "Transports Dupont et Fils Logistique")).toBe(true); // truncated by the bank
    expect(sameCompanyName("Dupont", "Dupond")).toBe(false);
    expect(sameCompanyName("SARL", "SAS")).toBe(false);
  });
});

describe("subset sums", () => {
  it("finds every set up to the limit", () => {
    expect(
      subsetsSummingTo([1, 2, 3, 4], 5, 10)
        .map((s) => s.sort())
        .sort(),
    ).toEqual([
      [0, 3],
      [1, 2],
    ]);
    expect(subsetsSummingTo([5, 5, 5], 10, 2)).toHaveLength(2);
    expect(subsetsSummingTo([7], 3)).toEqual([]);
  });
});

describe("payment matching: invariants", () => {
  it("a certain match never allocates more than the payment nor more than a document owes", () => {
    const docArb = fc.record({
      customerId: fc.integer({ min: 1, max: 3 }),
      outstanding: fc.oneof(fc.integer({ min: -5_000, max: 200_000 }), fc.constantFrom(10_000, 20_000, 30_000)),
      due: fc.integer({ min: 1, max: 28 }),
      currency: fc.constantFrom("EUR", "EUR", "USD"),
      kind: fc.constantFrom("invoice", "invoice", "credit_note"),
    });
    const payArb = fc.record({
      amount: fc.oneof(fc.integer({ min: 1, max: 300_000 }), fc.constantFrom(10_000, 20_000, 30_000, 40_000)),
      customer: fc.integer({ min: 0, max: 3 }),
      named: fc.array(fc.nat(9), { maxLength: 3 }),
      rf: fc.option(fc.nat(9)),
      currency: fc.constantFrom("EUR", "EUR", "USD"),
    });
    fc.assert(
      fc.property(fc.array(docArb, { minLength: 1, maxLength: 10 }), fc.array(payArb, { minLength: 1, maxLength: 6 }), (ds, ps) => {
        const documents = ds.map((d, i) =>
          doc(
            i + 1,
            d.customerId,
            `INV-${1000 + i}`,
            `2024-02-${String(d.due).padStart(2, "0")}`,
            d.kind === "credit_note" ? -Math.abs(d.outstanding) : d.outstanding,
            {
              currency: d.currency,
              kind: d.kind as "invoice" | "credit_note",
            },
          ),
        );
        const cs: MatchCustomer[] = [1, 2, 3].map((id) => ({ id, name: `Client ${id}`, ibans: [`FR76000000000000000000000${id}`] }));
        const payments = ps.map((p, i) =>
          pay({
            key: `k${i}`,
            amount: p.amount,
            currency: p.currency,
            payerIban: p.customer > 0 ? `FR76000000000000000000000${p.customer}` : null,
            reference: p.named.map((k) => `INV-${1000 + k}`).join(" ") || null,
            structuredReference: p.rf !== null ? rfForDocument(7, `INV-${1000 + p.rf}`) : null,
          }),
        );
        const results = matchPayments(payments, documents, cs, { orgId: 7 });
        expect(results.map((r) => r.paymentKey)).toEqual(payments.map((p) => p.key));
        const perDoc = new Map<number, number>();
        results.forEach((r, i) => {
          const p = payments[i] as MatchPayment;
          if (r.status === "unmatched") {
            expect("allocations" in r).toBe(false);
            return;
          }
          const total = r.allocations.reduce((s, a) => s + a.amount, 0);
          expect(total).toBeLessThanOrEqual(p.amount);
          expect(total + r.unallocated).toBe(p.amount);
          for (const a of r.allocations) {
            expect(a.amount).toBeGreaterThan(0);
            const d = documents.find((x) => x.id === a.documentId) as MatchDocument;
            expect(d.currency).toBe(p.currency);
            expect(d.customerId).toBe(r.customerId);
            perDoc.set(d.id as number, (perDoc.get(d.id as number) ?? 0) + a.amount);
          }
        });
        for (const [id, sum] of perDoc) {
          const d = documents.find((x) => x.id === id) as MatchDocument;
          expect(sum).toBeLessThanOrEqual(Math.max(0, d.outstanding));
        }
      }),
      { numRuns: 300 },
    );
  });
});
