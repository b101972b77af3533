import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { sendTestEmail } from "../../dunning/test-email.js";
import { notFound } from "../../errors.js";
import { getSettings, logoImage, readSettings, settingsHelp, updateSettings } from "../../services/settings.js";
import { actorOf } from "../auth.js";

export async function settingsRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = app.store.db;

  r.get("/api/settings", { schema: { tags: ["settings"], summary: "Organisation settings (secrets masked)" } }, async (request) => ({
    settings: await getSettings(db, actorOf(request)),
    keys: settingsHelp(),
  }));

  r.get(
    "/api/settings/logo",
    { schema: { tags: ["settings"], summary: "The organisation's logo (PNG or JPEG), 404 when none is set" } },
    async (request, reply) => {
      const actor = actorOf(request);
      const image = logoImage((await readSettings(db, actor.orgId))["company.logo"]);
      if (!image) throw notFound("logo");
      return reply.header("content-type", image.type).header("cache-control", "private, max-age=300").send(image.bytes);
    },
  );

  r.patch(
    "/api/settings",
    {
      schema: {
        tags: ["settings"],
        summary: 'Change settings (admins); null or "" clears a key',
        body: z.record(z.string(), z.unknown()),
      },
    },
    async (request) => ({ settings: await updateSettings(db, actorOf(request, "admin"), request.body) }),
  );

  r.post(
    "/api/settings/test-email",
    {
      schema: {
        tags: ["settings"],
        summary: "Send a test email with the mail settings (admins): to the caller, or to `to`; an .eml file without SMTP_URL",
        body: z.object({ to: z.string().trim().email().nullish() }).nullish(),
      },
    },
    async (request) => sendTestEmail(app.store, actorOf(request, "admin"), { to: request.body?.to }),
  );
}
