import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planRun } from "../../src/dunning/engine.js";
import { smtpTransport } from "../../src/dunning/transport.js";
import { deliverDue } from "../../src/dunning/worker.js";
import { openStore } from "../../src/store/connect.js";
import { BACKENDS, openTestDb, type TestDb } from "../helpers/db.js";
import { makeInvoice } from "../helpers/factories.js";
import { chaseOrg, customer, eventRows, outboxRows, startSmtp, type TestSmtp, tempDir } from "./helpers.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Runs the CLI in a child process; resolves with its output, or with the child when `until` matches stderr. */
function cli(
  args: string[],
  env: Record<string, string>,
  until?: RegExp,
): Promise<{ child: ChildProcess; stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let done = false;
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    child.stderr?.on("data", (d) => {
      stderr += d;
      if (until && !done && until.test(stderr)) {
        done = true;
        resolve({ child, stdout, stderr, code: null });
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (!done) {
        done = true;
        resolve({ child, stdout, stderr, code });
      }
    });
  });
}

const waitExit = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));

describe.each(BACKENDS)("exactly once on %s", (backend) => {
  let t: TestDb;
  let smtp: TestSmtp;
  let files: string;
  beforeEach(async () => {
    smtp = await startSmtp();
    files = await tempDir();
  });
  afterEach(async () => {
    await smtp.close();
    await t?.dispose();
    await rm(files, { recursive: true, force: true });
  });

  it("resends at most the one message in flight, with the same Message-ID, when a worker is killed after SMTP acceptance", async () => {
    t = await openTestDb(backend);
    const o = await chaseOrg(t.store);
    for (const ref of ["C1", "C2", "C3"]) {
      const c = await customer(t.store, o.org.id, ref);
      await makeInvoice(t.store, o.org.id, c.id, `F-${ref}`, 50_000, "2026-01-31", "2026-03-02");
    }
    const planned = await planRun(t.store.db, o.org.id, { asOf: "2026-03-03" });
    expect(planned.planned).toBe(3);
    // The embedded database allows one process at a time: hand it over to the worker.
    if (backend === "pglite") await t.store.close();
    const env = { ...t.env, SMTP_URL: smtp.url, RELANCE_MAIL_DIR: files, RELANCE_OUTBOX_LEASE_SECONDS: "1", RELANCE_SCHEDULER: "off" };

    const first = await cli(
      ["dunning", "run", "--as-of", "2026-03-03", "--json"],
      { ...env, RELANCE_TEST_HANG_AFTER_SEND: "1" },
      /relance-test: delivered outbox \d+/,
    );
    expect(first.code).toBeNull(); // still running, hanging before its commit
    const inFlight = /delivered outbox (\d+) (<[^>]+>)/.exec(first.stderr);
    await smtp.waitFor(1);
    first.child.kill("SIGKILL");
    await waitExit(first.child);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]?.messageId).toBe(inFlight?.[2]);

    await new Promise((r) => setTimeout(r, 1500)); // the killed worker's lease (1 s) expires
    const second = await cli(["dunning", "run", "--as-of", "2026-03-03", "--json"], env);
    expect(second.code, second.stderr).toBe(0);
    const result = JSON.parse(second.stdout);
    expect(result).toMatchObject({ asOf: "2026-03-03", planned: 0, sent: 3, failed: 0 });

    const ids = smtp.messages.map((m) => m.messageId);
    expect(ids).toHaveLength(4); // three messages, one of them twice
    expect(new Set(ids).size).toBe(3);
    expect(ids.filter((id) => id === inFlight?.[2])).toHaveLength(2);
    const resent = smtp.messages.slice(1).find((m) => m.messageId === inFlight?.[2]);
    expect(resent?.text).toBe(smtp.messages[0]?.text); // the same message again
    expect(resent?.subject).toBe(smtp.messages[0]?.subject);

    // A third run sends nothing.
    const third = await cli(["dunning", "run", "--as-of", "2026-03-03", "--json"], env);
    expect(JSON.parse(third.stdout)).toMatchObject({ planned: 0, sent: 0 });

    const store = backend === "pglite" ? await openStore({ dataDir: t.dataDir as string }) : t.store;
    try {
      expect((await outboxRows(store, o.org.id)).map((r) => r.status)).toEqual(["sent", "sent", "sent"]);
      expect((await eventRows(store, o.org.id)).filter((e) => e.status === "sent")).toHaveLength(3);
    } finally {
      if (store !== t.store) await store.close();
    }
    expect(smtp.messages).toHaveLength(4);
  }, 240_000);
});

