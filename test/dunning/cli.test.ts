import { spawn } from "node:child_process";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/connect.js";
import { BACKENDS, openTestDb, type TestDb } from "../helpers/db.js";
import { makeInvoice } from "../helpers/factories.js";
import { chaseOrg, customer, outboxRows, tempDir } from "./helpers.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

function relance(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, SMTP_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(BACKENDS)("relance dunning run and settings (CLI) on %s", (backend) => {
  let t: TestDb;
  let files: string;
  afterEach(async () => {
    await t?.dispose();
    await rm(files, { recursive: true, force: true });
  });

  it("prints the JSON contract, writes .eml files without SMTP, sends nothing new the second time, and nothing on a dry run", async () => {
    files = await tempDir();
    t = await openTestDb(backend);
    const o = await chaseOrg(t.store);
    const a = await customer(t.store, o.org.id, "C-A", { name: "Alpha SARL" });
    const b = await customer(t.store, o.org.id, "C-B", { name: "Beta SAS" });
    await makeInvoice(t.store, o.org.id, a.id, "FA-1", 120_000, "2026-01-31", "2026-03-02");
    await makeInvoice(t.store, o.org.id, a.id, "FA-2", 30_000, "2026-01-31", "2026-03-02");
    await makeInvoice(t.store, o.org.id, b.id, "FB-1", 50_000, "2026-01-31", "2026-03-02");
    await t.store.db.updateTable("documents").set({ disputed: true }).where("number", "=", "FB-1").execute();
    if (backend === "pglite") await t.store.close();
    const env = { ...t.env, RELANCE_MAIL_DIR: files, RELANCE_SCHEDULER: "off" };

    const dry = await relance(["dunning", "run", "--as-of", "2026-03-03", "--dry-run", "--json"], env);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout);
    expect(Object.keys(planned).sort()).toEqual(["asOf", "failed", "messages", "planned", "sent", "skipped"]);
    expect(planned).toMatchObject({
      asOf: "2026-03-03",
      planned: 1,
      sent: 0,
      failed: 0,
      skipped: { dispute: 1, promise: 0, hold: 0, minimum: 0 },
    });
    expect(planned.messages).toEqual([
      expect.objectContaining({
        customer: "C-A",
        step: "Première relance",
        channel: "email",
        documents: ["FA-1", "FA-2"],
        total: "1500.00",
      }),
    ]);
    expect(await readdir(files).catch(() => [])).toEqual([]);

    const run = await relance(["dunning", "run", "--as-of", "2026-03-03", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ planned: 1, sent: 1, failed: 0, skipped: { dispute: 1 } });
    expect(run.stderr).toContain(`SMTP_URL is not set: emails were written as .eml files in ${path.join(files, "mail")}`);
    const emls = await readdir(path.join(files, "mail"));
    expect(emls).toEqual([`dunning-${o.org.id}-1@acme.example.eml`]);
    const eml = await readFile(path.join(files, "mail", emls[0] as string), "utf8");
    expect(eml).toContain(`Message-ID: <dunning-${o.org.id}-1@acme.example>`);
    expect(eml).toContain("To: c-a@client.example");

    const again = await relance(["dunning", "run", "--as-of", "2026-03-03"], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Dunning as of 2026-03-03: 0 message(s) planned, 0 sent, 0 failed.");
    expect(await readdir(path.join(files, "mail"))).toHaveLength(1);

    const badDate = await relance(["dunning", "run", "--as-of", "03/03/2026"], env);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain("--as-of must be a date YYYY-MM-DD");

    const store = backend === "pglite" ? await openStore({ dataDir: t.dataDir as string }) : t.store;
    try {
      expect((await outboxRows(store, o.org.id)).map((r) => r.status)).toEqual(["sent"]);
    } finally {
      if (store !== t.store) await store.close();
    }
  }, 240_000);

  it("sets and gets settings, refusing invalid values with exit code 3", async () => {
    files = await tempDir();
    t = await openTestDb(backend);
    await chaseOrg(t.store);
    if (backend === "pglite") await t.store.close();
    const env = { ...t.env, RELANCE_SCHEDULER: "off" };
    const set = await relance(["settings", "set", "penalties.rates", '{"2026-H2":"12,15"}'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout.trim()).toBe('penalties.rates = {"2026-H2":"12.15"}');
    const bad = await relance(["settings", "set", "bank.iban", "FR00 1234"], env);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("bank.iban: invalid IBAN (check digits)");
    const get = await relance(["settings", "get", "company.name", "--json"], env);
    expect(JSON.parse(get.stdout)).toEqual({ "company.name": "ACME Industrie SAS" });
    const all = await relance(["settings", "get"], env);
    expect(all.stdout).toContain("dunning.schedule = 0 9 * * 1-5");
    expect(all.stdout).toContain("webhook.secret = (not set)");
  }, 240_000);
});
