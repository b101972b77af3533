/**
 * Dunning policies: the shipped ones (created per organisation on first use, so that
 * organisations created before migration 0004 get them too), listing, creation, edition
 * with validation (templates are rendered against a sample context), and assignment to a
 * customer.
 */
import { sql } from "kysely";
import { recordActivity } from "../dunning/activities.js";
import { sampleContext } from "../dunning/context.js";
import { type Channel, chaseDb, type StepTemplates } from "../dunning/schema.js";
import { SHIPPED_POLICIES } from "../dunning/shipped-policies.js";
import { validateTemplates } from "../dunning/templates.js";
import { conflict, invalid, notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";

export interface StepView {
  id: number;
  position: number;
  name: string;
  offsetDays: number;
  channel: Channel;
  templates: StepTemplates;
  attachStatement: boolean;
  attachLetter: boolean;
  includePenalties: boolean;
  requireApproval: boolean;
  minOutstanding: number | null;
}

export interface PolicyView {
  id: number;
  name: string;
  description: string;
  shippedKey: string | null;
  isDefault: boolean;
  minOutstanding: number;
  steps: StepView[];
  /** Steps removed from the policy, kept for the history of events. */
  archivedSteps?: { id: number; offsetDays: number }[];
}

// Any constant; with the org id, serialises the creation of shipped policies.
const SHIPPED_LOCK = 727_455_104;

/** Creates the shipped policies of an organisation if missing (idempotent, race-safe). */
export async function ensureShippedPolicies(db: Db, orgId: number): Promise<void> {
  const cdb = chaseDb(db);
  const existing = await cdb
    .selectFrom("dunning_policies")
    .select("shipped_key")
    .where("org_id", "=", orgId)
    .where("shipped_key", "is not", null)
    .execute();
  if (existing.length >= SHIPPED_POLICIES.length) return;
  await db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    await sql`select pg_advisory_xact_lock(${SHIPPED_LOCK}::int, ${orgId}::int)`.execute(trx);
    const hasDefault = await trx
      .selectFrom("dunning_policies")
      .select("id")
      .where("org_id", "=", orgId)
      .where("is_default", "=", true)
      .executeTakeFirst();
    for (const p of SHIPPED_POLICIES) {
      const inserted = await trx
        .insertInto("dunning_policies")
        .values({
          org_id: orgId,
          name: p.name,
          shipped_key: p.key,
          description: p.description,
          is_default: p.isDefault && !hasDefault,
          min_outstanding: p.minOutstanding,
        })
        .onConflict((oc) => oc.doNothing())
        .returning("id")
        .executeTakeFirst();
      if (!inserted) continue;
      await trx
        .insertInto("dunning_steps")
        .values(
          p.steps.map((s, i) => ({
            org_id: orgId,
            policy_id: inserted.id,
            position: i + 1,
            name: s.name,
            offset_days: s.offsetDays,
            channel: s.channel,
            templates: JSON.stringify(s.templates),
            attach_statement: s.attachStatement ?? false,
            attach_letter: s.attachLetter ?? false,
            include_penalties: s.includePenalties ?? false,
            require_approval: s.requireApproval ?? false,
            min_outstanding: s.minOutstanding ?? null,
          })),
        )
        .execute();
    }
  });
}

function stepView(s: {
  id: number;
  position: number;
  name: string;
  offset_days: number;
  channel: Channel;
  templates: StepTemplates;
  attach_statement: boolean;
  attach_letter: boolean;
  include_penalties: boolean;
  require_approval: boolean;
  min_outstanding: number | null;
}): StepView {
  return {
    id: s.id,
    position: s.position,
    name: s.name,
    offsetDays: s.offset_days,
    channel: s.channel,
    templates: s.templates,
    attachStatement: s.attach_statement,
    attachLetter: s.attach_letter,
    includePenalties: s.include_penalties,
    requireApproval: s.require_approval,
    minOutstanding: s.min_outstanding,
  };
}

/** Policies with their active steps (in order), for the planner and the API. */
export async function loadPolicies(db: Db, orgId: number, options: { policyId?: number } = {}): Promise<PolicyView[]> {
  const cdb = chaseDb(db);
  let pq = cdb.selectFrom("dunning_policies").selectAll().where("org_id", "=", orgId);
  if (options.policyId !== undefined) pq = pq.where("id", "=", options.policyId);
  const policies = await pq.orderBy("is_default", "desc").orderBy("name").execute();
  if (policies.length === 0) return [];
  let sq = cdb.selectFrom("dunning_steps").selectAll().where("org_id", "=", orgId);
  if (options.policyId !== undefined) sq = sq.where("policy_id", "=", options.policyId);
  const steps = await sq.orderBy("position").orderBy("id").execute();
  return policies.map((p) => ({
    id: p.id,
    name: p.name,
    description: p.description,
    shippedKey: p.shipped_key,
    isDefault: p.is_default,
    minOutstanding: p.min_outstanding,
    steps: steps.filter((s) => s.policy_id === p.id && s.active).map(stepView),
    archivedSteps: steps.filter((s) => s.policy_id === p.id && !s.active).map((s) => ({ id: s.id, offsetDays: s.offset_days })),
  }));
}

