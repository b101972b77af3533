import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { login, SESSION_COOKIE } from "../../services/auth.js";
import { needsSetup, setupFirstOwner } from "../../services/setup-org.js";

/** First run of the web app: create the organisation and its owner when the database is empty. */
export async function setupRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/api/setup/status",
    {
      schema: {
        tags: ["auth"],
        summary: "Whether the first-run screen (create the owner) should be shown, and whether the caller is logged in",
        security: [],
        response: { 200: z.object({ needsSetup: z.boolean(), authenticated: z.boolean() }) },
      },
    },
    async (request) => ({ needsSetup: await needsSetup(app.store.db), authenticated: request.actor !== null }),
  );
  r.post(
    "/api/setup",
    {
      config: { rateLimit: { max: 10, timeWindow: "1 minute" } },
      schema: {
        tags: ["auth"],
        summary: "First run only: create the organisation and its owner, and log in (409 once set up)",
        security: [],
        body: z.object({
          orgName: z.string().trim().min(1).max(200),
          email: z.string().min(3).max(254),
          password: z.string().min(1).max(200),
          name: z.string().max(200).optional(),
          language: z.enum(["fr", "en"]).optional(),
        }),
      },
    },
    async (request, reply) => {
      await setupFirstOwner(app.store.db, request.body);
      const result = await login(app.store.db, request.body, app.appEnv.RELANCE_SESSION_DAYS);
      const secure =
        app.appEnv.RELANCE_COOKIE_SECURE === "auto" ? request.protocol === "https" : app.appEnv.RELANCE_COOKIE_SECURE === "true";
      reply.setCookie(SESSION_COOKIE, result.token, { path: "/", httpOnly: true, sameSite: "lax", secure, expires: result.expiresAt });
      return reply.status(201).send({ user: result.user, org: result.org, role: result.role });
    },
  );
}
