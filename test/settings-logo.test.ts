import { PDFDocument, PDFName, PDFRawStream } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../src/api/app.js";
import { chaseOrg, customer } from "./dunning/helpers.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { loginCookie, makeApp, makeInvoice, makeMember, makeOrg } from "./helpers/factories.js";

// A valid 1×1 PNG, and a JPEG's first bytes.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
const dataUrl = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString("base64")}`;

/** Number of images drawn in a PDF. */
async function imagesIn(pdf: Buffer): Promise<number> {
  const doc = await PDFDocument.load(pdf);
  return doc.context
    .enumerateIndirectObjects()
    .filter(([, o]) => o instanceof PDFRawStream && o.dict.get(PDFName.of("Subtype")) === PDFName.of("Image")).length;
}

describe.each(BACKENDS)("the company logo on %s", (backend) => {
  let t: TestDb;
  let app: App;
  let owner: string;
  let viewer: string;
  let ids: { customer: number; letterStep: number };

  beforeAll(async () => {
    t = await openTestDb(backend);
    const o = await chaseOrg(t.store, "logo");
    await makeMember(t.store, o.org.id, "viewer", "viewer@logo.example");
    const c = await customer(t.store, o.org.id, "C-1", { name: "Alpha SARL", address: "1 rue A\n75001 Paris" });
    await makeInvoice(t.store, o.org.id, c.id, "F-1", 120_000, "2025-12-01", "2026-01-05");
    app = await makeApp(t.store);
    owner = await loginCookie(app, o.ownerEmail);
    viewer = await loginCookie(app, "viewer@logo.example");
    const policies = (await app.inject({ method: "GET", url: "/api/dunning/policies", headers: { cookie: owner } })).json();
    const letter = policies.items[0].steps.find((x: { channel: string }) => x.channel === "letter");
    ids = { customer: c.id, letterStep: letter.id };
    await makeOrg(t.store, "other");
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  const call = (cookie: string, method: "GET" | "PATCH" | "POST", url: string, payload?: object) =>
    app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
  const letterPdf = async () => {
    const res = await call(viewer, "POST", "/api/dunning/preview?format=pdf", {
      customerId: ids.customer,
      stepId: ids.letterStep,
      asOf: "2026-02-10",
    });
    expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
    return res.rawPayload;
  };

  it("refuses what is not a PNG or JPEG of at most 256 KB, naming the field", async () => {
    const svg = dataUrl("image/svg+xml", Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"));
    const lying = dataUrl("image/png", Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0])); // JPEG bytes sent as PNG
    const huge = dataUrl("image/png", Buffer.concat([PNG, Buffer.alloc(300 * 1024)]));
    for (const value of [svg, lying, huge, "https://example.com/logo.png"]) {
      const res = await call(owner, "PATCH", "/api/settings", { "company.logo": value });
      expect(res.statusCode).toBe(400);
      expect(res.json().problems.map((p: { field: string }) => p.field)).toContain("company.logo");
    }
    expect((await call(viewer, "GET", "/api/settings/logo")).statusCode).toBe(404);
    expect((await call(viewer, "GET", "/api/auth/me")).json().org.hasLogo).toBe(false);
  });

  it("serves the logo to the team, tells the app it exists, and prints it on letters", async () => {
    expect(await imagesIn(await letterPdf())).toBe(0);
    const set = await call(owner, "PATCH", "/api/settings", { "company.logo": dataUrl("image/png", PNG) });
    expect(set.statusCode, set.body).toBe(200);
    const res = await call(viewer, "GET", "/api/settings/logo");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("image/png");
    expect(Buffer.compare(res.rawPayload, PNG)).toBe(0);
    expect((await call(viewer, "GET", "/api/auth/me")).json().org.hasLogo).toBe(true);
    expect(await imagesIn(await letterPdf())).toBeGreaterThan(0); // the image (and its alpha mask)
    // Only admins change it; clearing removes it.
    expect((await call(viewer, "PATCH", "/api/settings", { "company.logo": null })).statusCode).toBe(403);
    expect((await call(owner, "PATCH", "/api/settings", { "company.logo": null })).statusCode).toBe(200);
    expect((await call(viewer, "GET", "/api/settings/logo")).statusCode).toBe(404);
  });
});
