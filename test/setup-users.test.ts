import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { loginCookie, makeApp, makeMember, makeOrg, PASSWORD } from "./helpers/factories.js";

describe.each(BACKENDS)("first-run setup on %s", (backend) => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it("creates the organisation and its owner on an empty database, logs in, then refuses a second time", async () => {
    t = await openTestDb(backend);
    const app = await makeApp(t.store);
    expect((await app.inject({ url: "/api/setup/status" })).json()).toEqual({ needsSetup: true, authenticated: false });
    const res = await app.inject({
      method: "POST",
      url: "/api/setup",
      payload: { orgName: "Dupont SARL", email: "Marie@Dupont.example", password: PASSWORD, name: "Marie" },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      user: { email: "marie@dupont.example", name: "Marie" },
      org: { name: "Dupont SARL" },
      role: "owner",
    });
    const cookie = res.cookies.find((c) => c.name === "relance_session");
    expect(cookie?.httpOnly).toBe(true);
    const me = await app.inject({ url: "/api/auth/me", headers: { cookie: `relance_session=${cookie?.value}` } });
    expect(me.json()).toMatchObject({ role: "owner", org: { name: "Dupont SARL" } });
    expect((await app.inject({ url: "/api/setup/status" })).json()).toEqual({ needsSetup: false, authenticated: false });
    const status = await app.inject({ url: "/api/setup/status", headers: { cookie: `relance_session=${cookie?.value}` } });
    expect(status.json()).toEqual({ needsSetup: false, authenticated: true });

    const again = await app.inject({
      method: "POST",
      url: "/api/setup",
      payload: { orgName: "Pirate", email: "pirate@evil.example", password: PASSWORD },
    });
    expect(again.statusCode).toBe(409);
    const users = await t.store.db.selectFrom("users").select("email").execute();
    expect(users.map((u) => u.email)).toEqual(["marie@dupont.example"]);
    await app.close();
  });

  it("lets only one of two simultaneous first-run requests through", async () => {
    t = await openTestDb(backend);
    const app = await makeApp(t.store);
    const [a, b] = await Promise.all(
      ["a@x.example", "b@x.example"].map((email) =>
        app.inject({ method: "POST", url: "/api/setup", payload: { orgName: "X", email, password: PASSWORD } }),
      ),
    );
    expect([a?.statusCode, b?.statusCode].sort()).toEqual([201, 409]);
    expect(await t.store.db.selectFrom("memberships").selectAll().execute()).toHaveLength(1);
    await app.close();
  });

  it("refuses setup once any organisation exists, and answers bad input with problem details", async () => {
    t = await openTestDb(backend);
    await makeOrg(t.store, "alpha");
    const app = await makeApp(t.store);
    expect((await app.inject({ url: "/api/setup/status" })).json()).toEqual({ needsSetup: false, authenticated: false });
    const res = await app.inject({
      method: "POST",
      url: "/api/setup",
      payload: { orgName: "X", email: "new@x.example", password: PASSWORD },
    });
    expect(res.statusCode).toBe(409);
    const t2 = await openTestDb(backend);
    try {
      const app2 = await makeApp(t2.store);
      const weak = await app2.inject({
        method: "POST",
        url: "/api/setup",
        payload: { orgName: "X", email: "a@x.example", password: "short" },
      });
      expect(weak.statusCode).toBe(400);
      expect(weak.json().problems).toEqual([{ field: "password", message: "at least 10 characters" }]);
      const badEmail = await app2.inject({
        method: "POST",
        url: "/api/setup",
        payload: { orgName: "X", email: "nope", password: PASSWORD },
      });
      expect(badEmail.statusCode).toBe(400);
      expect((await app2.inject({ url: "/api/setup/status" })).json()).toEqual({ needsSetup: true, authenticated: false });
      await app2.close();
    } finally {
      await t2.dispose();
    }
    await app.close();
  });
});

