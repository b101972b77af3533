import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ROLES } from "../../services/actor.js";
import { createApiKey, login, logout, SESSION_COOKIE } from "../../services/auth.js";
import { readSettings } from "../../services/settings.js";
import { actorOf } from "../auth.js";

const RoleSchema = z.enum(ROLES as [string, ...string[]]).transform((r) => r as (typeof ROLES)[number]);

export async function authRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/api/auth/login",
    {
      config: { rateLimit: { max: 20, timeWindow: "1 minute" } },
      schema: {
        tags: ["auth"],
        summary: "Log in: sets an HTTP-only session cookie",
        security: [],
        body: z.object({ email: z.string().min(3), password: z.string().min(1), org: z.string().optional() }),
      },
    },
    async (request, reply) => {
      const result = await login(app.store.db, request.body, app.appEnv.RELANCE_SESSION_DAYS);
      const secure =
        app.appEnv.RELANCE_COOKIE_SECURE === "auto" ? request.protocol === "https" : app.appEnv.RELANCE_COOKIE_SECURE === "true";
      reply.setCookie(SESSION_COOKIE, result.token, { path: "/", httpOnly: true, sameSite: "lax", secure, expires: result.expiresAt });
      return { user: result.user, org: result.org, role: result.role };
    },
  );
  r.post("/api/auth/logout", { schema: { tags: ["auth"], summary: "Log out: ends the session", security: [] } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await logout(app.store.db, token);
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return reply.status(204).send();
  });
  r.get(
    "/api/auth/me",
    { schema: { tags: ["auth"], summary: "Who is calling, in which organisation, with which role" } },
    async (request) => {
      const actor = actorOf(request);
      const org = await app.store.db
        .selectFrom("orgs")
        .select(["id", "slug", "name"])
        .where("id", "=", actor.orgId)
        .executeTakeFirstOrThrow();
      const user = actor.userId
        ? await app.store.db
            .selectFrom("users")
            .select(["id", "email", "name", "language"])
            .where("id", "=", actor.userId)
            .executeTakeFirst()
        : null;
      const hasLogo = Boolean((await readSettings(app.store.db, actor.orgId))["company.logo"]);
      return { user: user ?? null, org: { ...org, hasLogo }, role: actor.role, via: actor.apiKeyId ? "api_key" : "session" };
    },
  );
  r.post(
    "/api/api-keys",
    {
      schema: {
        tags: ["auth"],
        summary: "Create an API key (owner, admin); the key is shown once",
        body: z.object({ name: z.string().min(1).max(100), role: RoleSchema.optional() }),
      },
    },
    async (request, reply) => {
      const key = await createApiKey(app.store.db, actorOf(request, "admin"), request.body);
      return reply.status(201).send(key);
    },
  );
}
