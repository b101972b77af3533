import { createHash, randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { AppError, invalid } from "../errors.js";
import type { Db } from "../store/connect.js";
import type { Role } from "../store/schema.js";
import { type Actor, ROLES, requirePermission } from "./actor.js";
import { audit } from "./audit.js";

export const SESSION_COOKIE = "relance_session";
const API_KEY_PREFIX = "rlk_";

/** argon2id with the library's defaults (19 MiB, 2 passes): OWASP's recommended minimum. */
export const hashPassword = (password: string) => hash(password);

export function checkPasswordStrength(password: string): void {
  if (password.length < 10)
    throw invalid("the password must have at least 10 characters", [{ field: "password", message: "at least 10 characters" }]);
}

/** Secrets are random 256-bit strings; only their SHA-256 is stored. */
export const sha256 = (secret: string) => createHash("sha256").update(secret).digest("hex");
export const newSecret = () => randomBytes(32).toString("base64url");

// Verified against when the email is unknown, so a login takes as long either way.
let dummyHash: Promise<string> | undefined;

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: { id: number; email: string; name: string; language: string };
  org: { id: number; slug: string; name: string };
  role: Role;
}

export async function login(db: Db, input: { email: string; password: string; org?: string }, sessionDays = 14): Promise<LoginResult> {
  const user = await db
    .selectFrom("users")
    .selectAll()
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", input.email.trim().toLowerCase()))
    .executeTakeFirst();
  dummyHash ??= hashPassword(newSecret());
  const ok = await verify(user?.password_hash ?? (await dummyHash), input.password).catch(() => false);
  if (!user || !ok) throw new AppError("unauthenticated", "wrong email or password");
  let membership = db
    .selectFrom("memberships as m")
    .innerJoin("orgs as o", "o.id", "m.org_id")
    .select(["o.id", "o.slug", "o.name", "m.role"])
    .where("m.user_id", "=", user.id)
    .orderBy("o.id");
  if (input.org) membership = membership.where("o.slug", "=", input.org);
  const m = await membership.executeTakeFirst();
  if (!m)
    throw new AppError(
      "unauthenticated",
      input.org ? `you are not a member of organisation "${input.org}"` : "you belong to no organisation",
    );
  const token = newSecret();
  const expiresAt = new Date(Date.now() + sessionDays * 86_400_000);
  const actor: Actor = { orgId: m.id, role: m.role, userId: user.id, apiKeyId: null, label: user.email };
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("sessions")
      .values({ org_id: m.id, token_hash: sha256(token), user_id: user.id, expires_at: expiresAt })
      .execute();
    await audit(trx, actor, "login", "user", user.id);
  });
  return {
    token,
    expiresAt,
    user: { id: user.id, email: user.email, name: user.name, language: user.language },
    org: { id: m.id, slug: m.slug, name: m.name },
    role: m.role,
  };
}

export async function logout(db: Db, token: string): Promise<void> {
  await db.deleteFrom("sessions").where("token_hash", "=", sha256(token)).execute();
}

/** The actor behind a session cookie, or null when the session is unknown or expired. */
export async function actorFromSession(db: Db, token: string): Promise<Actor | null> {
  const row = await db
    .selectFrom("sessions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .innerJoin("memberships as m", (j) => j.onRef("m.org_id", "=", "s.org_id").onRef("m.user_id", "=", "s.user_id"))
    .select(["s.org_id", "s.user_id", "u.email", "m.role", "s.expires_at"])
    .where("s.token_hash", "=", sha256(token))
    .executeTakeFirst();
  if (!row || row.expires_at.getTime() < Date.now()) return null;
  return { orgId: row.org_id, role: row.role, userId: row.user_id, apiKeyId: null, label: row.email };
}

export async function actorFromApiKey(db: Db, key: string): Promise<Actor | null> {
  if (!key.startsWith(API_KEY_PREFIX)) return null;
  const row = await db
    .updateTable("api_keys")
    .set({ last_used_at: new Date() })
    .where("key_hash", "=", sha256(key))
    .where("revoked_at", "is", null)
    .returning(["org_id", "id", "name", "role"])
    .executeTakeFirst();
  if (!row) return null;
  return { orgId: row.org_id, role: row.role, userId: null, apiKeyId: row.id, label: `apikey:${row.name}` };
}

export async function createApiKey(db: Db, actor: Actor, input: { name: string; role?: Role }) {
  requirePermission(actor, "admin");
  const role = input.role ?? "viewer";
  if (!ROLES.includes(role)) throw invalid(`unknown role "${role}"`, [{ field: "role", message: `one of ${ROLES.join(", ")}` }]);
  // Nobody hands out more power than they hold.
  if (role === "owner" && actor.role !== "owner") throw new AppError("forbidden", "only an owner can create an owner key");
  const key = API_KEY_PREFIX + newSecret();
  const row = await db.transaction().execute(async (trx) => {
    const r = await trx
      .insertInto("api_keys")
      .values({ org_id: actor.orgId, name: input.name, prefix: key.slice(0, 10), key_hash: sha256(key), role, created_by: actor.userId })
      .returning(["id", "name", "role", "prefix", "created_at"])
      .executeTakeFirstOrThrow();
    await audit(trx, actor, "create", "api_key", r.id, { name: input.name, role });
    return r;
  });
  return { ...row, key };
}
