import type { Command } from "commander";
import { Option } from "commander";
import { loadEnv } from "../config.js";
import { AppError } from "../errors.js";
import { ROLES } from "../services/actor.js";
import { createApiKey } from "../services/auth.js";
import { addMember, createOrg, initOrg } from "../services/orgs.js";
import { type GlobalOptions, printJson, withOrg, withStore } from "./context.js";

// The web app (Fastify, every route and service) and the demo generator are loaded by the
// commands that use them only. With delivery loaded the same way (dunning-commands.ts),
// `relance --help` peaks at 95 MB of RSS instead of 135-140 MB.
const loadServe = async () => (await import("./serve.js")).serve;
const loadSeedDemo = async () => (await import("../services/seed-demo.js")).seedDemo;

const intOption = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new AppError("usage", `${name} must be an integer, got "${value}"`);
  return n;
};

export function registerCommands(program: Command): void {
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();

  program
    .command("init")
    .description("create the organisation and its owner (idempotent)")
    .option("--admin-email <email>", "owner's email", "admin@example.com")
    .option("--admin-password <password>", "owner's password (at least 10 characters); generated and printed once if omitted")
    .option("--org-name <name>", "company name", "Ma société")
    .option("--slug <slug>", "organisation identifier", "default")
    .option("--json", "print the result as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const result = await withStore(o, (store) =>
        initOrg(store.db, {
          slug: o.slug as string,
          orgName: o.orgName as string,
          adminEmail: o.adminEmail as string,
          adminPassword: o.adminPassword as string | undefined,
        }),
      );
      if (o.json) return printJson(result);
      console.log(result.createdOrg ? `Organisation "${result.org.slug}" created.` : `Organisation "${result.org.slug}" already exists.`);
      if (result.createdAdmin) console.log(`Owner: ${result.admin.email}`);
      if (result.generatedPassword) console.log(`Password (shown once, write it down): ${result.generatedPassword}`);
    });

  program
    .command("demo")
    .description("fill an empty organisation with a realistic French SME history (~2 years)")
    .option("--seed <n>", "random seed: the same seed gives the same data", intOption("--seed"), 1)
    .option("--as-of <date>", "last day of the history (default today)")
    .option("--json", "print the counts as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const started = Date.now();
      const seedDemo = await loadSeedDemo();
      const counts = await withOrg(o, (store, actor) =>
        seedDemo(store, actor, { seed: o.seed as number, asOf: o.asOf as string | undefined }),
      );
      if (o.json) return printJson({ ...counts, ms: Date.now() - started });
      console.log(
        `Demo data loaded in ${((Date.now() - started) / 1000).toFixed(1)} s: ${counts.customers} customers, ${counts.documents} documents, ${counts.payments} payments, ${counts.allocations} allocations.`,
      );
    });

  program
    .command("serve")
    .description("start the web app and API")
    .addOption(new Option("--port <port>", "port (env PORT)").argParser(intOption("--port")))
    .option("--host <host>", "interface to listen on (env HOST)")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const serve = await loadServe();
      await serve({ data: o.data, port: o.port as number | undefined, host: o.host as string | undefined });
    });

  program
    .command("start")
    .description("first run: init + demo data when the database is empty, then serve (what npm start runs)")
    .addOption(new Option("--port <port>", "port (env PORT)").argParser(intOption("--port")))
    .option("--host <host>", "interface to listen on (env HOST)")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const serve = await loadServe();
      await serve({ data: o.data, port: o.port as number | undefined, host: o.host as string | undefined, demoIfEmpty: true });
    });

  const org = program.command("org").description("organisations");
  org
    .command("create <slug>")
    .description("create another organisation with its owner")
    .requiredOption("--admin-email <email>", "owner's email")
    .requiredOption("--admin-password <password>", "owner's password (at least 10 characters)")
    .option("--name <name>", "company name")
    .option("--json", "print the result as JSON")
    .action(async (slug: string, _o, cmd: Command) => {
      const o = globals(cmd);
      const result = await withStore(o, (store) =>
        createOrg(store.db, {
          slug,
          name: o.name as string | undefined,
          adminEmail: o.adminEmail as string,
          adminPassword: o.adminPassword as string,
        }),
      );
      if (o.json) return printJson(result);
      console.log(`Organisation "${result.org.slug}" created, owner ${result.admin.email}.`);
    });

  const user = program.command("user").description("team members");
  user
    .command("add <email>")
    .description("add a member to the organisation")
    .requiredOption("--password <password>", "initial password (at least 10 characters)")
    .addOption(new Option("--role <role>", "role").choices(ROLES as string[]).default("collector"))
    .option("--json", "print the result as JSON")
    .action(async (email: string, _o, cmd: Command) => {
      const o = globals(cmd);
      const result = await withOrg(o, (store, actor) =>
        addMember(store.db, actor, { email, password: o.password as string, role: o.role as (typeof ROLES)[number] }),
      );
      if (o.json) return printJson(result);
      console.log(
        result.existingAccount
          ? `${result.email} already had an account: added as ${result.role}; their password is unchanged.`
          : `${result.email} added as ${result.role}.`,
      );
    });

  const apikey = program.command("apikey").description("API keys");
  apikey
    .command("create <name>")
    .description("create an API key; the key is printed once")
    .addOption(new Option("--role <role>", "role of the key").choices(ROLES as string[]).default("viewer"))
    .option("--json", "print the result as JSON")
    .action(async (name: string, _o, cmd: Command) => {
      const o = globals(cmd);
      const key = await withOrg(o, (store, actor) => createApiKey(store.db, actor, { name, role: o.role as (typeof ROLES)[number] }));
      if (o.json) return printJson(key);
      console.log(key.key);
    });

  // Validate the environment early so a bad variable is one clear line, not a stack trace.
  program.hook("preAction", () => {
    try {
      loadEnv();
    } catch (error) {
      throw new AppError("usage", (error as Error).message);
    }
  });
}
