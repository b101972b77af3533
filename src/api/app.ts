import cookie from "@fastify/cookie";
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { Env } from "../config.js";
import { AppError, ERROR_CODES } from "../errors.js";
import type { Store } from "../store/connect.js";
import { authPlugin } from "./auth.js";
import { authRoutes } from "./routes/auth.js";
import { collectRoutes } from "./routes/collect.js";
import { customerRoutes } from "./routes/customers.js";
import { documentRoutes } from "./routes/documents.js";
import { dunningRoutes } from "./routes/dunning.js";
import { healthRoutes } from "./routes/health.js";
import { importRoutes } from "./routes/imports.js";
import { paymentRoutes } from "./routes/payments.js";
import { reportRoutes } from "./routes/reports.js";
import { settingsRoutes } from "./routes/settings.js";
import { setupRoutes } from "./routes/setup.js";
import { userRoutes } from "./routes/users.js";
import { webRoutes } from "./routes/web.js";

export interface AppOptions {
  store: Store;
  env: Pick<Env, "RELANCE_SESSION_DAYS" | "RELANCE_COOKIE_SECURE"> & Partial<Pick<Env, "RELANCE_TRUST_PROXY">>;
  /** A pino logger; none (silent) when absent, as in tests. */
  logger?: FastifyBaseLogger;
}

export type App = FastifyInstance;

declare module "fastify" {
  interface FastifyInstance {
    store: Store;
    appEnv: AppOptions["env"];
  }
}

export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    trustProxy: trustProxySetting(options.env.RELANCE_TRUST_PROXY),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate("store", options.store);
  app.decorate("appEnv", options.env);

  app.setErrorHandler((error, request, reply) => {
    const instance = request.url.split("?")[0];
    if (hasZodFastifySchemaValidationErrors(error)) {
      const problems = error.validation.map((v) => ({
        field: [
          v.instancePath.replace(/^\//, "").replaceAll("/", "."),
          (v.params as { issue?: { path?: unknown[] } })?.issue?.path?.join("."),
        ].filter(Boolean)[0] as string | undefined,
        message: v.message ?? "invalid",
      }));
      return reply
        .status(400)
        .type("application/problem+json")
        .send({
          type: "about:blank",
          title: "Invalid input",
          status: 400,
          code: "invalid_input",
          detail: `invalid ${error.validationContext}`,
          instance,
          problems,
        });
    }
    if (error instanceof AppError) {
      return reply.status(error.status).type("application/problem+json").send({
        type: "about:blank",
        title: ERROR_CODES[error.code].title,
        status: error.status,
        code: error.code,
        detail: error.message,
        instance,
        problems: error.problems,
      });
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) request.log.error(error);
    return reply
      .status(status)
      .type("application/problem+json")
      .send({
        type: "about:blank",
        title: status === 429 ? "Too many requests" : status >= 500 ? "Internal error" : "Bad request",
        status,
        code: status === 429 ? "rate_limited" : status >= 500 ? "internal" : "bad_request",
        detail: status >= 500 ? "an unexpected error occurred" : (error as Error).message,
        instance,
      });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .type("application/problem+json")
      .send({
        type: "about:blank",
        title: "Not found",
        status: 404,
        code: "not_found",
        detail: `no route ${request.method} ${request.url.split("?")[0]}`,
        instance: request.url.split("?")[0],
      }),
  );

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
      },
    },
  });
  await app.register(cookie);
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: {
        title: "Relance API",
        version: "0.1.0",
        description: 'Accounts-receivable collections and DSO. Money is a decimal string ("40000.00"); dates are YYYY-MM-DD.',
      },
      components: {
        securitySchemes: {
          session: { type: "apiKey", in: "cookie", name: "relance_session" },
          apiKey: { type: "http", scheme: "bearer" },
        },
      },
      security: [{ session: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs", staticCSP: true });
  await app.register(authPlugin);
  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(customerRoutes);
  await app.register(documentRoutes);
  await app.register(paymentRoutes);
  await app.register(reportRoutes);
  await app.register(importRoutes);
  await app.register(setupRoutes);
  await app.register(userRoutes);
  await app.register(dunningRoutes);
  await app.register(collectRoutes);
  await app.register(settingsRoutes);
  await app.register(webRoutes);
  return app;
}

/** "true"/"false" or a comma-separated list of proxy addresses/CIDRs (Fastify's forms). */
function trustProxySetting(value: string | undefined): boolean | string[] {
  if (!value || value === "false") return false;
  if (value === "true") return true;
  return value.split(",").map((v) => v.trim());
}
