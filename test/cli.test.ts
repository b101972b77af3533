import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openStore, type Store } from "../src/store/connect.js";
import { type CliResult, jsonOf, runCli } from "./helpers/cli.js";
import { freshDataDir, freshPostgresUrl } from "./helpers/db.js";
import { makeApp } from "./helpers/factories.js";

/** Errors are one line each on stderr, never a stack trace. */
function expectCleanError(res: CliResult, code: number) {
  expect(res.code, `stdout: ${res.stdout}\nstderr: ${res.stderr}`).toBe(code);
  expect(res.stderr).not.toContain("    at ");
  expect(res.stdout).toBe("");
}

/** Opens the data directory the CLI processes wrote (they have all exited), with the API on top. */
async function withApp<T>(dataDir: string, fn: (app: Awaited<ReturnType<typeof makeApp>>, store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir });
  const app = await makeApp(store);
  try {
    return await fn(app, store);
  } finally {
    await app.close();
    await store.close();
  }
}

describe("relance CLI on the embedded database", () => {
  let data: string;
  let cli: (...args: string[]) => Promise<CliResult>;
  let generatedPassword = "";

  beforeAll(async () => {
    data = await freshDataDir();
    cli = (...args) => runCli(["--data", data, ...args]);
  });
  afterAll(async () => {
    await rm(data, { recursive: true, force: true });
  });

  it("initialises once: a second init changes nothing and prints the generated password only the first time", async () => {
    const first = await cli("init", "--org-name", "Dupont SAS");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe("");
    expect(first.stdout).toContain('Organisation "default" created.');
    expect(first.stdout).toContain("Owner: admin@example.com");
    generatedPassword = /Password \(shown once[^)]*\): (\S+)/.exec(first.stdout)?.[1] ?? "";
    expect(generatedPassword.length).toBeGreaterThanOrEqual(10);

    const second = await cli("init", "--json");
    expect(second.code, second.stderr).toBe(0);
    const json = jsonOf(second);
    expect(json).toMatchObject({
      org: { slug: "default", name: "Dupont SAS" },
      admin: { email: "admin@example.com" },
      createdOrg: false,
      createdAdmin: false,
    });
    expect(json).not.toHaveProperty("generatedPassword");
    expect(second.stdout).not.toContain(generatedPassword);
  });

  it("keeps what each process wrote for the next one: a member, an API key, the owner's password", async () => {
    const member = await cli("user", "add", "ana@dupont.example", "--password", "une longue phrase", "--role", "accountant", "--json");
    expect(member.code, member.stderr).toBe(0);
    expect(jsonOf(member)).toMatchObject({ email: "ana@dupont.example", role: "accountant" });
    const created = await cli("apikey", "create", "erp", "--role", "admin", "--json");
    expect(created.code, created.stderr).toBe(0);
    const key = jsonOf<{ key: string; role: string; name: string }>(created);
    expect(key).toMatchObject({ name: "erp", role: "admin", key: expect.stringMatching(/^rlk_/) });

    await withApp(data, async (app) => {
      const me = await app.inject({ method: "GET", url: "/api/auth/me", headers: { authorization: `Bearer ${key.key}` } });
      expect(me.statusCode, me.body).toBe(200);
      expect(me.json()).toMatchObject({ org: { slug: "default", name: "Dupont SAS" }, role: "admin", via: "api_key" });
      const owner = await app.inject({
        method: "POST",
        url: "/api/auth/login",
        payload: { email: "admin@example.com", password: generatedPassword },
      });
      expect(owner.statusCode, owner.body).toBe(200);
      expect(owner.json()).toMatchObject({ role: "owner" });
      const ana = await app.inject({
        method: "POST",
        url: "/api/auth/login",
        payload: { email: "ana@dupont.example", password: "une longue phrase" },
      });
      expect(ana.json()).toMatchObject({ role: "accountant", org: { slug: "default" } });
    });
  });

  it("asks for --org once several organisations exist (exit 2), and acts in the one named", async () => {
    const created = await cli(
      "org",
      "create",
      "beta",
      "--name",
      "Beta SARL",
      "--admin-email",
      "owner@beta.example",
      "--admin-password",
      "beta beta beta",
      "--json",
    );
    expect(created.code, created.stderr).toBe(0);
    expect(jsonOf(created)).toMatchObject({ org: { slug: "beta", name: "Beta SARL" }, createdOrg: true });

    const ambiguous = await cli("apikey", "create", "ci");
    expectCleanError(ambiguous, 2);
    expect(ambiguous.stderr).toContain("--org");
    expect(ambiguous.stderr.trim().split("\n")).toHaveLength(1);

    const chosen = await cli("--org", "beta", "apikey", "create", "ci", "--json");
    expect(chosen.code, chosen.stderr).toBe(0);
    const { key } = jsonOf<{ key: string }>(chosen);
    await withApp(data, async (app) => {
      const me = await app.inject({ method: "GET", url: "/api/auth/me", headers: { authorization: `Bearer ${key}` } });
      expect(me.json()).toMatchObject({ org: { slug: "beta" }, role: "viewer" });
    });
  });

  it("loads the demo data into an empty organisation once; a second demo is refused (exit 3)", async () => {
    const demo = await cli("--org", "beta", "demo", "--seed", "3", "--as-of", "2026-06-30", "--json");
    expect(demo.code, demo.stderr).toBe(0);
    const counts = jsonOf<{ customers: number; documents: number; payments: number }>(demo);
    expect(counts.customers).toBeGreaterThan(10);
    expect(counts.documents).toBeGreaterThan(counts.customers);

    const again = await cli("--org", "beta", "demo", "--seed", "3");
    expectCleanError(again, 3);
    expect(again.stderr).toMatch(/already has customers/);

    const store = await openStore({ dataDir: data });
    try {
      const perOrg = await store.db
        .selectFrom("customers as c")
        .innerJoin("orgs as o", "o.id", "c.org_id")
        .select(["o.slug", (eb) => eb.fn.countAll<number>().as("n")])
        .groupBy("o.slug")
        .execute();
      expect(perOrg.map((r) => ({ slug: r.slug, n: Number(r.n) }))).toEqual([{ slug: "beta", n: counts.customers }]);
      const docs = await store.db
        .selectFrom("documents")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      expect(Number(docs.n)).toBe(counts.documents);
    } finally {
      await store.close();
    }
  });
});

