import { rm } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { App } from "../../src/api/app.js";
import { smtpTransport } from "../../src/dunning/transport.js";
import { runDunning } from "../../src/services/run-dunning.js";
import { BACKENDS, openTestDb, type TestDb } from "../helpers/db.js";
import { loginCookie, makeApp, makeInvoice, makeMember } from "../helpers/factories.js";
import { chaseOrg, customer, outboxRows, pay, startSmtp, type TestSmtp, tempDir } from "./helpers.js";
import { pdfText } from "./pdf-text.js";

const NNBSP = "\u202f";
const NBSP = "\u00a0";
/** "5 617,39 €" as formatMoney writes it (narrow no-break space for thousands, no-break space before €). */
const fr = (s: string) => s.replaceAll(" ", NNBSP).replace(`${NNBSP}€`, `${NBSP}€`);

describe.each(BACKENDS)("late-payment penalties in reminders on %s", (backend) => {
  let t: TestDb;
  let smtp: TestSmtp;
  let files: string;
  let app: App | undefined;
  beforeEach(async () => {
    smtp = await startSmtp();
    files = await tempDir();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await smtp.close();
    await t?.dispose();
    await rm(files, { recursive: true, force: true });
  });

  async function run(actor: Parameters<typeof runDunning>[1], asOf: string) {
    const transport = smtpTransport(smtp.url);
    try {
      return await runDunning(t.store, actor, { asOf, transport, filesDir: files });
    } finally {
      transport.close();
    }
  }

  it("charges interest on what was unpaid each day: parts paid or written off late carry it up to their date", async () => {
    t = await openTestDb(backend);
    const o = await chaseOrg(t.store);
    const c = await customer(t.store, o.org.id, "C-PART", { name: "Menuiserie Roux SARL", address: "3 quai Perrache\n69002 Lyon" });
    const f1 = await makeInvoice(t.store, o.org.id, c.id, "F-1", 1_000_000, "2026-01-31", "2026-03-02");
    const f2 = await makeInvoice(t.store, o.org.id, c.id, "F-2", 300_000, "2026-01-31", "2026-03-02");
    await pay(t.store, o.org.id, c.id, f1.id, 400_000, "2026-03-16");
    await t.store.db
      .insertInto("write_offs")
      .values({ org_id: o.org.id, document_id: f1.id, date: "2026-03-25", amount: 50_000, reason: "remise commerciale" })
      .execute();
    // F-2 was paid in full, 18 days late: it owes interest and 40 € too, but a reminder lists only what is open.
    await pay(t.store, o.org.id, c.id, f2.id, 300_000, "2026-03-20");

    const { result } = await run(o.owner, "2026-04-01"); // due + 30: the formal notice
    expect(result.messages.map((m) => [m.step, m.channel, m.documents])).toEqual([
      ["Mise en demeure (e-mail)", "email", ["F-1"]],
      ["Mise en demeure (courrier)", "letter", ["F-1"]],
    ]);
    // F-1: 10 000 € due 2 March 2026 at 12.15 %:
    //   3–16 March   14 days × 10 000 € = 14 000 000 cent-days (4 000 € paid 16 March)
    //   17–25 March   9 days ×  6 000 € =  5 400 000 (500 € written off 25 March)
    //   26 March–1 April 7 days × 5 500 € = 3 850 000
    //   23 250 000 × 1215 / 3 650 000 = 7 739.38 cents → 77.39 €
    // (on the 5 500 € still owed alone, 30 days would give 54.92 €). Claimed: 5 500 + 77.39 + 40 = 5 617.39 €.
    const mail = smtp.messages[0];
    expect(mail?.subject).toBe(`Mise en demeure de payer — Menuiserie Roux SARL — ${fr("5 617,39 €")}`);
    expect(mail?.text).toContain(
      `- Facture F-1 du 31/01/2026, échue le 02/03/2026 (30 jours de retard) : ${fr("5 500,00 €")} restant dû sur ${fr("10 000,00 €")} — intérêts : ${fr("77,39 €")}, indemnité forfaitaire : ${fr("40,00 €")}`,
    );
    expect(mail?.text).toContain(`arrêtés au 01/04/2026 : ${fr("77,39 €")}`);
    expect(mail?.text).toContain(
      `indemnités forfaitaires pour frais de recouvrement de 40 € par facture (articles L441-10 et D441-5 du Code de commerce) : ${fr("40,00 €")}`,
    );
    expect(mail?.text).not.toContain("F-2");
    const letter = (await outboxRows(t.store, o.org.id)).find((r) => r.channel === "letter");
    const text = (await pdfText(letter?.attachment as Buffer)).join("\n");
    expect(text).toMatch(/Intérêts de retard \(art\. L441-10 C\. com\.\) \| +\| 77,39 €/);
    expect(text).toMatch(/40 € x 1 \(art\. D441-5 C\. com\.\) \| +\| 40,00 €/);
    expect(text).toMatch(/Total réclamé \| +\| 5 617,39 €/);
  });

  it("applies the customer's contractual rate, else the organisation's, else ECB + 10 points, set through the API", async () => {
    t = await openTestDb(backend);
    const o = await chaseOrg(t.store);
    await makeMember(t.store, o.org.id, "collector", "collector@acme.example");
    app = await makeApp(t.store);
    const owner = await loginCookie(app, o.ownerEmail);
    const collector = await loginCookie(app, "collector@acme.example");
    const api = app;
    const call = (cookie: string, method: "GET" | "POST" | "PATCH", url: string, payload?: object) =>
      api.inject({ method, url, payload, headers: { cookie } });

    // Terms of sale: 15 % for everyone (admin setting), validated and normalised.
    expect((await call(owner, "PATCH", "/api/settings", { "penalties.contractual_rate": "-3" })).statusCode).toBe(400);
    expect((await call(collector, "PATCH", "/api/settings", { "penalties.contractual_rate": "15" })).statusCode).toBe(403);
    const set = await call(owner, "PATCH", "/api/settings", { "penalties.contractual_rate": "15" });
    expect(set.json().settings["penalties.contractual_rate"]).toBe("15.00");

    // Customers: one on the organisation's terms, one with its own contract, one whose contract is below the floor.
    const onTerms = (
      await call(collector, "POST", "/api/customers", { ref: "C-ORG", name: "Garage Martin", email: "compta@martin.example" })
    ).json();
    expect(onTerms.penaltyRate).toBeNull();
    const own = (
      await call(collector, "POST", "/api/customers", { ref: "C-OWN", name: "Imprimerie Blanc", email: "compta@blanc.example" })
    ).json();
    const patched = await call(collector, "PATCH", `/api/customers/${own.id}`, { penaltyRate: "20,5" });
    expect(patched.json().penaltyRate).toBe("20.50");
    const low = await call(collector, "POST", "/api/customers", {
      ref: "C-LOW",
      name: "Traiteur Petit",
      email: "compta@petit.example",
      penaltyRate: 5,
    });
    expect(low.json().penaltyRate).toBe("5.00");
    expect((await call(collector, "GET", `/api/customers/${own.id}`)).json().penaltyRate).toBe("20.50");
    for (const bad of ["0", "abc", "100.5", "12.345"]) {
      const res = await call(collector, "PATCH", `/api/customers/${own.id}`, { penaltyRate: bad });
      expect(res.statusCode, bad).toBe(400);
    }
    const ids = { org: onTerms.id as number, own: own.id as number, low: low.json().id as number };
    for (const id of Object.values(ids)) await makeInvoice(t.store, o.org.id, id, `F-${id}`, 100_000, "2026-01-31", "2026-03-02");

    // A real run on 1 April (due + 30, the formal notice), read back from the SMTP server. 1 000 € for 30 days:
    //   15 %    100 000 × 1500 × 30 / 3 650 000 = 1 232.88 → 12.33 €
    //   20.50 % 100 000 × 2050 × 30 / 3 650 000 = 1 684.93 → 16.85 €
    //   5 % is below 3 × 2.62 % (legal rate H1 2026): 7.86 %, 100 000 × 786 × 30 / 3 650 000 = 646.03 → 6.46 €
    const { result, delivery } = await run(o.owner, "2026-04-01");
    expect(result.messages.filter((m) => m.channel === "email").map((m) => m.customer)).toEqual(["C-ORG", "C-OWN", "C-LOW"]);
    const mailTo = (address: string) => smtp.messages.find((m) => (m.to as { text: string }).text === address);
    const org = mailTo("compta@martin.example");
    expect(org?.text).toContain(
      `intérêts de retard au taux contractuel de 15,00${NBSP}% (article L441-10 du Code de commerce), arrêtés au 01/04/2026 : ${fr("12,33 €")}`,
    );
    expect(org?.subject).toBe(`Mise en demeure de payer — Garage Martin — ${fr("1 052,33 €")}`);
    const mine = mailTo("compta@blanc.example");
    expect(mine?.text).toContain(
      `au taux contractuel de 20,50${NBSP}% (article L441-10 du Code de commerce), arrêtés au 01/04/2026 : ${fr("16,85 €")}`,
    );
    expect(mine?.subject).toBe(`Mise en demeure de payer — Imprimerie Blanc — ${fr("1 056,85 €")}`);
    const floored = mailTo("compta@petit.example");
    expect(floored?.text).toContain(
      `au taux de 7,86${NBSP}%, soit trois fois le taux de l'intérêt légal (article L441-10 du Code de commerce), arrêtés au 01/04/2026 : ${fr("6,46 €")}`,
    );
    const lowOutcome = delivery?.outcomes.find((x) => x.customerId === ids.low && x.channel === "email");
    expect(lowOutcome?.warnings).toEqual(["the contractual rate 5.00 % is below 3 × the legal rate of 2026-H1: 7.86 % applied"]);

    // Previews of the same step follow every change: the customer's rate removed → the organisation's;
    // the organisation's removed → ECB + 10 points (12.15 %: 100 000 × 1215 × 30 / 3 650 000 = 998.63 → 9.99 €).
    const policies = (await call(collector, "GET", "/api/dunning/policies")).json().items as {
      isDefault: boolean;
      steps: { id: number; name: string }[];
    }[];
    const notice = policies.find((p) => p.isDefault)?.steps.find((x) => x.name === "Mise en demeure (e-mail)");
    const preview = async (customerId: number, language?: "en") =>
      (await call(collector, "POST", "/api/dunning/preview", { customerId, stepId: notice?.id, asOf: "2026-04-01", language })).json();
    const en = await preview(ids.own, "en");
    expect(en.text).toContain("late-payment interest at the contractual rate of 20.50% (article L441-10 of the French Commercial Code)");
    expect(en.totals.interest).toBe("16.85");
    await call(collector, "PATCH", `/api/customers/${ids.own}`, { penaltyRate: null });
    expect((await call(collector, "GET", `/api/customers/${ids.own}`)).json().penaltyRate).toBeNull();
    const back = await preview(ids.own);
    expect(back.totals.interest).toBe("12.33");
    expect(back.text).toContain(`au taux contractuel de 15,00${NBSP}%`);
    await call(owner, "PATCH", "/api/settings", { "penalties.contractual_rate": "" });
    const legal = await preview(ids.org);
    expect(legal.totals).toMatchObject({ interest: "9.99", indemnities: "40.00", grandTotal: "1049.99" });
    expect(legal.text).toContain(`au taux de la BCE majoré de 10 points (12,15${NBSP}%)`);
    expect(legal.warnings).toEqual([]);
    // The customer's own rate still wins without an organisation rate.
    expect((await preview(ids.low)).totals.interest).toBe("6.46");
  });
});
