import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { expect } from "vitest";
import { chaseDb } from "../../src/dunning/schema.js";
import { updateSettings } from "../../src/services/settings.js";
import type { Db, Store } from "../../src/store/connect.js";
import { makeCustomer, makeOrg } from "../helpers/factories.js";

export interface TestSmtp {
  url: string;
  port: number;
  messages: ParsedMail[];
  /** Raw RCPT TO addresses of every accepted message, in order. */
  close(): Promise<void>;
  /** Waits until at least n messages were received. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
}

/**
 * A real SMTP server in the test process (smtp-server), parsing what it receives with
 * mailparser. `reject(rcpt)` may answer a recipient with an SMTP error code.
 */
export async function startSmtp(options: { reject?: (rcpt: string) => { code: number; message: string } | null } = {}): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, callback) {
      const r = options.reject?.(address.address);
      if (r) return callback(Object.assign(new Error(r.message), { responseCode: r.code }));
      callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        simpleParser(Buffer.concat(chunks))
          .then((m) => {
            messages.push(m);
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    async waitFor(n, timeoutMs = 20_000) {
      const start = Date.now();
      while (messages.length < n) {
        if (Date.now() - start > timeoutMs) throw new Error(`expected ${n} messages, got ${messages.length}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

export const tempDir = (prefix = "relance-files-") => mkdtemp(path.join(tmpdir(), prefix));

/** An organisation set up for chasing: identity, mail sender, bank details, base URL. */
export async function chaseOrg(store: Store, slug = "acme") {
  const o = await makeOrg(store, slug);
  await updateSettings(store.db, o.owner, {
    "company.name": "ACME Industrie SAS",
    "company.address": "10 avenue de la République\n69002 Lyon",
    "company.siren": "552100554",
    "mail.from": "Relances ACME <relances@acme.example>",
    "mail.reply_to": "compta@acme.example",
    "bank.iban": "FR76 3000 6000 0112 3456 7890 189",
    "bank.bic": "AGRIFRPP",
    base_url: "https://relance.acme.example",
  });
  return o;
}

export async function customer(store: Store, orgId: number, ref: string, extra: Record<string, unknown> = {}) {
  return makeCustomer(store, orgId, ref, { email: `${ref.toLowerCase()}@client.example`, ...extra });
}

export async function outboxRows(store: Store, orgId: number) {
  return chaseDb(store.db).selectFrom("outbox").selectAll().where("org_id", "=", orgId).orderBy("id").execute();
}

export async function eventRows(store: Store, orgId: number) {
  return chaseDb(store.db).selectFrom("dunning_events").selectAll().where("org_id", "=", orgId).orderBy("id").execute();
}

export async function activityRows(store: Store, orgId: number) {
  return chaseDb(store.db).selectFrom("activities").selectAll().where("org_id", "=", orgId).orderBy("id").execute();
}

export async function pay(store: Store, orgId: number, customerId: number, documentId: number, amount: number, date: string) {
  const p = await store.db
    .insertInto("payments")
    .values({ org_id: orgId, customer_id: customerId, date, amount })
    .returning("id")
    .executeTakeFirstOrThrow();
  await store.db.insertInto("allocations").values({ org_id: orgId, payment_id: p.id, document_id: documentId, amount, date }).execute();
}

/**
 * Runs `concurrent` (on another connection) while a transaction of `db` that did `hold` is
 * still open: it must still be waiting 300 ms later. Then commits, and returns how
 * `concurrent` ended: "ok", or its error's SQLSTATE.
 */
export async function waitsForCommit(db: Db, hold: (trx: Db) => Promise<unknown>, concurrent: () => Promise<unknown>): Promise<string> {
  let settled: string | null = null;
  let outcome: Promise<string> = Promise.resolve("not started");
  await db.transaction().execute(async (trx) => {
    await hold(trx);
    outcome = concurrent().then(
      () => "ok",
      (e: { code?: string }) => e.code ?? String(e),
    );
    void outcome.then((v) => {
      settled = v;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBeNull();
  });
  return outcome;
}
