/**
 * The dunning engine (DESIGN §6): loads the state of an organisation's receivables at an
 * as-of date, asks the pure planner what is due, and records it — for each message, its
 * outbox row and the `dunning_events` rows of its documents in the same transaction.
 * The unique key (org_id, document_id, step_id) makes a second run for the same date a
 * no-op, also when two runs race: events that lose the race are not inserted, and an
 * outbox row left without events is deleted in the same transaction (so at most one
 * message exists per document and step).
 * Messages are written in batches (several whole messages per transaction, each message
 * atomic with its events) so that a first run over a large ledger stays fast.
 * `dryRun` writes nothing.
 */
import { sql } from "kysely";
import { today as todayIn } from "../domain/dates.js";
import { type PlanPolicy, type PlanPromise, planDunning, type SuppressionReason } from "../domain/dunning-plan.js";
import { ensureShippedPolicies, loadPolicies, type PolicyView } from "../services/dunning-policies.js";
import { readSettings } from "../services/settings.js";
import type { Db } from "../store/connect.js";
import { recordActivity } from "./activities.js";
import { chaseDb } from "./schema.js";
import { SHIPPED_POLICIES } from "./shipped-policies.js";

export interface EngineOptions {
  asOf?: string;
  dryRun?: boolean;
  /** Messages per transaction (default 500). */
  batchSize?: number;
}

export interface EngineMessage {
  outboxId: number | null;
  customerId: number;
  customerRef: string;
  customerName: string;
  stepId: number;
  stepName: string;
  offsetDays: number;
  channel: string;
  status: "pending" | "awaiting_approval" | "dry_run";
  documentIds: number[];
  documents: string[];
  total: number;
}

export interface EngineResult {
  asOf: string;
  dryRun: boolean;
  planned: number;
  messages: EngineMessage[];
  /** Steps recorded as skipped by the catch-up rule. */
  skippedSteps: number;
  /** Documents held back, per reason. */
  suppressed: Record<SuppressionReason, number>;
  promisesBroken: number;
  promisesKept: number;
}

/** The shipped policies in memory (negative ids), for a dry run on an organisation that has none yet. */
function shippedViews(): PolicyView[] {
  let id = -1;
  return SHIPPED_POLICIES.map((p) => ({
    id: id--,
    name: p.name,
    description: p.description,
    shippedKey: p.key,
    isDefault: p.isDefault,
    minOutstanding: p.minOutstanding,
    steps: p.steps.map((s, i) => ({
      id: id--,
      position: i + 1,
      name: s.name,
      offsetDays: s.offsetDays,
      channel: s.channel,
      templates: s.templates,
      attachStatement: s.attachStatement ?? false,
      attachLetter: s.attachLetter ?? false,
      includePenalties: s.includePenalties ?? false,
      requireApproval: s.requireApproval ?? false,
      minOutstanding: s.minOutstanding ?? null,
    })),
    archivedSteps: [],
  }));
}

interface DocRow {
  id: number;
  customer_id: number;
  kind: "invoice" | "credit_note";
  number: string;
  due_date: string;
  disputed: boolean;
  on_hold_until: string | null;
  outstanding: number;
}

/**
 * Promises whose date has passed: kept when the customer's payments since the promise
 * cover its amount, broken otherwise (the chase resumes). Recorded on the timeline.
 */
async function settlePromises(db: Db, orgId: number, asOf: string): Promise<{ kept: number; broken: number }> {
  const due = await db
    .selectFrom("promises as pr")
    .select([
      "pr.id",
      "pr.customer_id",
      "pr.amount",
      "pr.promised_date",
      sql<number>`coalesce((select sum(p.amount) from payments p where p.org_id = pr.org_id and p.customer_id = pr.customer_id
        and p.date >= (pr.created_at at time zone 'Europe/Paris')::date and p.date <= pr.promised_date), 0)`.as("paid"),
    ])
    .where("pr.org_id", "=", orgId)
    .where("pr.status", "=", "pending")
    .where("pr.promised_date", "<", asOf)
    .execute();
  let kept = 0;
  let broken = 0;
  for (const p of due) {
    const status = p.paid >= p.amount ? "kept" : "broken";
    await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable("promises")
        .set({ status })
        .where("org_id", "=", orgId)
        .where("id", "=", p.id)
        .where("status", "=", "pending")
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return;
      await recordActivity(trx, orgId, {
        customerId: p.customer_id,
        kind: status === "kept" ? "promise_kept" : "promise_broken",
        actor: "dunning",
        data: { promiseId: p.id, amount: p.amount, promisedDate: p.promised_date, paid: p.paid },
      });
      if (status === "kept") kept++;
      else broken++;
    });
  }
  return { kept, broken };
}

