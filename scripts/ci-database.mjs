// Creates or drops one throw-away PostgreSQL database for a CI run (no psql needed).
// Usage: node scripts/ci-database.mjs create|drop NAME   (server from PG_ADMIN_URL)
import pg from "pg";

const [action, name] = process.argv.slice(2);
if (!["create", "drop"].includes(action) || !/^[a-z_][a-z0-9_]*$/.test(name ?? "")) {
  console.error("usage: ci-database.mjs create|drop NAME");
  process.exit(2);
}
const client = new pg.Client({ connectionString: process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" });
try {
  await client.connect();
  await client.query(action === "create" ? `create database ${name}` : `drop database if exists ${name} with (force)`);
} catch (error) {
  console.error(`cannot ${action} database ${name}: ${error.message}`);
  process.exit(1);
} finally {
  await client.end().catch(() => {});
}
