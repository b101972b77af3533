import { AppError, conflict, notFound } from "../errors.js";
import type { Db } from "../store/connect.js";
import type { Role } from "../store/schema.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";

export interface Member {
  id: number;
  email: string;
  name: string;
  language: string;
  role: Role;
  joinedAt: Date;
}

/** The organisation's members (every member may see the team, e.g. to assign a collector). */
export async function listMembers(db: Db, actor: Actor): Promise<Member[]> {
  requirePermission(actor, "read");
  const rows = await db
    .selectFrom("memberships as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["u.id", "u.email", "u.name", "u.language", "m.role", "m.created_at"])
    .where("m.org_id", "=", actor.orgId)
    .orderBy((eb) => eb.fn("lower", ["u.name"]))
    .orderBy("u.id")
    .execute();
  return rows.map((r) => ({ id: r.id, email: r.email, name: r.name, language: r.language, role: r.role, joinedAt: r.created_at }));
}

/**
 * Changes a member's role. Admins manage everyone but owners; only an owner makes or
 * unmakes an owner; the last owner of an organisation cannot be demoted.
 */
export async function changeMemberRole(db: Db, actor: Actor, userId: number, role: Role) {
  requirePermission(actor, "admin");
  return db.transaction().execute(async (trx) => {
    const target = await trx
      .selectFrom("memberships")
      .select(["user_id", "role"])
      .where("org_id", "=", actor.orgId)
      .where("user_id", "=", userId)
      .forUpdate()
      .executeTakeFirst();
    if (!target) throw notFound("user");
    if ((target.role === "owner" || role === "owner") && actor.role !== "owner")
      throw new AppError("forbidden", "only an owner can make or unmake an owner");
    if (target.role === "owner" && role !== "owner") {
      const owners = await trx
        .selectFrom("memberships")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("org_id", "=", actor.orgId)
        .where("role", "=", "owner")
        .executeTakeFirstOrThrow();
      if (Number(owners.n) <= 1) throw conflict("the organisation needs at least one owner");
    }
    if (target.role !== role) {
      await trx.updateTable("memberships").set({ role }).where("org_id", "=", actor.orgId).where("user_id", "=", userId).execute();
      await audit(trx, actor, "update", "membership", userId, { from: target.role, to: role });
    }
    return { id: userId, role };
  });
}