export async function planRun(db: Db, orgId: number, options: EngineOptions = {}): Promise<EngineResult> {
  const cdb = chaseDb(db);
  const settings = await readSettings(db, orgId);
  const asOf = options.asOf ?? todayIn(settings["dunning.timezone"] ?? "Europe/Paris");
  const dryRun = options.dryRun ?? false;
  if (!dryRun) await ensureShippedPolicies(db, orgId);
  let policies = await loadPolicies(db, orgId);
  if (policies.length === 0) policies = shippedViews();
  const defaultPolicy = policies.find((p) => p.isDefault) ?? policies[0];
  const promiseStats = dryRun ? { kept: 0, broken: 0 } : await settlePromises(db, orgId, asOf);

  // Candidates only: open invoices for which a step not yet recorded falls on or before
  // as-of (on calendar days: the business-day shift only moves a step later; the planner
  // applies it). Each with the largest offset already recorded and its customer's balance
  // (Σ outstanding of all its open documents), so the planner needs nothing else.
  const stepsSql = policies.flatMap((p) => p.steps.map((s) => ({ policy: p.id, offset: s.offsetDays })));
  const defaultId = defaultPolicy?.id ?? 0;
  const [customers, unallocated, docs, promises] = await Promise.all([
    cdb
      .selectFrom("customers")
      .select(["id", "ref", "name", "status", "on_hold_until", "dunning_policy_id"])
      .where("org_id", "=", orgId)
      .execute(),
    sql<{ customer_id: number; u: number }>`
      select p.customer_id, sum(p.amount - coalesce(a.s, 0))::bigint as u
      from payments p
      left join (select payment_id, sum(amount) as s from allocations where org_id = ${orgId} and date <= ${asOf}::date group by payment_id) a
        on a.payment_id = p.id
      where p.org_id = ${orgId} and p.customer_id is not null and p.date <= ${asOf}::date
      group by p.customer_id
      having sum(p.amount - coalesce(a.s, 0)) > 0`.execute(db),
    sql<DocRow & { last_offset: number | null; balance: number }>`
      with open_docs as (
        select d.id, d.customer_id, d.kind, d.number, d.due_date, d.on_hold_until, d.disputed,
          (d.total - coalesce(a.s, 0) - coalesce(w.s, 0))::bigint as outstanding
        from documents d
        left join (select document_id, sum(amount) as s from allocations where org_id = ${orgId} and date <= ${asOf}::date group by document_id) a
          on a.document_id = d.id
        left join (select document_id, sum(amount) as s from write_offs where org_id = ${orgId} and date <= ${asOf}::date group by document_id) w
          on w.document_id = d.id
        where d.org_id = ${orgId} and d.issue_date <= ${asOf}::date
          and d.total - coalesce(a.s, 0) - coalesce(w.s, 0) <> 0
      ),
      steps as (select * from unnest(${stepsSql.map((x) => x.policy)}::bigint[], ${stepsSql.map((x) => x.offset)}::int[]) as s(policy_id, offset_days)),
      candidates as (
        select o.*
        from open_docs o
        join customers c on c.org_id = ${orgId} and c.id = o.customer_id
        where o.kind = 'invoice' and o.outstanding > 0
          and exists (
            select 1 from steps s
            where s.policy_id = coalesce(c.dunning_policy_id, ${defaultId})
              and o.due_date + s.offset_days <= ${asOf}::date
              -- no step at this offset or later recorded yet (index lookups on the document's events)
              and not exists (
                select 1 from dunning_events e join dunning_steps st on st.org_id = e.org_id and st.id = e.step_id
                where e.org_id = ${orgId} and e.document_id = o.id and st.offset_days >= s.offset_days))
      ),
      balances as (
        select customer_id, sum(outstanding)::bigint as balance from open_docs
        where customer_id in (select customer_id from candidates) group by customer_id
      )
      select k.id, k.customer_id, k.kind, k.number, k.due_date, k.on_hold_until, k.outstanding, b.balance,
        (select max(st.offset_days) from dunning_events e join dunning_steps st on st.org_id = e.org_id and st.id = e.step_id
          where e.org_id = ${orgId} and e.document_id = k.id) as last_offset,
        (k.disputed or exists (select 1 from disputes x where x.org_id = ${orgId} and x.document_id = k.id and x.status = 'open')) as disputed
      from candidates k
      join balances b on b.customer_id = k.customer_id`.execute(db),
    db
      .selectFrom("promises")
      .select(["customer_id", "promised_date", "status"])
      .where("org_id", "=", orgId)
      .where("status", "=", "pending")
      .execute(),
  ]);

  const policyIds = new Set(policies.map((p) => p.id));
  const unallocatedBy = new Map(unallocated.rows.map((r) => [r.customer_id, r.u]));
  const balanceBy = new Map(docs.rows.map((r) => [r.customer_id, r.balance]));
  const customerBy = new Map(customers.map((c) => [c.id, c]));
  const archived = new Map<number, number>();
  for (const p of policies) for (const s of p.archivedSteps ?? []) archived.set(s.id, s.offsetDays);
  const plan = planDunning({
    asOf,
    policies: policies.map(
      (p): PlanPolicy => ({
        id: p.id,
        minOutstanding: p.minOutstanding,
        steps: p.steps.map((s) => ({
          id: s.id,
          position: s.position,
          name: s.name,
          offsetDays: s.offsetDays,
          channel: s.channel,
          requireApproval: s.requireApproval,
          minOutstanding: s.minOutstanding,
        })),
      }),
    ),
    customers: customers
      .filter((c) => balanceBy.has(c.id))
      .map((c) => ({
        id: c.id,
        status: c.status,
        onHoldUntil: c.on_hold_until,
        policyId: c.dunning_policy_id !== null && policyIds.has(c.dunning_policy_id) ? c.dunning_policy_id : defaultId,
        unallocated: unallocatedBy.get(c.id) ?? 0,
        balance: balanceBy.get(c.id) ?? 0,
      })),
    documents: docs.rows.map((d) => ({
      id: d.id,
      customerId: d.customer_id,
      kind: d.kind,
      number: d.number,
      dueDate: d.due_date,
      outstanding: d.outstanding,
      disputed: d.disputed,
      onHoldUntil: d.on_hold_until,
    })),
    events: [],
    lastOffsets: new Map(docs.rows.filter((d) => d.last_offset !== null).map((d) => [d.id, d.last_offset as number])),
    promises: promises.map((p): PlanPromise => ({ customerId: p.customer_id, promisedDate: p.promised_date, status: p.status })),
    archivedStepOffsets: archived,
    holidays: { alsaceMoselle: settings["dunning.alsace_moselle"] ?? false },
  });

  const stepBy = new Map(policies.flatMap((p) => p.steps.map((s) => [s.id, s] as const)));
  const numberBy = new Map(docs.rows.map((d) => [d.id, d.number]));
  const describe = (m: (typeof plan.messages)[number], outboxId: number | null, documentIds: number[]): EngineMessage => {
    const c = customerBy.get(m.customerId);
    const s = stepBy.get(m.stepId);
    return {
      outboxId,
      customerId: m.customerId,
      customerRef: c?.ref ?? String(m.customerId),
      customerName: c?.name ?? "",
      stepId: m.stepId,
      stepName: s?.name ?? String(m.stepId),
      offsetDays: s?.offsetDays ?? 0,
      channel: m.channel,
      status: dryRun ? "dry_run" : m.requireApproval ? "awaiting_approval" : "pending",
      documentIds,
      documents: documentIds.map((id) => numberBy.get(id) ?? String(id)),
      total: m.total,
    };
  };

  const result: EngineResult = {
    asOf,
    dryRun,
    planned: 0,
    messages: [],
    skippedSteps: plan.skippedSteps.length,
    suppressed: plan.counts,
    promisesBroken: promiseStats.broken,
    promisesKept: promiseStats.kept,
  };
  if (dryRun) {
    result.messages = plan.messages.map((m) => describe(m, null, m.documentIds));
    result.planned = result.messages.length;
    return result;
  }

  const skippedBy = new Map<number, typeof plan.skippedSteps>();
  for (const s of plan.skippedSteps) {
    const list = skippedBy.get(s.customerId);
    if (list) list.push(s);
    else skippedBy.set(s.customerId, [s]);
  }
  const batchSize = Math.max(1, options.batchSize ?? 2000);
  let skippedWritten = 0;
  const payloadOf = (stepId: number, documentIds: number[]) => {
    const s = stepBy.get(stepId);
    return JSON.stringify({ documentIds, step: s?.name, offsetDays: s?.offsetDays });
  };
  for (let i = 0; i < plan.messages.length; i += batchSize) {
    const batch = plan.messages.slice(i, i + batchSize);
    // Rows go in as one array per column (unnest): one statement per table, whatever the batch size.
    const written = await db.transaction().execute(async (trx) => {
      const outbox = await sql<{ id: number; customer_id: number; step_id: number }>`
        insert into outbox (org_id, customer_id, policy_id, step_id, channel, status, as_of, payload)
        select ${orgId}, x.customer_id, x.policy_id, x.step_id, x.channel, x.status, ${asOf}::date, x.payload::jsonb
        from unnest(${batch.map((m) => m.customerId)}::bigint[], ${batch.map((m) => m.policyId)}::bigint[],
                    ${batch.map((m) => m.stepId)}::bigint[], ${batch.map((m) => m.channel)}::text[],
                    ${batch.map((m) => (m.requireApproval ? "awaiting_approval" : "pending"))}::text[],
                    ${batch.map((m) => payloadOf(m.stepId, m.documentIds))}::text[])
          as x(customer_id, policy_id, step_id, channel, status, payload)
        returning id, customer_id, step_id`.execute(trx);
      const outboxId = new Map(outbox.rows.map((o) => [`${o.customer_id}|${o.step_id}`, o.id]));
      const ev = {
        doc: [] as number[],
        step: [] as number[],
        customer: [] as number[],
        status: [] as string[],
        date: [] as string[],
        outbox: [] as number[],
      };
      for (const m of batch) {
        const id = outboxId.get(`${m.customerId}|${m.stepId}`) as number;
        m.documentIds.forEach((documentId, k) => {
          ev.doc.push(documentId);
          ev.step.push(m.stepId);
          ev.customer.push(m.customerId);
          ev.status.push(m.requireApproval ? "awaiting_approval" : "planned");
          ev.date.push(m.scheduledDates[k] as string);
          ev.outbox.push(id);
        });
      }
      // Skipped steps (catch-up) of this batch's customers, in the same statement.
      const customersInBatch = new Set(batch.map((m) => m.customerId));
      let skippedHere = 0;
      for (const c of customersInBatch) {
        for (const k of skippedBy.get(c) ?? []) {
          ev.doc.push(k.documentId);
          ev.step.push(k.stepId);
          ev.customer.push(k.customerId);
          ev.status.push("skipped");
          ev.date.push(k.scheduledDate);
          ev.outbox.push(0);
          skippedHere++;
        }
      }
      const inserted = await sql<{ outbox_id: number | null; document_id: number }>`
        insert into dunning_events (org_id, document_id, step_id, customer_id, status, reason, scheduled_date, as_of, outbox_id)
        select ${orgId}, x.document_id, x.step_id, x.customer_id, x.status,
               case when x.status = 'skipped' then 'catch_up' end, x.scheduled_date, ${asOf}::date, nullif(x.outbox_id, 0)
        from unnest(${ev.doc}::bigint[], ${ev.step}::bigint[], ${ev.customer}::bigint[], ${ev.status}::text[],
                    ${ev.date}::date[], ${ev.outbox}::bigint[])
          as x(document_id, step_id, customer_id, status, scheduled_date, outbox_id)
        on conflict (org_id, document_id, step_id) do nothing
        returning outbox_id, document_id`.execute(trx);
      const mine = new Map<number, Set<number>>();
      let skipped = 0;
      for (const r of inserted.rows) {
        if (r.outbox_id === null) {
          skipped++;
          continue;
        }
        const set = mine.get(r.outbox_id);
        if (set) set.add(r.document_id);
        else mine.set(r.outbox_id, new Set([r.document_id]));
      }
      // Reconcile with a concurrent run: keep only the documents this run recorded.
      const kept: EngineMessage[] = [];
      const orphans: number[] = [];
      for (const m of batch) {
        const id = outboxId.get(`${m.customerId}|${m.stepId}`) as number;
        const docsMine = mine.get(id);
        if (!docsMine || docsMine.size === 0) {
          orphans.push(id);
          continue;
        }
        const docsKept = m.documentIds.filter((d) => docsMine.has(d));
        if (docsKept.length !== m.documentIds.length) {
          await chaseDb(trx)
            .updateTable("outbox")
            .set({ payload: payloadOf(m.stepId, docsKept) })
            .where("org_id", "=", orgId)
            .where("id", "=", id)
            .execute();
        }
        kept.push(describe(m, id, docsKept));
      }
      if (orphans.length) await chaseDb(trx).deleteFrom("outbox").where("org_id", "=", orgId).where("id", "in", orphans).execute();
      return { kept, skipped: Math.min(skipped, skippedHere) };
    });
    result.messages.push(...written.kept);
    skippedWritten += written.skipped;
  }
  result.planned = result.messages.length;
  result.skippedSteps = skippedWritten;
  return result;
}
