import { z } from "zod";

/** Environment configuration, validated once at start-up (DESIGN §7). */
const EnvSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  RELANCE_DATA_DIR: z.string().min(1).default("./data"),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HOST: z.string().optional(),
  RELANCE_BASE_URL: z.string().url().optional(),
  RELANCE_SESSION_DAYS: z.coerce.number().int().min(1).max(365).default(14),
  RELANCE_COOKIE_SECURE: z.enum(["true", "false", "auto"]).default("auto"),
  // Behind a reverse proxy, the address(es) of the proxy whose X-Forwarded-* headers are
  // believed (Fastify trustProxy syntax: "127.0.0.1", "10.0.0.0/8", a hop count…). Unset: none,
  // so a client cannot dodge the login rate limit by forging X-Forwarded-For.
  RELANCE_TRUST_PROXY: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  NODE_ENV: z.string().optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export function loadEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`invalid environment variable ${first?.path.join(".")}: ${first?.message}`);
  }
  return parsed.data;
}
