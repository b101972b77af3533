import { sql } from "kysely";
import { conflict, invalid } from "../errors.js";
import type { Db } from "../store/connect.js";
import type { Language } from "../store/schema.js";
import { cliActor } from "./actor.js";
import { audit } from "./audit.js";
import { checkPasswordStrength, hashPassword } from "./auth.js";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Serialises concurrent first-run requests (any constant, the same in every process). */
const SETUP_LOCK = 72_616_305;

/** First run of the web app: true while the database holds no organisation and no user. */
export async function needsSetup(db: Db): Promise<boolean> {
  const [org, user] = await Promise.all([
    db.selectFrom("orgs").select("id").limit(1).executeTakeFirst(),
    db.selectFrom("users").select("id").limit(1).executeTakeFirst(),
  ]);
  return !org && !user;
}

export interface SetupInput {
  orgName: string;
  email: string;
  password: string;
  name?: string;
  language?: Language;
}

/**
 * Creates the organisation and its owner from the web app's first-run screen. Refused
 * (conflict) as soon as any organisation or user exists, also when two requests race:
 * both take the same transaction-scoped advisory lock and the second sees the first's rows.
 */
export async function setupFirstOwner(db: Db, input: SetupInput) {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw invalid(`invalid email "${email}"`, [{ field: "email", message: "not an email address" }]);
  const orgName = input.orgName.trim();
  if (!orgName) throw invalid("the company name is required", [{ field: "orgName", message: "required" }]);
  checkPasswordStrength(input.password);
  const passwordHash = await hashPassword(input.password);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${SETUP_LOCK})`.execute(trx);
    const existing = await trx.selectFrom("users").select("id").limit(1).executeTakeFirst();
    const existingOrg = await trx.selectFrom("orgs").select("id").limit(1).executeTakeFirst();
    if (existing || existingOrg) throw conflict("Relance is already set up: log in instead");
    const org = await trx
      .insertInto("orgs")
      .values({ slug: "default", name: orgName })
      .returning(["id", "slug", "name"])
      .executeTakeFirstOrThrow();
    const user = await trx
      .insertInto("users")
      .values({
        email,
        password_hash: passwordHash,
        name: input.name?.trim() || (email.split("@")[0] ?? ""),
        language: input.language ?? "fr",
      })
      .returning(["id", "email"])
      .executeTakeFirstOrThrow();
    await trx.insertInto("memberships").values({ org_id: org.id, user_id: user.id, role: "owner" }).execute();
    const actor = { ...cliActor(org.id), userId: user.id, label: email };
    await audit(trx, actor, "create", "org", org.id, { slug: org.slug, via: "setup" });
    await audit(trx, actor, "create", "user", user.id, { email, role: "owner", via: "setup" });
    return { org, user };
  });
}