export async function listPolicies(db: Db, actor: Actor): Promise<PolicyView[]> {
  requirePermission(actor, "read");
  await ensureShippedPolicies(db, actor.orgId);
  return (await loadPolicies(db, actor.orgId)).map(({ archivedSteps: _, ...p }) => p);
}

export async function getPolicy(db: Db, actor: Actor, id: number): Promise<PolicyView> {
  requirePermission(actor, "read");
  await ensureShippedPolicies(db, actor.orgId);
  const [p] = await loadPolicies(db, actor.orgId, { policyId: id });
  if (!p) throw notFound("dunning policy");
  const { archivedSteps: _, ...view } = p;
  return view;
}

export interface StepInput {
  id?: number;
  name: string;
  offsetDays: number;
  channel: Channel;
  templates: StepTemplates;
  attachStatement?: boolean;
  attachLetter?: boolean;
  includePenalties?: boolean;
  requireApproval?: boolean;
  minOutstanding?: number | null;
}

export interface PolicyInput {
  name: string;
  description?: string;
  isDefault?: boolean;
  minOutstanding?: number;
  steps: StepInput[];
}

async function validateSteps(steps: StepInput[]): Promise<void> {
  const problems: { field: string; message: string }[] = [];
  if (steps.length === 0) problems.push({ field: "steps", message: "a policy needs at least one step" });
  steps.forEach((s, i) => {
    if (!s.templates.fr && !s.templates.en)
      problems.push({ field: `steps.${i}.templates`, message: "a template in French or English is required" });
    if (s.attachLetter && s.channel !== "email")
      problems.push({ field: `steps.${i}.attachLetter`, message: "only an email can carry a letter" });
  });
  if (problems.length) throw invalid("invalid policy", problems);
  const checks: { lang: "fr" | "en"; field: string; source: string }[] = [];
  steps.forEach((s, i) => {
    for (const lang of ["fr", "en"] as const) {
      const t = s.templates[lang];
      if (!t) continue;
      checks.push({ lang, field: `steps.${i}.templates.${lang}.subject`, source: t.subject });
      checks.push({ lang, field: `steps.${i}.templates.${lang}.body`, source: t.body });
    }
  });
  const all: { field?: string; message: string }[] = [];
  for (const lang of ["fr", "en"] as const) {
    try {
      await validateTemplates(
        checks.filter((c) => c.lang === lang),
        sampleContext(lang),
      );
    } catch (error) {
      all.push(...((error as { problems?: { field?: string; message: string }[] }).problems ?? []));
    }
  }
  if (all.length) {
    const order = new Map(checks.map((c, i) => [c.field, i]));
    all.sort((a, b) => (order.get(a.field ?? "") ?? 0) - (order.get(b.field ?? "") ?? 0));
    throw invalid("invalid template", all);
  }
}

const stepColumns = (orgId: number, policyId: number, s: StepInput, position: number) => ({
  org_id: orgId,
  policy_id: policyId,
  position,
  name: s.name,
  offset_days: s.offsetDays,
  channel: s.channel,
  templates: JSON.stringify(s.templates),
  attach_statement: s.attachStatement ?? false,
  attach_letter: s.attachLetter ?? false,
  include_penalties: s.includePenalties ?? false,
  require_approval: s.requireApproval ?? false,
  min_outstanding: s.minOutstanding ?? null,
});

export async function createPolicy(db: Db, actor: Actor, input: PolicyInput): Promise<PolicyView> {
  requirePermission(actor, "collect:write");
  await ensureShippedPolicies(db, actor.orgId);
  await validateSteps(input.steps);
  const id = await db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    if (input.isDefault) await trx.updateTable("dunning_policies").set({ is_default: false }).where("org_id", "=", actor.orgId).execute();
    const p = await trx
      .insertInto("dunning_policies")
      .values({
        org_id: actor.orgId,
        name: input.name,
        shipped_key: null,
        description: input.description ?? "",
        is_default: input.isDefault ?? false,
        min_outstanding: input.minOutstanding ?? 0,
      })
      .onConflict((oc) => oc.columns(["org_id", "name"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!p) throw conflict(`a policy named "${input.name}" already exists`);
    await trx
      .insertInto("dunning_steps")
      .values(input.steps.map((s, i) => stepColumns(actor.orgId, p.id, s, i + 1)))
      .execute();
    await audit(raw, actor, "create", "dunning_policy", p.id, { name: input.name, steps: input.steps.length });
    return p.id;
  });
  return getPolicy(db, actor, id);
}

