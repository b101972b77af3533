/**
 * `relance dunning run`, POST /api/dunning/run and the scheduler: plan what is due at the
 * as-of date (engine), then deliver what is pending (worker). The JSON contract (DESIGN §4):
 * {"asOf","planned","sent","failed","skipped":{"dispute","promise","hold","minimum"},
 *  "messages":[{"customer","step","channel","documents":[…]}]}
 * `skipped` counts documents held back per reason ("hold" includes customers marked
 * do-not-chase). A second run for the same date plans and sends nothing new; a dry run
 * writes nothing.
 */

import { toDecimalString } from "../domain/money.js";
import { type EngineResult, planRun } from "../dunning/engine.js";
import type { MailTransport } from "../dunning/transport.js";
import { type DeliveryReport, deliverDue } from "../dunning/worker.js";
import type { Store } from "../store/connect.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";

export interface RunDunningOptions {
  asOf?: string;
  dryRun?: boolean;
  /** Deliver pending messages after planning (default true). */
  deliver?: boolean;
  transport?: MailTransport;
  filesDir?: string;
  workerOptions?: { leaseSeconds?: number; backoffSeconds?: number; maxAttempts?: number; concurrency?: number };
  /** Messages recorded, then sent, so far (the CLI's progress bar). */
  onProgress?: (p: { phase: "record" | "send"; done: number; total: number }) => void;
}

export interface RunDunningMessage {
  customer: string;
  customerName: string;
  step: string;
  offsetDays: number;
  channel: string;
  status: string;
  documents: string[];
  total: string;
  outboxId: number | null;
}

export interface RunDunningResult {
  asOf: string;
  planned: number;
  sent: number;
  failed: number;
  skipped: { dispute: number; promise: number; hold: number; minimum: number };
  messages: RunDunningMessage[];
}

export interface RunDunningReport {
  result: RunDunningResult;
  engine: EngineResult;
  delivery: DeliveryReport | null;
}

export async function runDunning(store: Store, actor: Actor, options: RunDunningOptions = {}): Promise<RunDunningReport> {
  requirePermission(actor, options.dryRun ? "read" : "collect:write");
  const progress = options.onProgress;
  const engine = await planRun(store.db, actor.orgId, {
    asOf: options.asOf,
    dryRun: options.dryRun,
    onProgress: progress && ((p) => progress({ phase: "record", ...p })),
  });
  let delivery: DeliveryReport | null = null;
  if (!options.dryRun && options.deliver !== false) {
    delivery = await deliverDue({
      store,
      orgId: actor.orgId,
      transport: options.transport,
      filesDir: options.filesDir,
      ...options.workerOptions,
      onProgress: progress && ((p) => progress({ phase: "send", ...p })),
    });
  }
  if (!options.dryRun) {
    await audit(store.db, actor, "run", "dunning", null, {
      asOf: engine.asOf,
      planned: engine.planned,
      sent: delivery?.sent ?? 0,
      failed: delivery?.failed ?? 0,
    });
  }
  const outcomeBy = new Map((delivery?.outcomes ?? []).map((o) => [o.outboxId, o.status]));
  const c = engine.suppressed;
  const result: RunDunningResult = {
    asOf: engine.asOf,
    planned: engine.planned,
    sent: delivery?.sent ?? 0,
    failed: delivery?.failed ?? 0,
    skipped: { dispute: c.dispute, promise: c.promise, hold: c.hold + c.do_not_chase, minimum: c.minimum },
    messages: engine.messages.map((m) => ({
      customer: m.customerRef,
      customerName: m.customerName,
      step: m.stepName,
      offsetDays: m.offsetDays,
      channel: m.channel,
      status: (m.outboxId !== null ? outcomeBy.get(m.outboxId) : undefined) ?? m.status,
      documents: m.documents,
      total: toDecimalString(m.total),
      outboxId: m.outboxId,
    })),
  };
  return { result, engine, delivery };
}
