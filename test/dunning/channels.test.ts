import { createHmac } from "node:crypto";
import { rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { addDays, today } from "../../src/domain/dates.js";
import { inWindow, startScheduler } from "../../src/dunning/scheduler.js";
import { createPolicy } from "../../src/services/dunning-policies.js";
import { runDunning } from "../../src/services/run-dunning.js";
import { updateSettings } from "../../src/services/settings.js";
import { BACKENDS, openTestDb, type TestDb } from "../helpers/db.js";
import { makeInvoice } from "../helpers/factories.js";
import { activityRows, chaseOrg, customer, outboxRows, tempDir } from "./helpers.js";

interface Hook {
  url: string;
  requests: { headers: IncomingMessage["headers"]; body: string }[];
  status: number;
  close(): Promise<void>;
}

async function webhookServer(): Promise<Hook> {
  const hook: Partial<Hook> & { requests: Hook["requests"]; status: number } = { requests: [], status: 200 };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      hook.requests.push({ headers: req.headers, body });
      res.statusCode = hook.status;
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  hook.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/relance`;
  hook.close = () => new Promise<void>((r) => server.close(() => r()));
  return hook as Hook;
}

describe.each(BACKENDS)("webhook and call channels, scheduler on %s", (backend) => {
  let t: TestDb;
  let files: string;
  let hook: Hook | undefined;
  afterEach(async () => {
    await hook?.close();
    await t?.dispose();
    await rm(files, { recursive: true, force: true });
  });

  it("POSTs webhook steps as signed JSON, retries a 5xx and fails on a 4xx; a call step creates a task", async () => {
    files = await tempDir();
    hook = await webhookServer();
    t = await openTestDb(backend);
    const o = await chaseOrg(t.store);
    await updateSettings(t.store.db, o.owner, { "webhook.url": hook.url, "webhook.secret": "s3cret-s3cret-s3cret" });
    const template = { fr: { subject: "Relance {{ customer.name }}", body: "{{ invoice_table }}" } };
    const policy = await createPolicy(t.store.db, o.owner, {
      name: "Intégration",
      isDefault: true,
      steps: [
        { name: "Webhook J+1", offsetDays: 1, channel: "webhook", templates: template },
        {
          name: "Appel J+3",
          offsetDays: 3,
          channel: "call",
          templates: { fr: { subject: "Appeler {{ customer.name }} ({{ totals.outstanding }})", body: "." } },
        },
      ],
    });
    const c = await customer(t.store, o.org.id, "C-W", { name: "Webhook SA" });
    await makeInvoice(t.store, o.org.id, c.id, "FW-1", 12_345, "2026-01-31", "2026-03-02");
    const run = (asOf: string) => runDunning(t.store, o.owner, { asOf, filesDir: files, workerOptions: { backoffSeconds: 0 } });

    hook.status = 503;
    const first = await run("2026-03-03");
    expect(first.result.sent).toBe(0);
    expect((await outboxRows(t.store, o.org.id))[0]).toMatchObject({
      status: "pending",
      attempts: 1,
      last_error: "webhook answered HTTP 503",
    });
    hook.status = 200;
    const second = await run("2026-03-03");
    expect(second.result.sent).toBe(1);
    const req = hook.requests[1];
    const body = JSON.parse(req?.body ?? "{}");
    expect(body).toMatchObject({
      event: "dunning.step",
      customer: { ref: "C-W", name: "Webhook SA" },
      step: { name: "Webhook J+1", offsetDays: 1 },
      documents: [{ number: "FW-1", outstanding: "123.45", daysLate: 1 }],
      totals: { outstanding: "123.45" },
      subject: "Relance Webhook SA",
    });
    const sig = String(req?.headers["x-relance-signature"]);
    const ts = /t=(\d+)/.exec(sig)?.[1];
    expect(sig).toBe(`t=${ts},v1=${createHmac("sha256", "s3cret-s3cret-s3cret").update(`${ts}.${req?.body}`).digest("hex")}`);
    expect(req?.headers["idempotency-key"]).toBe(`dunning-${o.org.id}-1@acme.example`);
    expect(hook.requests[0]?.headers["idempotency-key"]).toBe(req?.headers["idempotency-key"]);

    const call = await run("2026-03-05");
    expect(call.result.messages.map((m) => [m.step, m.channel, m.status])).toEqual([["Appel J+3", "call", "sent"]]);
    const tasks = await t.store.db
      .selectFrom("tasks")
      .select(["kind", "title", "due_date", "status"])
      .where("org_id", "=", o.org.id)
      .execute();
    expect(tasks).toEqual([{ kind: "call", title: "Appeler Webhook SA (123,45\u00a0€)", due_date: "2026-03-05", status: "open" }]);

    // A 4xx is permanent.
    const d = await customer(t.store, o.org.id, "C-X");
    await makeInvoice(t.store, o.org.id, d.id, "FX-1", 50_000, "2026-03-04", "2026-03-04");
    hook.status = 410;
    const gone = await run("2026-03-05");
    expect(gone.result.failed).toBe(1);
    expect((await activityRows(t.store, o.org.id)).some((a) => a.kind === "reminder_failed" && a.customer_id === d.id)).toBe(true);
    expect(policy.steps).toHaveLength(2);
  });

  it("runs the schedule inside the server: plans at the cron time and delivers within the sending window", async () => {
    files = await tempDir();
    process.env.RELANCE_MAIL_DIR = files;
    t = await openTestDb(backend);
    const o = await chaseOrg(t.store);
    const c = await customer(t.store, o.org.id, "C-S");
    const now = today();
    await makeInvoice(t.store, o.org.id, c.id, "FS-1", 80_000, addDays(now, -40), addDays(now, -20));
    await updateSettings(t.store.db, o.owner, { "dunning.schedule": "* * * * * *", "dunning.window": "00:00-24:00" });
    const logs: unknown[] = [];
    const scheduler = startScheduler(t.store, { info: (o) => logs.push(o), error: (o) => logs.push(o) }, { sweepSeconds: 1 });
    try {
      const start = Date.now();
      while (Date.now() - start < 20_000) {
        const rows = await outboxRows(t.store, o.org.id);
        if (rows.length > 0 && rows.every((r) => r.status === "sent")) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await scheduler.stop();
      delete process.env.RELANCE_MAIL_DIR;
    }
    const rows = await outboxRows(t.store, o.org.id);
    expect(rows.map((r) => [r.status, (r.payload as { step?: string }).step])).toEqual([["sent", "Relance ferme"]]);
    expect(inWindow("08:00-19:00", "Europe/Paris", new Date("2026-03-03T06:59:00Z"))).toBe(false); // 07:59 in Paris
    expect(inWindow("08:00-19:00", "Europe/Paris", new Date("2026-03-03T07:00:00Z"))).toBe(true);
  });
});
