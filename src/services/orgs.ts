import { AppError, conflict, invalid } from "../errors.js";
import type { Db } from "../store/connect.js";
import type { Role } from "../store/schema.js";
import { type Actor, cliActor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";
import { checkPasswordStrength, hashPassword, newSecret } from "./auth.js";

export interface InitResult {
  org: { id: number; slug: string; name: string };
  admin: { id: number; email: string };
  createdOrg: boolean;
  createdAdmin: boolean;
  /** Set only when the password was generated: it is shown once and never stored in clear. */
  generatedPassword?: string;
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Creates the organisation and its owner if missing. Idempotent, and safe when two
 * processes run it at once (unique constraints + ON CONFLICT, no read-then-write race).
 */
export async function initOrg(
  db: Db,
  input: { slug?: string; orgName?: string; adminEmail?: string; adminPassword?: string },
): Promise<InitResult> {
  const slug = input.slug ?? "default";
  if (!SLUG.test(slug)) throw invalid(`invalid organisation slug "${slug}": lowercase letters, digits and dashes`);
  const email = (input.adminEmail ?? "admin@example.com").trim().toLowerCase();
  if (!EMAIL.test(email)) throw invalid(`invalid email "${email}"`, [{ field: "admin-email", message: "not an email address" }]);
  if (input.adminPassword !== undefined) checkPasswordStrength(input.adminPassword);
  const generatedPassword = input.adminPassword === undefined ? newSecret().slice(0, 16) : undefined;
  const passwordHash = await hashPassword(input.adminPassword ?? (generatedPassword as string));

  return db.transaction().execute(async (trx) => {
    const insertedOrg = await trx
      .insertInto("orgs")
      .values({ slug, name: input.orgName ?? "Ma société" })
      .onConflict((oc) => oc.column("slug").doNothing())
      .returning(["id", "slug", "name"])
      .executeTakeFirst();
    const org =
      insertedOrg ?? (await trx.selectFrom("orgs").select(["id", "slug", "name"]).where("slug", "=", slug).executeTakeFirstOrThrow());
    const insertedUser = await trx
      .insertInto("users")
      .values({ email, password_hash: passwordHash, name: email.split("@")[0] ?? "" })
      .onConflict((oc) => oc.expression(trx.fn("lower", ["email"]) as never).doNothing())
      .returning(["id", "email"])
      .executeTakeFirst();
    const user =
      insertedUser ??
      (await trx
        .selectFrom("users")
        .select(["id", "email"])
        .where((eb) => eb(eb.fn("lower", ["email"]), "=", email))
        .executeTakeFirstOrThrow());
    await trx
      .insertInto("memberships")
      .values({ org_id: org.id, user_id: user.id, role: "owner" })
      .onConflict((oc) => oc.columns(["org_id", "user_id"]).doNothing())
      .execute();
    const actor = cliActor(org.id);
    if (insertedOrg) await audit(trx, actor, "create", "org", org.id, { slug });
    if (insertedUser) await audit(trx, actor, "create", "user", user.id, { email, role: "owner" });
    return {
      org,
      admin: user,
      createdOrg: Boolean(insertedOrg),
      createdAdmin: Boolean(insertedUser),
      generatedPassword: insertedUser ? generatedPassword : undefined,
    };
  });
}

/** `relance org create`: a new organisation must not exist yet. */
export async function createOrg(db: Db, input: { slug: string; name?: string; adminEmail: string; adminPassword: string }) {
  const existing = await db.selectFrom("orgs").select("id").where("slug", "=", input.slug).executeTakeFirst();
  if (existing) throw conflict(`organisation "${input.slug}" already exists`);
  return initOrg(db, {
    slug: input.slug,
    orgName: input.name ?? input.slug,
    adminEmail: input.adminEmail,
    adminPassword: input.adminPassword,
  });
}

/** Resolves `--org SLUG`, or the only organisation when there is one. */
export async function resolveOrg(db: Db, slug?: string): Promise<{ id: number; slug: string; name: string }> {
  if (slug) {
    const org = await db.selectFrom("orgs").select(["id", "slug", "name"]).where("slug", "=", slug).executeTakeFirst();
    if (!org) throw new AppError("usage", `no organisation "${slug}"`);
    return org;
  }
  const orgs = await db.selectFrom("orgs").select(["id", "slug", "name"]).orderBy("id").limit(2).execute();
  if (orgs.length === 0) throw new AppError("usage", 'no organisation yet: run "relance init" first');
  if (orgs.length > 1) throw new AppError("usage", "several organisations exist: choose one with --org SLUG");
  return orgs[0] as { id: number; slug: string; name: string };
}

export async function addMember(db: Db, actor: Actor, input: { email: string; password: string; role: Role; name?: string }) {
  requirePermission(actor, "admin");
  if (input.role === "owner" && actor.role !== "owner") throw new AppError("forbidden", "only an owner can add an owner");
  checkPasswordStrength(input.password);
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw invalid(`invalid email "${email}"`, [{ field: "email", message: "not an email address" }]);
  const passwordHash = await hashPassword(input.password);
  return db.transaction().execute(async (trx) => {
    const created = await trx
      .insertInto("users")
      .values({ email, password_hash: passwordHash, name: input.name ?? email.split("@")[0] ?? "" })
      .onConflict((oc) => oc.expression(trx.fn("lower", ["email"]) as never).doNothing())
      .returning(["id", "email"])
      .executeTakeFirst();
    // A person who already has an account (an accountant serving several companies) keeps
    // their own password: the one given here is not applied, and the caller is told so.
    const user =
      created ??
      (await trx
        .selectFrom("users")
        .select(["id", "email"])
        .where((eb) => eb(eb.fn("lower", ["email"]), "=", email))
        .executeTakeFirstOrThrow());
    const inserted = await trx
      .insertInto("memberships")
      .values({ org_id: actor.orgId, user_id: user.id, role: input.role })
      .onConflict((oc) => oc.columns(["org_id", "user_id"]).doNothing())
      .returning("user_id")
      .executeTakeFirst();
    if (!inserted) throw conflict(`${email} is already a member`);
    await audit(trx, actor, "create", "membership", user.id, { email, role: input.role });
    return { id: user.id, email: user.email, role: input.role, existingAccount: !created };
  });
}
