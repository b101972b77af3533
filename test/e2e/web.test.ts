import { existsSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/api/app.js";
import { buildApp } from "../../src/api/app.js";
import { cliActor } from "../../src/services/actor.js";
import { listCustomers } from "../../src/services/customers.js";
import { initOrg } from "../../src/services/orgs.js";
import { seedDemo } from "../../src/services/seed-demo.js";
import { openTestDb, type TestDb } from "../helpers/db.js";
import { CHROMIUM, ensureWebBuild, launchBrowser, screenshot, watchErrors } from "./helpers.js";

const EMAIL = "owner@demo.example";
const PASSWORD = "e2e-password-123";

/**
 * The web app in a real browser (Debian's Chromium driven by playwright-core) against the
 * API started in-process on the demo data: the journey of a credit controller's morning.
 * Any console error or uncaught page error fails the test.
 */
// The browser is part of the test environment (.ci/run installs Debian's chromium): a missing
// browser fails the suite with the fix, rather than skipping the only test of the web app.
if (!existsSync(CHROMIUM)) {
  throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
}

describe("web app end to end (Chromium)", () => {
  let db: TestDb;
  let app: App;
  let base: string;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let errors: string[];
  let customer: { id: number; name: string };
  let routes: Set<string>;
  const has = (route: string) => routes.has(route);

  beforeAll(async () => {
    ensureWebBuild();
    db = await openTestDb("pglite");
    const init = await initOrg(db.store.db, { orgName: "Démo Relance SAS", adminEmail: EMAIL, adminPassword: PASSWORD });
    await seedDemo(db.store, cliActor(init.org.id), { seed: 1 });
    const top = await listCustomers(db.store.db, cliActor(init.org.id), { sort: "overdue", dir: "desc", limit: 1 });
    const first = top.items[0];
    if (!first) throw new Error("the demo data has no customer");
    customer = { id: first.id, name: first.name };
    app = await buildApp({ store: db.store, env: { RELANCE_SESSION_DAYS: 14, RELANCE_COOKIE_SECURE: "false" } });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const doc = (await (await fetch(`${base}/api/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    routes = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    browser = await launchBrowser({ locale: "fr-FR" });
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    errors = watchErrors(page);
  }, 180_000);

  afterEach(() => {
    expect(errors, "console or page errors").toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.dispose();
  });

  it("shows the login screen in French by default, then logs in", async () => {
    await page.goto(`${base}/`);
    // The page asks who is logged in before it shows the form: wait for it (isVisible does not wait).
    await page.getByRole("heading", { name: "Connexion" }).waitFor();
    await screenshot(page, "01-login");
    await page.getByLabel("E-mail").fill(EMAIL);
    await page.getByLabel("Mot de passe").fill("wrong-password");
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByText("E-mail ou mot de passe incorrect.").waitFor();
    errors.splice(0); // the 401 of a wrong password is expected
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.locator(".sidebar").waitFor();
    expect(await page.locator(".brand-org").textContent()).toBe("Démo Relance SAS");
  }, 60_000);

  it("draws non-empty charts on the dashboard", async () => {
    if (!has("GET /api/reports/dso")) return;
    await page.goto(`${base}/`);
    await page.locator("[data-testid=kpi-receivables]").waitFor();
    const charts = page.locator(".chart[data-ready=true]");
    await charts.first().waitFor();
    // Each chart draws when its own report has answered: wait for all of them, not the first.
    await expect.poll(() => charts.count()).toBeGreaterThanOrEqual(3);
    for (const chart of await charts.all()) {
      // ECharts' SVG renderer: bars and lines are <path> elements.
      expect(await chart.locator("svg path").count()).toBeGreaterThan(3);
    }
    expect(await page.locator("[data-testid=kpi-receivables] .kpi-value").textContent()).toMatch(/\d[\d\u202f\u00a0]*(,\d+)?\s?(k|M)?\s?€/);
    await screenshot(page, "02-dashboard");
  }, 60_000);

  it("finds a customer with the '/' search and opens it", async () => {
    await page.goto(`${base}/customers`);
    await page.locator("[data-testid=customers-table] tbody tr").first().waitFor();
    await screenshot(page, "03-customers");
    await page.locator("body").press("/");
    const search = page.getByRole("combobox", { name: "Rechercher un client" });
    expect(await search.evaluate((el) => el.ownerDocument.activeElement === el)).toBe(true);
    await search.fill(customer.name.slice(0, 12));
    await page.getByRole("option", { name: new RegExp(customer.name) }).waitFor();
    await search.press("Enter");
    await page.waitForURL(`${base}/customers/${customer.id}`);
    await page.getByRole("heading", { name: customer.name }).waitFor();
    await page.locator(".kpi").first().waitFor();
    await screenshot(page, "04-customer");
  }, 60_000);

  it("filters customers at risk, highest first, and shows the factors on the customer page", async () => {
    await page.goto(`${base}/customers`);
    await page.getByRole("button", { name: "À risque", exact: true }).click();
    await page.waitForURL(/filter=risk/);
    const rows = page.locator("[data-testid=customers-table] tbody tr:not(.stale)");
    await rows.first().locator(".risk").waitFor();
    const scores = (await rows.locator(".risk").allTextContents()).map(Number);
    expect(scores.length).toBeGreaterThan(0);
    expect(scores.every((s) => s >= 60)).toBe(true);
    await page.getByRole("button", { name: "Risque", exact: true }).click(); // sort by risk, highest first
    await page.waitForURL(/sort=risk/);
    await page.locator("[data-testid=customers-table] tbody tr:not(.stale) .risk").first().waitFor();
    const sorted = (await page.locator("[data-testid=customers-table] tbody tr:not(.stale) .risk").allTextContents()).map(Number);
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
    await screenshot(page, "03b-customers-at-risk");
    await rows.first().locator("a.row-link").click();
    await page.locator(".risk-factors li").first().waitFor();
    await expect.poll(() => page.locator(".kpi .risk").textContent()).toBe(String(sorted[0]));
  }, 60_000);

  it("adds a note and pauses the chase, and both appear on the timeline", async () => {
    if (!has("POST /api/customers/{id}/notes") || !has("GET /api/customers/{id}/timeline")) return;
    await page.goto(`${base}/customers/${customer.id}`);
    const note = `Appelé le comptable, règlement promis sous huitaine (${Date.now()})`;
    await page.getByRole("tab", { name: "Note" }).click();
    await page.getByLabel("Note").fill(note);
    await page.getByRole("button", { name: "Ajouter la note" }).click();
    await page.locator("[data-testid=timeline]").getByText(note).waitFor();
    await page.getByRole("button", { name: "Suspendre les relances" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Suspendre" }).click();
    await page.getByRole("button", { name: "Reprendre les relances" }).waitFor();
    await page
      .locator("[data-testid=timeline] .tl-item", { hasText: /suspendu/i })
      .first()
      .waitFor();
    await screenshot(page, "05-customer-timeline");
  }, 60_000);

  it("edits a customer's reminder email and contractual rate, refusing an invalid email", async () => {
    await page.goto(`${base}/customers/${customer.id}`);
    await page.getByRole("button", { name: "Modifier", exact: true }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("E-mail de relance").fill("compta@");
    await dialog.getByText("Adresse e-mail invalide").waitFor();
    await dialog.getByRole("button", { name: "Enregistrer" }).click();
    expect(await dialog.isVisible()).toBe(true); // nothing sent while a field is wrong
    await dialog.getByLabel("E-mail de relance").fill("compta@client-e2e.example");
    await dialog.getByLabel("Taux des pénalités de retard (%)").fill("12,5");
    await dialog.getByLabel("Délai de paiement (jours)").fill("45");
    await screenshot(page, "05b-customer-edit");
    await dialog.getByRole("button", { name: "Enregistrer" }).click();
    await page.getByText("Client enregistré").waitFor();
    await dialog.waitFor({ state: "hidden" });
    await page.getByText("paiement à 45 jours").waitFor();
    await page.getByText(/pénalités de retard 12,50\s%/).waitFor();
    const row = await db.store.db
      .selectFrom("customers")
      .select(["email", "penalty_rate_bp", "payment_terms_days"])
      .where("id", "=", customer.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ email: "compta@client-e2e.example", penalty_rate_bp: 1250, payment_terms_days: 45 });
    // Opened again, the form shows what was saved.
    await page.getByRole("button", { name: "Modifier", exact: true }).click();
    expect(await dialog.getByLabel("Taux des pénalités de retard (%)").inputValue()).toBe("12.50");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
  }, 60_000);

  it("lists overdue invoices and opens one with its allocations", async () => {
    await page.goto(`${base}/invoices?status=overdue`);
    await page.locator("table tbody tr").first().waitFor();
    await screenshot(page, "06-invoices");
    await page.locator("table tbody tr a.row-link").first().click();
    await page.getByText("Règlements imputés").waitFor();
    await screenshot(page, "07-invoice");
  }, 60_000);

  it("undoes a credit note's application to its invoice, then applies it again from the dialog", async () => {
    const note = await db.store.db
      .selectFrom("write_offs as w")
      .innerJoin("documents as d", (j) => j.onRef("d.org_id", "=", "w.org_id").onRef("d.id", "=", "w.document_id"))
      .select(["d.id", "d.number", "w.amount"])
      .where("d.kind", "=", "credit_note")
      .where("w.applied_document_id", "is not", null)
      .orderBy("d.id")
      .executeTakeFirstOrThrow();
    await page.goto(`${base}/invoices/${note.id}`);
    await page.getByRole("button", { name: /^Annuler l’imputation avec / }).click();
    await page.getByText("Imputation annulée").waitFor();
    await page.getByRole("button", { name: "Imputer sur une facture" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Facture").waitFor();
    await screenshot(page, "06b-credit-note-apply");
    await dialog.getByRole("button", { name: "Imputer", exact: true }).click();
    await page.getByText("Avoir imputé", { exact: true }).first().waitFor();
    await dialog.waitFor({ state: "hidden" });
    const after = await db.store.db
      .selectFrom("write_offs")
      .select((eb) => eb.fn.sum<number>("amount").as("applied"))
      .where("document_id", "=", note.id)
      .executeTakeFirstOrThrow();
    // Applied again in full: the credit note's whole credit, on some open invoice of the customer.
    expect(Number(after.applied)).toBe(note.amount);
    // The page reloads the credit note after the toast: wait for the button to go, rather than
    // reading the page between the two.
    await page.getByRole("button", { name: "Imputer sur une facture" }).waitFor({ state: "detached", timeout: 10_000 });
  }, 60_000);

  it("rejects a bad CSV import with the numbered lines in error, and writes nothing", async () => {
    if (!has("POST /api/imports")) return;
    const before = await db.store.db
      .selectFrom("documents")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    await page.goto(`${base}/imports`);
    const csv = [
      "numero_facture;code_client;client;date_facture;date_echeance;montant_ttc",
      "F-E2E-1;C9001;Client E2E;15/01/2026;14/02/2026;1 200,00",
      "F-E2E-2;C9001;Client E2E;31/02/2026;14/02/2026;abc",
      "F-E2E-3;C9001;Client E2E;15/01/2026;14/02/2026;300,00",
    ].join("\r\n");
    await page
      .locator("[data-testid=import-file]")
      .setInputFiles({ name: "factures-erreurs.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf8") });
    const box = page.locator("[data-testid=import-errors]");
    await box.waitFor();
    expect(await box.textContent()).toContain("Ligne 3");
    errors.splice(0); // the 400 of a rejected file is the expected answer
    const after = await db.store.db
      .selectFrom("documents")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    await screenshot(page, "08-import-errors");
  }, 60_000);

  it("offers suggestions for unmatched payments and allocates one in one click", async () => {
    if (!has("GET /api/payments/unmatched")) return;
    await page.goto(`${base}/reconciliation`);
    await page.locator(".recon-card").first().waitFor();
    await screenshot(page, "09-reconciliation");
    const cards = await page.locator(".recon-card").count();
    const allocate = page.locator("[data-testid=allocate]").first();
    if (await allocate.count()) {
      await allocate.click();
      await page
        .locator(".toast")
        .getByText(/Paiement imputé/)
        .waitFor();
      await expect.poll(() => page.locator(".recon-card").count()).toBeLessThanOrEqual(cards);
    }
  }, 60_000);

  it("edits a dunning policy with validation, previews its template, runs the chase and approves a held reminder", async () => {
    if (!has("GET /api/dunning/policies")) return;
    await page.goto(`${base}/dunning?tab=policies`);
    const editor = page.locator("[data-testid=policy-editor]");
    await editor.waitFor();
    await page.locator("[data-testid=template-preview]").waitFor();
    await expect.poll(() => page.locator("[data-testid=template-preview] .mail-body").textContent()).toMatch(/\S/);
    await screenshot(page, "10-dunning-policies");

    // Validation: an empty offset is refused before anything is sent.
    const firstOffset = editor.locator(".steps-table tbody tr").first().locator("input[type=number]");
    await firstOffset.fill("");
    await editor.getByRole("button", { name: "Enregistrer", exact: true }).click();
    await editor.getByText("Un nombre entier de jours entre −365 et 3650").waitFor();
    await editor.getByRole("button", { name: "Annuler" }).click();

    // The J+15 step now needs a person's approval.
    const firm = editor.locator(".steps-table tbody tr", { hasText: "J+15" });
    await firm.getByRole("button", { name: /Modèles/ }).click();
    await editor.getByLabel("approbation requise").check();
    await editor.getByRole("button", { name: "Enregistrer", exact: true }).click();
    await page.locator(".toast", { hasText: "Scénario enregistré" }).waitFor();

    // What would go out today, then send it.
    await page.getByRole("button", { name: "Que partirait-il aujourd’hui ?" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText(/message\(s\) à envoyer/).waitFor();
    await screenshot(page, "11-dunning-run");
    await dialog.getByRole("button", { name: /^Envoyer \d+ relance/ }).click();
    await dialog.waitFor({ state: "hidden", timeout: 60_000 });

    await page.goto(`${base}/dunning`);
    const approve = page.getByRole("button", { name: "Approuver", exact: true }).first();
    await approve.waitFor();
    await screenshot(page, "12-dunning-approvals");
    await approve.click();
    await page.locator(".toast", { hasText: "relance(s) approuvée(s)" }).waitFor();

    await page.getByRole("tab", { name: "Journal" }).click();
    const sent = page.locator("tbody tr", { hasText: "envoyée" }).first();
    await sent.waitFor();
    await sent.locator(".link-btn").click();
    await page.locator(".detail-row .mail-body").waitFor();
    await screenshot(page, "13-dunning-log");
  }, 120_000);

  it("invites a collector from team and settings", async () => {
    await page.goto(`${base}/settings`);
    await page.getByRole("heading", { name: "Équipe", exact: true }).waitFor();
    await page.getByRole("button", { name: "Inviter un membre" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("E-mail").fill("paul@demo.example");
    await dialog.getByLabel("Nom", { exact: true }).fill("Paul Martin");
    await dialog.getByRole("button", { name: "Ajouter" }).click();
    await page.getByRole("cell", { name: "paul@demo.example" }).waitFor();
    await screenshot(page, "14-settings");
  }, 60_000);

  it("switches to English and remembers it", async () => {
    await page.getByRole("radio", { name: "EN" }).click();
    await page.getByRole("link", { name: "Customers" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await page.goto(`${base}/customers`);
    await page.getByRole("heading", { name: "Customers" }).waitFor();
    expect(await page.locator("[data-testid=customers-table] thead").textContent()).toContain("Outstanding");
    await screenshot(page, "15-customers-en");
    if (has("GET /api/reports/dso")) {
      await page.goto(`${base}/`);
      await page.locator(".chart[data-ready=true]").first().waitFor();
      await screenshot(page, "16-dashboard-en");
    }
  }, 60_000);

  it("creates the owner on first run of an empty installation", async () => {
    const empty = await openTestDb("pglite");
    const fresh = await buildApp({ store: empty.store, env: { RELANCE_SESSION_DAYS: 14, RELANCE_COOKIE_SECURE: "false" } });
    try {
      await fresh.listen({ port: 0, host: "127.0.0.1" });
      const address = fresh.server.address();
      // "localhost", not 127.0.0.1: its session cookie must not replace the demo's.
      const url = `http://localhost:${typeof address === "object" && address ? address.port : 0}`;
      await page.goto(`${url}/`);
      // A new origin: its language comes from the browser again (French).
      await page.getByRole("heading", { name: "Bienvenue dans Relance" }).waitFor();
      await page.getByLabel("Nom de la société").fill("Dupont Industrie SAS");
      await page.getByLabel("Votre nom").fill("Marie Dupont");
      await page.getByLabel("E-mail").fill("marie@dupont.example");
      await page.getByLabel("Mot de passe", { exact: true }).fill("un-mot-de-passe-solide");
      await page.getByLabel("Confirmez le mot de passe").fill("un-mot-de-passe-solide");
      await screenshot(page, "17-first-run");
      await page.getByRole("button", { name: "Créer et commencer" }).click();
      await page.locator(".brand-org", { hasText: "Dupont Industrie SAS" }).waitFor();
      const owner = await empty.store.db.selectFrom("memberships").select("role").executeTakeFirstOrThrow();
      expect(owner.role).toBe("owner");
      await page.waitForLoadState("networkidle");
      await screenshot(page, "18-after-first-run");
      await page.goto("about:blank");
    } finally {
      await fresh.close();
      await empty.dispose();
    }
  }, 60_000);
});