describe.each(BACKENDS)("team members API on %s", (backend) => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it("lets an admin add a member with a role, who can then log in with that role", async () => {
    t = await openTestDb(backend);
    const { ownerEmail } = await makeOrg(t.store, "alpha");
    const app = await makeApp(t.store);
    const cookie = await loginCookie(app, ownerEmail);
    const res = await app.inject({
      method: "POST",
      url: "/api/users",
      headers: { cookie },
      payload: { email: "Paul@Alpha.example", password: PASSWORD, role: "collector", name: "Paul" },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ email: "paul@alpha.example", role: "collector" });
    const list = await app.inject({ url: "/api/users", headers: { cookie } });
    expect(list.json().items.map((u: { email: string; role: string }) => [u.email, u.role])).toEqual([
      ["owner@alpha.example", "owner"],
      ["paul@alpha.example", "collector"],
    ]);
    const paul = await loginCookie(app, "paul@alpha.example");
    expect((await app.inject({ url: "/api/auth/me", headers: { cookie: paul } })).json().role).toBe("collector");
    const dup = await app.inject({
      method: "POST",
      url: "/api/users",
      headers: { cookie },
      payload: { email: "paul@alpha.example", password: PASSWORD, role: "viewer" },
    });
    expect(dup.statusCode).toBe(409);
    const weak = await app.inject({
      method: "POST",
      url: "/api/users",
      headers: { cookie },
      payload: { email: "x@alpha.example", password: "123", role: "viewer" },
    });
    expect(weak.statusCode).toBe(400);
    const badRole = await app.inject({
      method: "POST",
      url: "/api/users",
      headers: { cookie },
      payload: { email: "x@alpha.example", password: PASSWORD, role: "king" },
    });
    expect(badRole.statusCode).toBe(400);
    await app.close();
  });

  it("changes roles, but keeps at least one owner and leaves owners to owners", async () => {
    t = await openTestDb(backend);
    const { org, ownerEmail } = await makeOrg(t.store, "alpha");
    const admin = await makeMember(t.store, org.id, "admin", "admin@alpha.example");
    const viewer = await makeMember(t.store, org.id, "viewer", "viewer@alpha.example");
    const app = await makeApp(t.store);
    const owner = await loginCookie(app, ownerEmail);
    const adminCookie = await loginCookie(app, "admin@alpha.example");
    const ownerId = (await app.inject({ url: "/api/auth/me", headers: { cookie: owner } })).json().user.id;

    const promote = await app.inject({
      method: "PATCH",
      url: `/api/users/${viewer.id}`,
      headers: { cookie: adminCookie },
      payload: { role: "accountant" },
    });
    expect(promote.statusCode).toBe(200);
    expect(promote.json()).toEqual({ id: viewer.id, role: "accountant" });
    const toOwner = await app.inject({
      method: "PATCH",
      url: `/api/users/${viewer.id}`,
      headers: { cookie: adminCookie },
      payload: { role: "owner" },
    });
    expect(toOwner.statusCode).toBe(403);
    const demoteOwner = await app.inject({
      method: "PATCH",
      url: `/api/users/${ownerId}`,
      headers: { cookie: adminCookie },
      payload: { role: "viewer" },
    });
    expect(demoteOwner.statusCode).toBe(403);
    const lastOwner = await app.inject({
      method: "PATCH",
      url: `/api/users/${ownerId}`,
      headers: { cookie: owner },
      payload: { role: "admin" },
    });
    expect(lastOwner.statusCode).toBe(409);
    const byOwner = await app.inject({
      method: "PATCH",
      url: `/api/users/${admin.id}`,
      headers: { cookie: owner },
      payload: { role: "owner" },
    });
    expect(byOwner.statusCode).toBe(200);
    const roles = await t.store.db.selectFrom("memberships").select(["user_id", "role"]).orderBy("user_id").execute();
    expect(roles.map((r) => r.role)).toEqual(["owner", "owner", "accountant"]);
    await app.close();
  });

  it("guards the team routes: 401 without a session, 403 for non-admins, 404 for another organisation's member", async () => {
    t = await openTestDb(backend);
    const a = await makeOrg(t.store, "alpha");
    const b = await makeOrg(t.store, "beta");
    await makeMember(t.store, a.org.id, "collector", "col@alpha.example");
    const outsider = await makeMember(t.store, b.org.id, "viewer", "v@beta.example");
    const app = await makeApp(t.store);
    expect((await app.inject({ url: "/api/users" })).statusCode).toBe(401);
    expect(
      (await app.inject({ method: "POST", url: "/api/users", payload: { email: "z@z.example", password: PASSWORD, role: "admin" } }))
        .statusCode,
    ).toBe(401);
    const col = await loginCookie(app, "col@alpha.example");
    expect((await app.inject({ url: "/api/users", headers: { cookie: col } })).statusCode).toBe(200);
    const colAdd = await app.inject({
      method: "POST",
      url: "/api/users",
      headers: { cookie: col },
      payload: { email: "z@alpha.example", password: PASSWORD, role: "admin" },
    });
    expect(colAdd.statusCode).toBe(403);
    const colPatch = await app.inject({
      method: "PATCH",
      url: `/api/users/${outsider.id}`,
      headers: { cookie: col },
      payload: { role: "admin" },
    });
    expect(colPatch.statusCode).toBe(403);
    const owner = await loginCookie(app, a.ownerEmail);
    const other = await app.inject({
      method: "PATCH",
      url: `/api/users/${outsider.id}`,
      headers: { cookie: owner },
      payload: { role: "admin" },
    });
    expect(other.statusCode).toBe(404);
    const list = await app.inject({ url: "/api/users", headers: { cookie: owner } });
    expect(list.json().items.map((u: { email: string }) => u.email)).not.toContain("v@beta.example");
    const adminAddsOwner = await makeMember(t.store, a.org.id, "admin", "adm@alpha.example");
    expect(adminAddsOwner.role).toBe("admin");
    const adm = await loginCookie(app, "adm@alpha.example");
    const ownerByAdmin = await app.inject({
      method: "POST",
      url: "/api/users",
      headers: { cookie: adm },
      payload: { email: "o2@alpha.example", password: PASSWORD, role: "owner" },
    });
    expect(ownerByAdmin.statusCode).toBe(403);
    await app.close();
  });
});

