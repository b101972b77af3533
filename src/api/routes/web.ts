import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import staticFiles from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { homeRoutes } from "./home.js";

/** web/dist, three levels up from both src/api/routes and dist/api/routes. */
export const WEB_DIST = process.env.RELANCE_WEB_DIST ?? fileURLToPath(new URL("../../../web/dist/", import.meta.url));

/**
 * The web app: built files of web/dist at `/` (hashed assets cached for a year), and
 * index.html for any other GET outside /api so that client-side routes survive a reload.
 * Without a build (a fresh clone before `npm run build`), the small home page instead.
 */
export async function webRoutes(app: FastifyInstance, options: { root?: string } = {}) {
  const root = options.root ?? WEB_DIST;
  const indexFile = path.join(root, "index.html");
  if (!existsSync(indexFile)) return homeRoutes(app);
  const index = await readFile(indexFile);
  await app.register(staticFiles, {
    root,
    prefix: "/",
    index: false,
    wildcard: false,
    cacheControl: false,
    setHeaders(res, file) {
      const immutable = file.includes(`${path.sep}assets${path.sep}`);
      res.setHeader("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  const sendIndex = (reply: import("fastify").FastifyReply) =>
    reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").send(index);
  app.get("/", { schema: { hide: true } }, (_request, reply) => sendIndex(reply));
  app.get("/*", { schema: { hide: true } }, (request, reply) => {
    const pathname = request.url.split("?")[0] ?? "";
    if (pathname.startsWith("/api/") || pathname === "/api" || /\.[a-z0-9]{2,5}$/i.test(pathname)) {
      return reply
        .status(404)
        .type("application/problem+json")
        .send({
          type: "about:blank",
          title: "Not found",
          status: 404,
          code: "not_found",
          detail: `no route GET ${pathname}`,
          instance: pathname,
        });
    }
    return sendIndex(reply);
  });
}
