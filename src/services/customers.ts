import { sql } from "kysely";
import { today } from "../domain/dates.js";
import { RISK_HIGH_SCORE } from "../domain/risk.js";
import { conflict, invalid, notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import { cachedOutstandingAt, openDocumentsAt } from "../store/ledger-sql.js";
import type { CustomerStatus, Language } from "../store/schema.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";
import { decodeCursor, encodeCursor, type Page } from "./pagination.js";
import { inReport } from "./report-common.js";
import { freshRiskSnapshot } from "./risk-snapshot.js";
import { hasSnapshot } from "./snapshots.js";

export const CUSTOMER_SORTS = ["name", "ref", "outstanding", "overdue", "risk"] as const;
export type CustomerSort = (typeof CUSTOMER_SORTS)[number];

export interface CustomerListQuery {
  q?: string;
  sort?: CustomerSort;
  dir?: "asc" | "desc";
  cursor?: string;
  limit?: number;
  overdue?: boolean;
  /** Only customers with at least one disputed document still open (outstanding ≠ 0) at asOf. */
  disputed?: boolean;
  status?: CustomerStatus;
  assignedUserId?: number;
  /** "high": risk score ≥ RISK_HIGH_SCORE; "rising": the score rose over 30 days (domain/risk.ts). */
  risk?: "high" | "rising";
  asOf?: string;
}

export interface CustomerRow {
  id: number;
  ref: string;
  name: string;
  email: string | null;
  language: Language;
  status: CustomerStatus;
  paymentTermsDays: number;
  assignedUserId: number | null;
  outstanding: number;
  overdue: number;
  openDocuments: number;
  /** Risk score from the snapshot made for this date, null when there is none. */
  risk: number | null;
  riskRose: boolean | null;
}

/**
 * Receivables of customers at `asOf`: outstanding, overdue and open documents, summed over
 * their documents open at that date (ledger-sql `openDocumentsAt`, the one definition).
 *
 * Two plans for the same figures. Sorting or filtering on a balance needs every customer's,
 * so the open documents of the organisation are grouped once (a few hundred thousand rows
 * at most, read from the partial index of open documents) and hash-joined. A page sorted by
 * name or reference needs only its 50 customers: a lateral per customer reads its own.
 */
function customersWithBalances(db: Db, orgId: number, asOf: string, allAtOnce: boolean, withRisk = false) {
  const sums = sql`coalesce(sum(o.outstanding), 0)::bigint as outstanding,
    coalesce(sum(case when o.due_date < ${asOf}::date and o.outstanding > 0 then o.outstanding else 0 end), 0)::bigint as overdue,
    count(*)::int as open_documents`;
  const base = db.selectFrom("customers as c");
  const joined = allAtOnce
    ? base.leftJoin(
        sql<{ customer_id: number; outstanding: number; overdue: number; open_documents: number }>`(
          select o.customer_id, ${sums} from ${openDocumentsAt(orgId, asOf)} o group by o.customer_id
        )`.as("b"),
        (join) => join.onRef("b.customer_id", "=", "c.id"),
      )
    : base.leftJoinLateral(
        sql<{ outstanding: number; overdue: number; open_documents: number }>`(
          select ${sums} from ${openDocumentsAt(orgId, asOf)} o where o.customer_id = c.id
        )`.as("b"),
        (join) => join.onTrue(),
      );
  // Without a snapshot for this date the scores are not shown: no need to read them.
  const risk = sql<{ customer_id: number; score: number; rose: boolean }>`(
    select r.customer_id, r.score, r.rose from customer_risk r where r.org_id = ${orgId} and ${withRisk}
  )`.as("r");
  return joined
    .leftJoin(risk, (join) => join.onRef("r.customer_id", "=", "c.id"))
    .select([
      "c.id",
      "c.ref",
      "c.name",
      "c.email",
      "c.language",
      "c.status",
      "c.payment_terms_days",
      "c.assigned_user_id",
      sql<string>`lower(c.name)`.as("name_key"),
      sql<number>`coalesce(b.outstanding, 0)`.as("outstanding"),
      sql<number>`coalesce(b.overdue, 0)`.as("overdue"),
      sql<number>`coalesce(b.open_documents, 0)`.as("open_documents"),
      sql<number>`coalesce(r.score, 0)`.as("risk"),
      sql<boolean>`coalesce(r.rose, false)`.as("risk_rose"),
    ])
    .where("c.org_id", "=", orgId);
}

export async function listCustomers(
  db: Db,
  actor: Actor,
  query: CustomerListQuery,
): Promise<Page<CustomerRow> & { riskAsOf: string | null }> {
  requirePermission(actor, "read");
  const asOf = query.asOf ?? today();
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  const sort = query.sort ?? "name";
  const dir = query.dir ?? (sort === "name" || sort === "ref" ? "asc" : "desc");
  const key = sort === "name" ? "name_key" : sort;
  // Risk scores come from the snapshot (risk-snapshot.ts): made fresh when the list is
  // filtered or sorted by risk, shown as they are otherwise when made for this date.
  const wantsRisk = query.risk !== undefined || sort === "risk";
  const snapshot = wantsRisk ? await freshRiskSnapshot(db, actor, asOf) : await hasSnapshot(db, actor.orgId, "risk", asOf);
  const allAtOnce = sort === "outstanding" || sort === "overdue" || query.overdue === true;
  return inReport(db, async (trx) => {
    let q = trx.selectFrom(customersWithBalances(trx, actor.orgId, asOf, allAtOnce, Boolean(snapshot)).as("t")).selectAll();
    if (query.q?.trim()) {
      const like = `%${query.q
        .trim()
        .toLowerCase()
        .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) =>
        eb.or([eb("t.name_key", "like", like), eb(sql`lower(t.ref)`, "like", like), eb(sql`lower(coalesce(t.email, ''))`, "like", like)]),
      );
    }
    if (query.overdue) q = q.where("t.overdue", ">", 0);
    if (query.disputed)
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom("documents as d")
            .select(sql.lit(1).as("one"))
            .where("d.org_id", "=", actor.orgId)
            .whereRef("d.customer_id", "=", "t.id")
            .where("d.disputed", "=", true)
            .where(cachedOutstandingAt(asOf), "<>", 0),
        ),
      );
    if (query.risk === "high") q = q.where("t.risk", ">=", RISK_HIGH_SCORE);
    if (query.risk === "rising") q = q.where("t.risk_rose", "=", true);
    if (query.status) q = q.where("t.status", "=", query.status);
    if (query.assignedUserId !== undefined) q = q.where("t.assigned_user_id", "=", query.assignedUserId);
    // References are unique: ordered by reference alone, the page reads the unique index in order.
    const unique = sort === "ref";
    if (query.cursor) {
      const c = decodeCursor(query.cursor);
      const op = dir === "asc" ? ">" : "<";
      q = unique
        ? q.where(sql.ref(`t.${key}`), op, c.value)
        : q.where(sql<boolean>`(${sql.ref(`t.${key}`)}, t.id) ${sql.raw(op)} (${c.value}, ${c.id})`);
    }
    q = q.orderBy(sql.ref(`t.${key}`), dir);
    const rows = await (unique ? q : q.orderBy("t.id", dir)).limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        id: r.id,
        ref: r.ref,
        name: r.name,
        email: r.email,
        language: r.language,
        status: r.status,
        paymentTermsDays: r.payment_terms_days,
        assignedUserId: r.assigned_user_id,
        outstanding: r.outstanding,
        overdue: r.overdue,
        openDocuments: r.open_documents,
        risk: snapshot ? r.risk : null,
        riskRose: snapshot ? r.risk_rose : null,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor(last[key as keyof typeof last] as string | number, last.id) : null,
      riskAsOf: snapshot ? asOf : null,
    };
  });
}

export async function getCustomer(db: Db, actor: Actor, id: number, asOf = today()) {
  requirePermission(actor, "read");
  const c = await db
    .selectFrom("customers")
    .selectAll()
    // Added by 0004_dunning.sql (customer-level pause of the chase), not in the core schema types.
    .select(sql<string | null>`on_hold_until`.as("on_hold_until"))
    .where("org_id", "=", actor.orgId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!c) throw notFound("customer");
  const [balance, lastPayment, contacts] = await Promise.all([
    customersWithBalances(db, actor.orgId, asOf, false).where("c.id", "=", id).executeTakeFirstOrThrow(),
    db
      .selectFrom("payments")
      .select(["id", "date", "amount", "reference"])
      .where("org_id", "=", actor.orgId)
      .where("customer_id", "=", id)
      // As of asOf, like the balances: a payment dated later has not been received yet.
      .where("date", "<=", asOf)
      .orderBy("date", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom("contacts")
      .selectAll()
      .where("org_id", "=", actor.orgId)
      .where("customer_id", "=", id)
      .orderBy("is_primary", "desc")
      .orderBy("id")
      .execute(),
  ]);
  return {
    customer: c,
    outstanding: balance.outstanding ?? 0,
    overdue: balance.overdue ?? 0,
    openDocuments: balance.open_documents ?? 0,
    lastPayment: lastPayment ?? null,
    contacts,
  };
}

export interface CustomerInput {
  ref: string;
  name: string;
  siren?: string | null;
  vatNumber?: string | null;
  email?: string | null;
  phone?: string | null;
  address?: string | null;
  language?: Language;
  paymentTermsDays?: number;
  creditLimit?: number | null;
  assignedUserId?: number | null;
  status?: CustomerStatus;
  /** Contractual late-payment rate in basis points (1500 = 15 %); null = the organisation's (DESIGN §5). */
  penaltyRateBp?: number | null;
}

function toColumns(input: Partial<CustomerInput>) {
  const cols = {
    ref: input.ref,
    name: input.name,
    siren: input.siren,
    vat_number: input.vatNumber,
    email: input.email,
    phone: input.phone,
    address: input.address,
    language: input.language,
    payment_terms_days: input.paymentTermsDays,
    credit_limit: input.creditLimit,
    assigned_user_id: input.assignedUserId,
    status: input.status,
    penalty_rate_bp: input.penaltyRateBp,
  };
  return Object.fromEntries(Object.entries(cols).filter(([, v]) => v !== undefined)) as Partial<typeof cols>;
}

/** What the table's checks would refuse, as invalid input (400 / exit 3) rather than a database error. */
function checkFigures(input: Partial<CustomerInput>) {
  const problems: { field: string; message: string }[] = [];
  if (input.creditLimit != null && !(Number.isSafeInteger(input.creditLimit) && input.creditLimit >= 0))
    problems.push({ field: "creditLimit", message: "must be zero or more" });
  if (
    input.paymentTermsDays !== undefined &&
    !(Number.isInteger(input.paymentTermsDays) && input.paymentTermsDays >= 0 && input.paymentTermsDays <= 365)
  )
    problems.push({ field: "paymentTermsDays", message: "a whole number of days from 0 to 365" });
  if (input.penaltyRateBp != null && !(Number.isInteger(input.penaltyRateBp) && input.penaltyRateBp > 0 && input.penaltyRateBp <= 10_000))
    problems.push({ field: "penaltyRate", message: "a rate above 0 % and at most 100 %" });
  if (problems.length) throw invalid("invalid customer", problems);
}

async function checkAssignee(db: Db, actor: Actor, userId: number | null | undefined) {
  if (userId === null || userId === undefined) return;
  const member = await db
    .selectFrom("memberships")
    .select("user_id")
    .where("org_id", "=", actor.orgId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!member) throw notFound("user");
}

export async function createCustomer(db: Db, actor: Actor, input: CustomerInput) {
  requirePermission(actor, "customers:write");
  checkFigures(input);
  await checkAssignee(db, actor, input.assignedUserId);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("customers")
      .values({ ...toColumns(input), ref: input.ref, name: input.name, org_id: actor.orgId })
      .onConflict((oc) => oc.columns(["org_id", "ref"]).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw conflict(`a customer with ref "${input.ref}" already exists`);
    await audit(trx, actor, "create", "customer", row.id, { ref: row.ref });
    return row;
  });
}

export async function updateCustomer(db: Db, actor: Actor, id: number, input: Partial<CustomerInput>) {
  requirePermission(actor, "customers:write");
  checkFigures(input);
  await checkAssignee(db, actor, input.assignedUserId);
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom("customers")
      .selectAll()
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw notFound("customer");
    if (input.ref && input.ref !== before.ref) {
      const clash = await trx
        .selectFrom("customers")
        .select("id")
        .where("org_id", "=", actor.orgId)
        .where("ref", "=", input.ref)
        .executeTakeFirst();
      if (clash) throw conflict(`a customer with ref "${input.ref}" already exists`);
    }
    const changes = toColumns(input);
    const row = await trx
      .updateTable("customers")
      .set({ ...changes, updated_at: new Date() })
      .where("org_id", "=", actor.orgId)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actor, "update", "customer", id, { changes });
    return row;
  });
}
