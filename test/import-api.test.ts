import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../src/api/app.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { loginCookie, makeApp, makeMember, makeOrg } from "./helpers/factories.js";
import { tableCounts } from "./helpers/import.js";

let seq = 0;
/** A multipart/form-data body as a browser sends a file upload. */
function multipart(fields: Record<string, string>, file?: { name: string; content: Buffer | string; type?: string }) {
  const boundary = `----relance-import-${++seq}`;
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(fields))
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? "text/csv"}\r\n\r\n`,
      ),
      Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content),
      Buffer.from("\r\n"),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

const INVOICES =
  "numero_facture;code_client;client;date_facture;montant_ttc\nF-1;C1;Dupont;01/02/2024;100,00\nF-2;C1;Dupont;02/02/2024;250,00\n";
const PAYMENTS = "date;montant;libelle\n05/02/2024;250,00;VIR DUPONT F-2\n06/02/2024;99,00;VIR MYSTERE\n";

describe.each(BACKENDS)("import API on %s", (backend) => {
  let t: TestDb;
  let app: App;
  let orgA: number;
  const cookies: Record<string, string> = {};

  beforeAll(async () => {
    t = await openTestDb(backend);
    const a = await makeOrg(t.store, "alpha");
    const b = await makeOrg(t.store, "beta");
    orgA = a.org.id;
    await makeMember(t.store, a.org.id, "accountant", "accountant@alpha.example");
    await makeMember(t.store, a.org.id, "collector", "collector@alpha.example");
    await makeMember(t.store, a.org.id, "viewer", "viewer@alpha.example");
    app = await makeApp(t.store);
    cookies.ownerA = await loginCookie(app, a.ownerEmail);
    cookies.ownerB = await loginCookie(app, b.ownerEmail);
    for (const role of ["accountant", "collector", "viewer"]) cookies[role] = await loginCookie(app, `${role}@alpha.example`);
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  const upload = (cookie: string | null, fields: Record<string, string>, file?: { name: string; content: Buffer | string }) => {
    const m = multipart(fields, file);
    return app.inject({
      method: "POST",
      url: "/api/imports",
      payload: m.payload,
      headers: { ...m.headers, ...(cookie ? { cookie } : {}) },
    });
  };

  it("imports an uploaded file and answers the CLI's summary; the history lists it", async () => {
    const res = await upload(cookies.accountant as string, { kind: "invoices" }, { name: "factures.csv", content: INVOICES });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      file: "factures.csv",
      format: "csv",
      kind: "invoices",
      inserted: 2,
      updated: 0,
      skipped: 0,
      errors: [],
    });
    const again = await upload(
      cookies.accountant as string,
      { kind: "invoices", format: "csv" },
      { name: "factures.csv", content: INVOICES },
    );
    expect(again.json()).toMatchObject({ inserted: 0, skipped: 2 });
    const history = await app.inject({ method: "GET", url: "/api/imports", headers: { cookie: cookies.viewer as string } });
    expect(history.statusCode).toBe(200);
    expect(history.json().items).toMatchObject([
      { kind: "invoices", format: "csv", file: "factures.csv", inserted: 2, by: "accountant@alpha.example" },
    ]);
  });

  it("matches uploaded payments and lists the unmatched one with suggestions", async () => {
    const res = await upload(cookies.ownerA as string, { kind: "payments" }, { name: "releve.csv", content: PAYMENTS });
    expect(res.json()).toMatchObject({ inserted: 2, matching: { matched: 1, unmatched: 1 } });
    const unmatched = await app.inject({ method: "GET", url: "/api/payments/unmatched", headers: { cookie: cookies.viewer as string } });
    expect(unmatched.statusCode).toBe(200);
    const items = unmatched.json().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ amount: "99.00", unallocated: "99.00", reference: "VIR MYSTERE" });
    // Another organisation sees none of it.
    const other = await app.inject({ method: "GET", url: "/api/payments/unmatched", headers: { cookie: cookies.ownerB as string } });
    expect(other.json().items).toEqual([]);
    const otherHistory = await app.inject({ method: "GET", url: "/api/imports", headers: { cookie: cookies.ownerB as string } });
    expect(otherHistory.json().items).toEqual([]);
  });

  it("answers 400 problem details listing every bad line, and writes nothing", async () => {
    const before = await tableCounts(t.store, orgA);
    const bad = "numero_facture;code_client;date_facture;montant_ttc\nG-1;C1;01/02/2024;1\nG-2;C1;30/02/2024;2\nG-3;C1;03/02/2024;\n";
    const res = await upload(cookies.ownerA as string, { kind: "invoices" }, { name: "bad.csv", content: bad });
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({
      status: 400,
      code: "invalid_input",
      problems: [
        { line: 3, field: "issue_date", message: 'invalid date "30/02/2024": no such day' },
        { line: 4, field: "amount_total", message: "missing value" },
      ],
    });
    expect(await tableCounts(t.store, orgA)).toEqual(before);
  });

  it("validates the form: a kind is required, and a file", async () => {
    const noKind = await upload(cookies.ownerA as string, {}, { name: "x.csv", content: INVOICES });
    expect(noKind.statusCode).toBe(400);
    expect(noKind.json().problems[0]).toMatchObject({ field: "kind" });
    const noFile = await upload(cookies.ownerA as string, { kind: "invoices" });
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().problems[0]).toMatchObject({ field: "file" });
    const json = await app.inject({
      method: "POST",
      url: "/api/imports",
      payload: { kind: "invoices" },
      headers: { cookie: cookies.ownerA as string },
    });
    expect(json.statusCode).toBe(400);
  });

  it("checks a dry run without writing", async () => {
    const before = await tableCounts(t.store, orgA);
    const res = await upload(
      cookies.ownerA as string,
      { kind: "customers", dryRun: "true" },
      { name: "c.csv", content: "code_client;nom\nN1;Nouveau\n" },
    );
    expect(res.json()).toMatchObject({ dryRun: true, inserted: 1 });
    expect(await tableCounts(t.store, orgA)).toEqual(before);
  });

  it("answers 401 without a session and 403 to the roles that may not import", async () => {
    expect((await upload(null, { kind: "invoices" }, { name: "f.csv", content: INVOICES })).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/api/imports" })).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/api/payments/unmatched" })).statusCode).toBe(401);
    const before = await tableCounts(t.store, orgA);
    for (const role of ["viewer", "collector"]) {
      const res = await upload(cookies[role] as string, { kind: "customers" }, { name: "c.csv", content: "code_client;nom\nZ1;Z\n" });
      expect(res.statusCode, role).toBe(403);
      expect(res.json()).toMatchObject({ code: "forbidden" });
    }
    expect(await tableCounts(t.store, orgA)).toEqual(before);
  });
});