/**
 * Updates a policy. With `steps`, the list replaces the policy's steps: a step with the id
 * of an existing step updates it, one without id is added, and existing steps left out are
 * archived (kept, inactive: their events still say what was sent).
 */
export async function updatePolicy(db: Db, actor: Actor, id: number, input: Partial<PolicyInput>): Promise<PolicyView> {
  requirePermission(actor, "collect:write");
  const before = await getPolicy(db, actor, id);
  if (input.steps) await validateSteps(input.steps);
  if (input.isDefault === false && before.isDefault) {
    throw invalid("a policy cannot stop being the default: make another policy the default instead", [
      { field: "isDefault", message: "set isDefault on the new default policy" },
    ]);
  }
  await db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    if (input.isDefault) await trx.updateTable("dunning_policies").set({ is_default: false }).where("org_id", "=", actor.orgId).execute();
    if (input.name && input.name !== before.name) {
      const clash = await trx
        .selectFrom("dunning_policies")
        .select("id")
        .where("org_id", "=", actor.orgId)
        .where("name", "=", input.name)
        .executeTakeFirst();
      if (clash) throw conflict(`a policy named "${input.name}" already exists`);
    }
    await trx
      .updateTable("dunning_policies")
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.minOutstanding !== undefined ? { min_outstanding: input.minOutstanding } : {}),
        ...(input.isDefault ? { is_default: true } : {}),
        updated_at: new Date(),
      })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .execute();
    if (input.steps) {
      const known = new Set(before.steps.map((s) => s.id));
      input.steps.forEach((s, i) => {
        if (s.id !== undefined && !known.has(s.id))
          throw invalid("unknown step", [{ field: `steps.${i}.id`, message: `step ${s.id} is not an active step of this policy` }]);
      });
      const kept = new Set(input.steps.map((s) => s.id).filter((x): x is number => x !== undefined));
      const removed = before.steps.filter((s) => !kept.has(s.id)).map((s) => s.id);
      if (removed.length) {
        await trx
          .updateTable("dunning_steps")
          .set({ active: false, updated_at: new Date() })
          .where("org_id", "=", actor.orgId)
          .where("id", "in", removed)
          .execute();
      }
      for (const [i, s] of input.steps.entries()) {
        const cols = stepColumns(actor.orgId, id, s, i + 1);
        if (s.id !== undefined) {
          const { org_id: _o, policy_id: _p, ...set } = cols;
          await trx
            .updateTable("dunning_steps")
            .set({ ...set, updated_at: new Date() })
            .where("org_id", "=", actor.orgId)
            .where("id", "=", s.id)
            .execute();
        } else {
          await trx.insertInto("dunning_steps").values(cols).execute();
        }
      }
    }
    const { steps, ...rest } = input;
    await audit(raw, actor, "update", "dunning_policy", id, { changes: rest, steps: steps?.length });
  });
  return getPolicy(db, actor, id);
}

export async function deletePolicy(db: Db, actor: Actor, id: number): Promise<void> {
  requirePermission(actor, "collect:write");
  const p = await getPolicy(db, actor, id);
  if (p.isDefault) throw conflict("the default policy cannot be deleted: make another policy the default first");
  if (p.shippedKey) throw conflict("a shipped policy cannot be deleted; edit it instead");
  await db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    // Customers following it go back to the default policy (FK on delete set null).
    await trx.deleteFrom("dunning_policies").where("org_id", "=", actor.orgId).where("id", "=", id).execute();
    await audit(raw, actor, "delete", "dunning_policy", id, { name: p.name });
  });
}

/** Assigns a policy to a customer (null: back to the organisation's default). */
export async function assignPolicy(db: Db, actor: Actor, customerId: number, policyId: number | null) {
  requirePermission(actor, "collect:write");
  if (policyId !== null) await getPolicy(db, actor, policyId);
  return db.transaction().execute(async (raw) => {
    const trx = chaseDb(raw);
    const before = await trx
      .selectFrom("customers")
      .select(["id", "dunning_policy_id"])
      .where("org_id", "=", actor.orgId)
      .where("id", "=", customerId)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw notFound("customer");
    await trx
      .updateTable("customers")
      .set({ dunning_policy_id: policyId, updated_at: new Date() })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", customerId)
      .execute();
    await audit(raw, actor, "update", "customer", customerId, { dunningPolicyId: policyId, before: before.dunning_policy_id });
    await recordActivity(raw, actor.orgId, {
      customerId,
      kind: "policy_changed",
      actor,
      data: { policyId, before: before.dunning_policy_id },
    });
    return { customerId, dunningPolicyId: policyId };
  });
}