describe("web app serving", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves the built app at /, its assets, index.html for client routes, and problem details under /api", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "relance-web-"));
    await writeFile(path.join(dir, "index.html"), "<!doctype html><title>Relance app</title>");
    await mkdir(path.join(dir, "assets"));
    await writeFile(path.join(dir, "assets", "app-abc123.js"), "console.log(1)");
    const { webRoutes } = await import("../src/api/routes/web.js");
    const Fastify = (await import("fastify")).default;
    const web = Fastify();
    try {
      await web.register((instance) => webRoutes(instance, { root: dir as string }));
      const home = await web.inject({ url: "/" });
      expect(home.statusCode).toBe(200);
      expect(home.body).toContain("Relance app");
      const deep = await web.inject({ url: "/customers/42?tab=timeline" });
      expect(deep.statusCode).toBe(200);
      expect(deep.body).toContain("Relance app");
      const asset = await web.inject({ url: "/assets/app-abc123.js" });
      expect(asset.body).toBe("console.log(1)");
      expect(asset.headers["cache-control"]).toContain("immutable");
      const api = await web.inject({ url: "/api/nothing-here" });
      expect(api.statusCode).toBe(404);
      expect(api.json().code).toBe("not_found");
      expect((await web.inject({ url: "/assets/missing.js" })).statusCode).toBe(404);
    } finally {
      await web.close();
    }
  });

  it("keeps the small home page when the web app is not built", async () => {
    const Fastify = (await import("fastify")).default;
    const { webRoutes } = await import("../src/api/routes/web.js");
    const web = Fastify();
    await web.register((instance) => webRoutes(instance, { root: path.join(tmpdir(), "relance-no-such-dir") }));
    const home = await web.inject({ url: "/" });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain("/api/docs");
    await web.close();
  });
});
