import { type App, buildApp } from "../../src/api/app.js";
import { type Actor, cliActor } from "../../src/services/actor.js";
import { addMember, initOrg } from "../../src/services/orgs.js";
import type { Store } from "../../src/store/connect.js";
import type { Role } from "../../src/store/schema.js";

export const PASSWORD = "correct horse battery";

export async function makeOrg(store: Store, slug: string) {
  const init = await initOrg(store.db, { slug, orgName: `Org ${slug}`, adminEmail: `owner@${slug}.example`, adminPassword: PASSWORD });
  return { org: init.org, owner: cliActor(init.org.id) as Actor, ownerEmail: `owner@${slug}.example` };
}

export async function makeMember(store: Store, orgId: number, role: Role, email: string) {
  return addMember(store.db, cliActor(orgId), { email, password: PASSWORD, role });
}

export async function makeCustomer(store: Store, orgId: number, ref: string, extra: Record<string, unknown> = {}) {
  return store.db
    .insertInto("customers")
    .values({ org_id: orgId, ref, name: `Client ${ref}`, ...extra })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function makeInvoice(
  store: Store,
  orgId: number,
  customerId: number,
  number: string,
  total: number,
  issueDate = "2026-01-01",
  dueDate = "2026-01-31",
  kind: "invoice" | "credit_note" = "invoice",
) {
  return store.db
    .insertInto("documents")
    .values({ org_id: orgId, customer_id: customerId, number, total, issue_date: issueDate, due_date: dueDate, kind })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function makeApp(store: Store): Promise<App> {
  const app = await buildApp({ store, env: { RELANCE_SESSION_DAYS: 14, RELANCE_COOKIE_SECURE: "false" } });
  await app.ready();
  return app;
}

/** Logs in through the API and returns the Cookie header to send. */
export async function loginCookie(app: App, email: string, password = PASSWORD): Promise<string> {
  const res = await app.inject({ method: "POST", url: "/api/auth/login", payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === "relance_session");
  if (!cookie) throw new Error("no session cookie");
  return `relance_session=${cookie.value}`;
}
