import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { sql } from "kysely";
import { z } from "zod";

export async function healthRoutes(app: FastifyInstance) {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/api/health",
    {
      schema: {
        tags: ["system"],
        summary: "Liveness and database check (no authentication)",
        security: [],
        response: { 200: z.object({ status: z.literal("ok"), database: z.enum(["pglite", "postgres"]), version: z.string() }) },
      },
    },
    async () => {
      await sql`select 1`.execute(app.store.db);
      return { status: "ok" as const, database: app.store.kind, version: "0.1.0" };
    },
  );
}
