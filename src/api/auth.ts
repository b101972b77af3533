import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { AppError } from "../errors.js";
import type { Actor, Permission } from "../services/actor.js";
import { requirePermission } from "../services/actor.js";
import { actorFromApiKey, actorFromSession, SESSION_COOKIE } from "../services/auth.js";

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/** Resolves the caller from `Authorization: Bearer KEY` or the session cookie. */
export const authPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest("actor", null);
  app.addHook("onRequest", async (request) => {
    if (!request.url.startsWith("/api/")) return;
    const header = request.headers.authorization;
    if (header?.startsWith("Bearer ")) {
      request.actor = await actorFromApiKey(app.store.db, header.slice(7).trim());
      if (!request.actor) throw new AppError("unauthenticated", "invalid or revoked API key");
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    if (token) request.actor = await actorFromSession(app.store.db, token);
  });
  // Authentication comes before input validation: an anonymous caller gets 401, never a 400
  // describing the schema. Public routes say so in their OpenAPI schema (`security: []`);
  // hidden routes are the API documentation's own pages. Roles are checked by actorOf.
  app.addHook("preValidation", async (request) => {
    if (request.actor || request.is404 || !request.url.startsWith("/api/")) return;
    const schema = request.routeOptions.schema as { security?: unknown[]; hide?: boolean } | undefined;
    if (schema?.hide || (Array.isArray(schema?.security) && schema.security.length === 0)) return;
    throw new AppError("unauthenticated", "log in or send an API key");
  });
});

/** The authenticated actor, checked for a permission; every API route goes through this. */
export function actorOf(request: FastifyRequest, permission: Permission = "read"): Actor {
  if (!request.actor) throw new AppError("unauthenticated", "log in or send an API key");
  requirePermission(request.actor, permission);
  return request.actor;
}
