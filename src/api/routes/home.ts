import type { FastifyInstance } from "fastify";

/** Until the web app lands, `/` explains how to log in and where the API is documented. */
export async function homeRoutes(app: FastifyInstance) {
  app.get("/", { schema: { hide: true } }, async (_request, reply) => {
    reply.type("text/html; charset=utf-8");
    return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Relance</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#1f2937}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}h1{margin-bottom:0}</style></head>
<body><h1>Relance</h1><p>Recouvrement et DSO — accounts-receivable collections.</p>
<h2>API</h2>
<ul>
<li>Documentation OpenAPI : <a href="/api/docs">/api/docs</a></li>
<li>Connexion / log in: <code>POST /api/auth/login {"email","password"}</code> (cookie de session)</li>
<li>Clé d'API / API key: <code>Authorization: Bearer …</code> (<code>relance apikey create NAME</code>)</li>
<li><a href="/api/health">/api/health</a> · <code>/api/customers</code> · <code>/api/documents</code> · <code>/api/payments</code></li>
</ul>
<p>L'identifiant de démonstration est affiché au démarrage par <code>npm start</code>. / The demo login is printed by <code>npm start</code>.</p>
</body></html>`;
  });
}
