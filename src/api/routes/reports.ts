import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { notFound } from "../../errors.js";
import { agingToJson, parseAgingLimits, reportAging } from "../../services/report-aging.js";
import { BEHAVIOUR_SORTS, behaviourToJson, customerBehaviourToJson, reportBehaviour } from "../../services/report-behaviour.js";
import { bridgeToJson, reportBridge } from "../../services/report-bridge.js";
import { dsoToJson, reportDso } from "../../services/report-dso.js";
import { forecastToJson, reportForecast } from "../../services/report-forecast.js";
import { reportRisk, riskToJson } from "../../services/report-risk.js";
import { reportTrend, trendToJson } from "../../services/report-trend.js";
import { actorOf } from "../auth.js";
import { IdParam, IsoDateSchema } from "../schemas.js";

/** Reports answer the same JSON as `relance report … --json` (the same service builds both). */
const Days = z.coerce.number().int().min(1).max(3660);
const Count = (max: number) => z.coerce.number().int().min(1).max(max);
const AsOf = { asOf: IsoDateSchema.optional().describe("date of the figures, YYYY-MM-DD (default today, Europe/Paris)") };

export async function reportRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = app.store.db;

  r.get(
    "/api/reports/dso",
    {
      schema: {
        tags: ["reports"],
        summary: "Classic and count-back DSO, best possible DSO, ADD and CEI over a window (default: the 90 days to asOf)",
        querystring: z.object({
          ...AsOf,
          from: IsoDateSchema.optional(),
          to: IsoDateSchema.optional(),
          days: Days.optional().describe("days of the ratio instead of the window's (360/365 conventions)"),
        }),
      },
    },
    async (request) => {
      const rep = await reportDso(db, actorOf(request), request.query);
      return dsoToJson(rep.asOf, rep.figures);
    },
  );

  r.get(
    "/api/reports/aging",
    {
      schema: {
        tags: ["reports"],
        summary: "Receivables by days past due, with counts; per customer (largest first); a customer's documents with customerId",
        querystring: z.object({
          ...AsOf,
          buckets: z
            .string()
            .regex(/^\d+(,\d+)*$/, "comma-separated days, e.g. 30,60,90")
            .optional(),
          customerId: z.coerce.number().int().positive().optional(),
          limit: Count(100_000).default(100),
        }),
      },
    },
    async (request) => {
      const q = request.query;
      const rep = await reportAging(db, actorOf(request), {
        asOf: q.asOf,
        limits: q.buckets ? parseAgingLimits(q.buckets) : undefined,
        customerId: q.customerId,
        customerLimit: q.limit,
      });
      return agingToJson(rep);
    },
  );

  r.get(
    "/api/reports/forecast",
    {
      schema: {
        tags: ["reports"],
        summary: "Expected receipts per week and per month; the forecast made pastWeeks ago against actual receipts",
        querystring: z.object({
          ...AsOf,
          weeks: Count(260).default(13),
          months: Count(60).default(6),
          pastWeeks: z.coerce.number().int().min(0).max(104).default(4),
        }),
      },
    },
    async (request) => forecastToJson(await reportForecast(db, actorOf(request), request.query)),
  );

  r.get(
    "/api/reports/risk",
    {
      schema: {
        tags: ["reports"],
        summary: "Risk score 0–100 per customer with its factors, and the customers whose risk rose in 30 days",
        querystring: z.object({ ...AsOf, limit: Count(100_000).default(50) }),
      },
    },
    async (request) => riskToJson(await reportRisk(db, actorOf(request), request.query)),
  );

  r.get(
    "/api/reports/trend",
    {
      schema: {
        tags: ["reports"],
        summary: "The DSO report at the end of each of the last months",
        querystring: z.object({ ...AsOf, months: Count(120).default(24), window: Days.default(90), days: Days.optional() }),
      },
    },
    async (request) => {
      const q = request.query;
      return trendToJson(await reportTrend(db, actorOf(request), { asOf: q.asOf, months: q.months, windowDays: q.window, days: q.days }));
    },
  );

  r.get(
    "/api/reports/bridge",
    {
      schema: {
        tags: ["reports"],
        summary: "Why the DSO moved between compareTo and asOf: each customer's contribution, largest first",
        querystring: z.object({
          ...AsOf,
          compareTo: IsoDateSchema.optional().describe("the earlier date (default one month before asOf)"),
          window: Days.default(90),
          days: Days.optional(),
          limit: Count(100_000).default(50),
        }),
      },
    },
    async (request) => {
      const q = request.query;
      return bridgeToJson(
        await reportBridge(db, actorOf(request), {
          asOf: q.asOf,
          compareTo: q.compareTo,
          windowDays: q.window,
          days: q.days,
          limit: q.limit,
        }),
      );
    },
  );

  r.get(
    "/api/reports/behaviour",
    {
      schema: {
        tags: ["reports"],
        summary: "How customers paid over 12 months: days to pay, days late, on-time share, trend, promises, disputes",
        querystring: z.object({
          ...AsOf,
          customerId: z.coerce.number().int().positive().optional(),
          sort: z.enum(BEHAVIOUR_SORTS).default("paid"),
          limit: Count(100_000).default(100),
        }),
      },
    },
    async (request) => behaviourToJson(await reportBehaviour(db, actorOf(request), request.query)),
  );

  r.get(
    "/api/customers/:id/behaviour",
    {
      schema: {
        tags: ["reports", "customers"],
        summary: "How one customer paid over 12 months",
        params: IdParam,
        querystring: z.object(AsOf),
      },
    },
    async (request) => {
      const rep = await reportBehaviour(db, actorOf(request), { asOf: request.query.asOf, customerId: request.params.id });
      const customer = rep.customers[0];
      if (!customer) throw notFound("customer");
      return { asOf: rep.asOf, from: rep.from, recentFrom: rep.recentFrom, ...customerBehaviourToJson(customer) };
    },
  );
}