describe("relance CLI usage and environment errors", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(inject("testRoot"), "cli-"));
  });
  afterAll(async () => {
    await chmod(scratch, 0o700).catch(() => {});
    await rm(scratch, { recursive: true, force: true });
  });

  it("answers an unknown option or command with exit 2 and the usage on stderr", async () => {
    const [option, command] = await Promise.all([
      runCli(["--data", path.join(scratch, "never"), "init", "--frobnicate"]),
      runCli(["--data", path.join(scratch, "never"), "frobnicate"]),
    ]);
    for (const res of [option, command]) {
      expectCleanError(res, 2);
      expect(res.stderr).toMatch(/Usage: relance/);
    }
    expect(option.stderr).toContain("unknown option '--frobnicate'");
    expect(command.stderr).toContain("unknown command 'frobnicate'");
  });

  it("prints --help for every command and exits 0", async () => {
    // The commands are read from the CLI's own help, level by level, so a new command is covered too.
    const subcommands = (help: string) => {
      const section = (help.split(/^Commands:$/m)[1] ?? "").split(/\n\s*\n/)[0] ?? "";
      return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1] as string).filter((name) => name !== "help");
    };
    const seen: string[] = [];
    let level: string[][] = [[]];
    while (level.length > 0) {
      const next: string[][] = [];
      // As many at a time as there are cores: each is a Node start-up.
      const width = Math.max(2, availableParallelism());
      for (let i = 0; i < level.length; i += width) {
        const batch = level.slice(i, i + width);
        const results = await Promise.all(batch.map((p) => runCli([...p, "--help"])));
        results.forEach((res, j) => {
          const cmd = batch[j] as string[];
          const name = cmd.join(" ");
          expect(res.code, `${name} --help: ${res.stderr}`).toBe(0);
          expect(res.stdout).toContain(`Usage: relance${name ? ` ${name}` : ""}`);
          expect(res.stderr).toBe("");
          seen.push(name);
          for (const sub of subcommands(res.stdout)) next.push([...cmd, sub]);
        });
      }
      level = next;
    }
    expect(seen).toEqual(expect.arrayContaining(["", "init", "demo", "serve", "org", "org create", "user add", "apikey create"]));
  }, 300_000); // ~25 Node start-ups: minutes on a loaded machine

  it("reports an unreachable PostgreSQL in one line naming the address (exit 1)", async () => {
    const res = await runCli(["init"], { DATABASE_URL: "postgres://postgres@127.0.0.1:1/x" });
    expectCleanError(res, 1);
    const lines = res.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("127.0.0.1:1");
  });

  it("reports a data directory that cannot be written (exit 1)", async () => {
    // Root ignores permission bits, so then use a path under a regular file, which can never be created.
    let target: string;
    if (process.getuid?.() === 0) {
      const file = path.join(scratch, "a-file");
      await writeFile(file, "not a directory");
      target = path.join(file, "data");
    } else {
      const locked = path.join(scratch, "locked");
      await mkdir(locked);
      await chmod(locked, 0o500);
      target = locked;
    }
    const res = await runCli(["--data", target, "init"]);
    expectCleanError(res, 1);
    const lines = res.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(target);
    expect(lines[0]).toMatch(/not writable/);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)("relance CLI on PostgreSQL", () => {
  it("lets two init processes race on a fresh database: both succeed, one org, one owner, one membership", async () => {
    const { url, drop } = await freshPostgresUrl();
    try {
      const env = { DATABASE_URL: url };
      const args = ["init", "--admin-email", "owner@race.example", "--admin-password", "race race race", "--json"];
      const results = await Promise.all([runCli(args, env), runCli(args, env)]);
      for (const res of results) expect(res.code, res.stderr).toBe(0);
      expect(results.map((r) => jsonOf(r).createdOrg).sort()).toEqual([false, true]);
      const store = await openStore({ databaseUrl: url });
      try {
        const count = async (table: "orgs" | "users" | "memberships") =>
          Number(
            (
              await store.db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll().as("n"))
                .executeTakeFirstOrThrow()
            ).n,
          );
        expect({ orgs: await count("orgs"), users: await count("users"), memberships: await count("memberships") }).toEqual({
          orgs: 1,
          users: 1,
          memberships: 1,
        });
        const m = await store.db.selectFrom("memberships").select("role").executeTakeFirstOrThrow();
        expect(m.role).toBe("owner");
      } finally {
        await store.close();
      }
    } finally {
      await drop();
    }
  });
});
