import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ROLES } from "../../services/actor.js";
import { changeMemberRole, listMembers } from "../../services/members.js";
import { addMember } from "../../services/orgs.js";
import { actorOf } from "../auth.js";
import { IdParam } from "../schemas.js";

const RoleSchema = z.enum(ROLES as [string, ...string[]]).transform((r) => r as (typeof ROLES)[number]);

/** The team: members of the organisation and their roles. */
export async function userRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = app.store.db;

  r.get("/api/users", { schema: { tags: ["users"], summary: "Members of the organisation and their roles" } }, async (request) => {
    const members = await listMembers(db, actorOf(request));
    return { items: members.map((m) => ({ ...m, joinedAt: m.joinedAt.toISOString() })), nextCursor: null };
  });

  r.post(
    "/api/users",
    {
      schema: {
        tags: ["users"],
        summary: "Add a member with a role and an initial password (owner, admin)",
        body: z.object({
          email: z.string().min(3).max(254),
          password: z.string().min(1).max(200),
          role: RoleSchema,
          name: z.string().trim().max(200).optional(),
        }),
      },
    },
    async (request, reply) => {
      const member = await addMember(db, actorOf(request, "admin"), request.body);
      return reply.status(201).send(member);
    },
  );

  r.patch(
    "/api/users/:id",
    {
      schema: {
        tags: ["users"],
        summary: "Change a member's role (owner, admin; only an owner touches owners)",
        params: IdParam,
        body: z.object({ role: RoleSchema }),
      },
    },
    async (request) => changeMemberRole(db, actorOf(request, "admin"), request.params.id, request.body.role),
  );
}
