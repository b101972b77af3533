import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../src/api/app.js";
import { openStore } from "../src/store/connect.js";
import { runCli } from "./helpers/cli.js";
import { BACKENDS, freshDataDir, openTestDb, type TestDb } from "./helpers/db.js";
import { makeApp, makeMember, makeOrg, PASSWORD } from "./helpers/factories.js";

const sha256hex = (s: string) => createHash("sha256").update(s).digest("hex");

describe.each(BACKENDS)("authentication on %s", (backend) => {
  let t: TestDb;
  let app: App;
  let orgId: number;

  beforeAll(async () => {
    t = await openTestDb(backend);
    orgId = (await makeOrg(t.store, "auth")).org.id;
    await makeMember(t.store, orgId, "collector", "col@auth.example");
    app = await makeApp(t.store);
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  async function login(email: string) {
    const res = await app.inject({ method: "POST", url: "/api/auth/login", payload: { email, password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    return res.cookies.find((c) => c.name === "relance_session")?.value as string;
  }
  const me = (headers: Record<string, string>) => app.inject({ method: "GET", url: "/api/auth/me", headers });

  it("rejects a session once it has expired", async () => {
    const token = await login("owner@auth.example");
    const cookie = { cookie: `relance_session=${token}` };
    expect((await me(cookie)).statusCode).toBe(200);
    await t.store.db
      .updateTable("sessions")
      .set({ expires_at: sql<Date>`now() - interval '1 minute'` })
      .where("token_hash", "=", sha256hex(token))
      .execute();
    const res = await me(cookie);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: "unauthenticated" });
    // Another session of the same user is not affected.
    expect((await me({ cookie: `relance_session=${await login("owner@auth.example")}` })).statusCode).toBe(200);
  });

  it("rejects a session whose membership was removed", async () => {
    const token = await login("col@auth.example");
    await t.store.db.deleteFrom("memberships").where("org_id", "=", orgId).where("role", "=", "collector").execute();
    expect((await me({ cookie: `relance_session=${token}` })).statusCode).toBe(401);
  });

  it("rejects an API key once revoked, and records when a key was last used", async () => {
    const cookie = { cookie: `relance_session=${await login("owner@auth.example")}` };
    const created = await app.inject({ method: "POST", url: "/api/api-keys", headers: cookie, payload: { name: "temp", role: "viewer" } });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json() as { id: number; key: string };
    const bearer = { authorization: `Bearer ${key}` };
    expect((await me(bearer)).statusCode).toBe(200);
    const used = await t.store.db.selectFrom("api_keys").select("last_used_at").where("id", "=", id).executeTakeFirstOrThrow();
    expect(used.last_used_at).toBeInstanceOf(Date);

    await t.store.db.updateTable("api_keys").set({ revoked_at: new Date() }).where("id", "=", id).execute();
    const res = await me(bearer);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: "unauthenticated", detail: expect.stringMatching(/revoked/) });
  });

  it("stores passwords as argon2id hashes, salted", async () => {
    const users = await t.store.db.selectFrom("users").select(["email", "password_hash"]).orderBy("id").execute();
    expect(users.length).toBeGreaterThanOrEqual(2);
    for (const u of users) {
      expect(u.password_hash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
      expect(u.password_hash).not.toContain(PASSWORD);
    }
    // Same password, different salts.
    expect(new Set(users.map((u) => u.password_hash)).size).toBe(users.length);
  });

  it("stores sessions and API keys only as SHA-256 hashes: the raw secret appears in no table", async () => {
    const token = await login("owner@auth.example");
    const cookie = { cookie: `relance_session=${token}` };
    const { key } = (
      await app.inject({ method: "POST", url: "/api/api-keys", headers: cookie, payload: { name: "secret", role: "viewer" } })
    ).json() as { key: string };
    const session = await t.store.db.selectFrom("sessions").selectAll().where("token_hash", "=", sha256hex(token)).executeTakeFirst();
    expect(session?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const apiKey = await t.store.db.selectFrom("api_keys").selectAll().where("key_hash", "=", sha256hex(key)).executeTakeFirst();
    expect(apiKey).toMatchObject({ name: "secret", prefix: key.slice(0, 10) });

    const everything = JSON.stringify([
      await t.store.db.selectFrom("sessions").selectAll().execute(),
      await t.store.db.selectFrom("api_keys").selectAll().execute(),
      await t.store.db.selectFrom("audit_log").selectAll().execute(),
      await t.store.db.selectFrom("users").selectAll().execute(),
    ]);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(key.slice(10));
    expect(everything).not.toContain(PASSWORD);
  });

  it("limits login attempts from one address (429 after 20 a minute)", async () => {
    const statuses: number[] = [];
    let last: { headers: Record<string, unknown>; json: () => unknown } | undefined;
    for (let i = 0; i < 21; i++) {
      const res = await app.inject({
        method: "POST",
        url: "/api/auth/login",
        remoteAddress: "203.0.113.7",
        payload: { email: "owner@auth.example", password: "wrong password!" },
      });
      statuses.push(res.statusCode);
      last = res;
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect(String(last?.headers["content-type"])).toMatch(/^application\/problem\+json/);
    expect(last?.json()).toMatchObject({ status: 429, code: "rate_limited" });
  });
});

describe("relance init password policy", () => {
  let data: string;
  beforeAll(async () => {
    data = await freshDataDir();
  });
  afterAll(async () => {
    await rm(data, { recursive: true, force: true });
  });

  it("refuses an owner password shorter than 10 characters (exit 3) and writes nothing", async () => {
    const res = await runCli(["--data", data, "init", "--admin-password", "short1234"]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/10 characters/);
    expect(res.stderr).not.toContain("    at ");
    expect(res.stdout).toBe("");
    const store = await openStore({ dataDir: data });
    try {
      expect(await store.db.selectFrom("orgs").select("id").execute()).toEqual([]);
      expect(await store.db.selectFrom("users").select("id").execute()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