describe.runIf(BACKENDS.includes("postgres"))("concurrent workers on PostgreSQL", () => {
  let t: TestDb;
  let smtp: TestSmtp;
  let files: string;
  afterEach(async () => {
    await smtp?.close();
    await t?.dispose();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it("never send the same message twice", async () => {
    smtp = await startSmtp();
    files = await tempDir();
    t = await openTestDb("postgres");
    const o = await chaseOrg(t.store);
    for (let i = 0; i < 40; i++) {
      const c = await customer(t.store, o.org.id, `K${i}`);
      await makeInvoice(t.store, o.org.id, c.id, `F-K${i}`, 10_000 + i, "2026-01-31", "2026-03-02");
    }
    expect((await planRun(t.store.db, o.org.id, { asOf: "2026-03-03" })).planned).toBe(40);
    const other = await openStore({ databaseUrl: t.databaseUrl as string });
    const transports = [smtpTransport(smtp.url), smtpTransport(smtp.url)];
    try {
      const [a, b] = await Promise.all([
        deliverDue({ store: t.store, transport: transports[0], filesDir: files, concurrency: 4 }),
        deliverDue({ store: other, transport: transports[1], filesDir: files, concurrency: 4 }),
      ]);
      expect((a?.sent ?? 0) + (b?.sent ?? 0)).toBe(40);
      expect(a?.sent).toBeGreaterThan(0);
      expect(b?.sent).toBeGreaterThan(0);
    } finally {
      for (const tr of transports) tr.close();
      await other.close();
    }
    const ids = smtp.messages.map((m) => m.messageId);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect((await outboxRows(t.store, o.org.id)).every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
  });
});

describe.runIf(BACKENDS.includes("postgres"))("concurrent planning runs on PostgreSQL", () => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it("record each document's step once, and every message lists exactly the documents it recorded", async () => {
    t = await openTestDb("postgres");
    const o = await chaseOrg(t.store);
    // Per customer: a invoice at +1 (its −5 skipped) and b at +30 (email and letter; −5, +1, +8, +15 skipped).
    for (let i = 0; i < 40; i++) {
      const c = await customer(t.store, o.org.id, `R${i}`);
      await makeInvoice(t.store, o.org.id, c.id, `F-R${i}a`, 10_000 + i, "2026-01-31", "2026-03-02");
      await makeInvoice(t.store, o.org.id, c.id, `F-R${i}b`, 20_000 + i, "2026-01-01", "2026-02-01");
    }
    const other = await openStore({ databaseUrl: t.databaseUrl as string });
    let planned = 0;
    try {
      // Both runs read before either writes much: small batches, two writers each, racing on the same keys.
      const runs = await Promise.all(
        [t.store.db, other.db].map((db) => planRun(db, o.org.id, { asOf: "2026-03-03", batchSize: 3, writers: 2 })),
      );
      planned = runs.reduce((n, r) => n + r.planned, 0);
      expect(runs.reduce((n, r) => n + r.skippedSteps, 0)).toBe(40 * 5);
    } finally {
      await other.close();
    }
    const events = await eventRows(t.store, o.org.id);
    const outbox = await outboxRows(t.store, o.org.id);
    // The skipped steps are listed on the events recorded (once each), not rows of their own.
    expect(events.filter((e) => e.status === "skipped")).toHaveLength(0);
    expect(events.reduce((n, e) => n + (e.skipped_steps?.length ?? 0), 0)).toBe(40 * 5);
    expect(events.filter((e) => e.status === "planned")).toHaveLength(40 * 3);
    expect(outbox).toHaveLength(40 * 3);
    expect(planned).toBe(40 * 3);
    for (const row of outbox) {
      const recorded = events.filter((e) => e.outbox_id === row.id).map((e) => e.document_id);
      expect(recorded).toHaveLength(1);
      expect((row.payload as { documentIds: number[] }).documentIds).toEqual(recorded);
    }
  });
});
