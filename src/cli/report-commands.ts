/**
 * `relance report dso|aging|forecast|risk|trend|bridge|behaviour` and `relance diagnose`.
 * Thin: parse options, call the report service, print JSON (`--json`) or a table in the
 * locale of LANG (French by default).
 */
import { stat } from "node:fs/promises";
import type { Command } from "commander";
import { FecError } from "../domain/fec.js";
import { AppError, invalid, notFound } from "../errors.js";
import { diagnoseFecFile, diagnosisToJson, formatDiagnosis } from "../services/diagnose-fec.js";
import { agingToJson, parseAgingLimits, reportAging } from "../services/report-aging.js";
import { BEHAVIOUR_SORTS, type BehaviourSort, behaviourToJson, reportBehaviour } from "../services/report-behaviour.js";
import { bridgeToJson, reportBridge } from "../services/report-bridge.js";
import { checkDate, checkPositiveInteger, usageError } from "../services/report-common.js";
import { dsoToJson, reportDso } from "../services/report-dso.js";
import { forecastToJson, reportForecast } from "../services/report-forecast.js";
import {
  formatAging,
  formatBehaviour,
  formatBridge,
  formatDso,
  formatForecast,
  formatRisk,
  formatTrend,
  localeFromEnv,
} from "../services/report-format.js";
import { reportRisk, riskToJson } from "../services/report-risk.js";
import { reportTrend, trendToJson } from "../services/report-trend.js";
import type { Store } from "../store/connect.js";
import { type GlobalOptions, printJson, withOrg } from "./context.js";

type Opts = GlobalOptions & Record<string, unknown>;

const integer = (name: string) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new AppError("usage", `${name} must be a whole number, got "${value}"`);
  return n;
};

async function customerIdOf(store: Store, orgId: number, ref: string | undefined): Promise<number | undefined> {
  if (ref === undefined) return undefined;
  const c = await store.db.selectFrom("customers").select("id").where("org_id", "=", orgId).where("ref", "=", ref).executeTakeFirst();
  if (!c) throw notFound(`customer "${ref}"`);
  return c.id;
}

function print(json: boolean, value: () => unknown, text: () => string): void {
  if (json) printJson(value());
  else process.stdout.write(text());
}

export function registerReportCommands(program: Command): void {
  const globals = (cmd: Command) => cmd.optsWithGlobals<Opts>();
  const locale = localeFromEnv();
  const report = program.command("report").description("DSO, aging, forecast, risk… (rapports)");

  report
    .command("dso")
    .description("classic and count-back DSO, best possible DSO, ADD and CEI over a window (default: the 90 days to --as-of)")
    .option("--as-of <date>", "date of the figures (default today, Europe/Paris)")
    .option("--from <date>", "start of the window")
    .option("--to <date>", "end of the window (the as-of date)")
    .option("--days <n>", "days of the ratio instead of the window's (360/365 conventions)", integer("--days"))
    .option("--json", "print the figures as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const r = await withOrg(o, (store, actor) =>
        reportDso(store.db, actor, {
          asOf: o.asOf as string | undefined,
          from: o.from as string | undefined,
          to: o.to as string | undefined,
          days: o.days as number | undefined,
        }),
      );
      print(
        Boolean(o.json),
        () => dsoToJson(r.asOf, r.figures),
        () => formatDso(r.asOf, r.figures, locale),
      );
    });

  report
    .command("aging")
    .description("receivables by days past due, per customer; --customer REF lists its documents")
    .option("--as-of <date>", "date of the aging (default today)")
    .option("--by <what>", '"customer": list every customer (default: the 20 largest balances)')
    .option("--customer <ref>", "one customer and its open documents")
    .option("--buckets <limits>", "upper limits of the overdue buckets, in days", "30,60,90")
    .option("--limit <n>", "how many customers to list", integer("--limit"))
    .option("--json", "print the aging as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      if (o.by !== undefined && o.by !== "customer") throw usageError(`--by only takes "customer", got "${o.by}"`);
      const limits = parseAgingLimits(o.buckets as string);
      const r = await withOrg(o, async (store, actor) =>
        reportAging(store.db, actor, {
          asOf: o.asOf as string | undefined,
          limits,
          customerId: await customerIdOf(store, actor.orgId, o.customer as string | undefined),
          customerLimit: (o.limit as number | undefined) ?? (o.by === "customer" ? undefined : 20),
        }),
      );
      print(
        Boolean(o.json),
        () => agingToJson(r),
        () => formatAging(r, locale),
      );
    });

  report
    .command("forecast")
    .description("expected receipts per week and per month, and last weeks' forecast against actual receipts")
    .option("--as-of <date>", "date of the forecast (default today)")
    .option("--weeks <n>", "weeks ahead", integer("--weeks"), 13)
    .option("--months <n>", "months ahead", integer("--months"), 6)
    .option("--past-weeks <n>", "past weeks compared with actual receipts", integer("--past-weeks"), 4)
    .option("--json", "print the forecast as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const r = await withOrg(o, (store, actor) =>
        reportForecast(store.db, actor, {
          asOf: o.asOf as string | undefined,
          weeks: o.weeks as number,
          months: o.months as number,
          pastWeeks: o.pastWeeks as number,
        }),
      );
      print(
        Boolean(o.json),
        () => forecastToJson(r),
        () => formatForecast(r, locale),
      );
    });

  report
    .command("risk")
    .description("risk score 0–100 per customer with its factors; customers whose risk rose in 30 days")
    .option("--as-of <date>", "date of the scores (default today)")
    .option("--limit <n>", "how many customers in each list", integer("--limit"))
    .option("--json", "print the scores as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const r = await withOrg(o, (store, actor) =>
        reportRisk(store.db, actor, {
          asOf: o.asOf as string | undefined,
          limit: (o.limit as number | undefined) ?? (o.json ? undefined : 20),
        }),
      );
      print(
        Boolean(o.json),
        () => riskToJson(r),
        () => formatRisk(r, locale),
      );
    });

  report
    .command("trend")
    .description("the DSO report at the end of each of the last months")
    .option("--as-of <date>", "last point (default today)")
    .option("--months <n>", "number of months", integer("--months"), 24)
    .option("--window <days>", "days of each point's window", integer("--window"), 90)
    .option("--days <n>", "days of the ratio instead of the window's (360/365 conventions)", integer("--days"))
    .option("--json", "print the points as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const r = await withOrg(o, (store, actor) =>
        reportTrend(store.db, actor, {
          asOf: o.asOf as string | undefined,
          months: o.months as number,
          windowDays: o.window as number,
          days: o.days as number | undefined,
        }),
      );
      print(
        Boolean(o.json),
        () => trendToJson(r),
        () => formatTrend(r, locale),
      );
    });

  report
    .command("bridge")
    .description("why the DSO moved between two dates: each customer's contribution, largest first")
    .option("--as-of <date>", "the later date (default today)")
    .option("--compare-to <date>", "the earlier date (default one month before)")
    .option("--window <days>", "days of each side's window", integer("--window"), 90)
    .option("--days <n>", "days of the ratio instead of the window's (360/365 conventions)", integer("--days"))
    .option("--limit <n>", "how many customers to list (the rest is summed)", integer("--limit"))
    .option("--json", "print the bridge as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const r = await withOrg(o, (store, actor) =>
        reportBridge(store.db, actor, {
          asOf: o.asOf as string | undefined,
          compareTo: o.compareTo as string | undefined,
          windowDays: o.window as number,
          days: o.days as number | undefined,
          limit: (o.limit as number | undefined) ?? (o.json ? undefined : 20),
        }),
      );
      print(
        Boolean(o.json),
        () => bridgeToJson(r),
        () => formatBridge(r, locale),
      );
    });

  report
    .command("behaviour")
    .alias("behavior")
    .description("how customers pay: days to pay, days late, on-time share, trend, promises, disputes")
    .option("--as-of <date>", "end of the 12 months observed (default today)")
    .option("--customer <ref>", "one customer")
    .option("--sort <key>", `order: ${BEHAVIOUR_SORTS.join(", ")}`, "paid")
    .option("--limit <n>", "how many customers to list", integer("--limit"))
    .option("--json", "print the behaviour as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const r = await withOrg(o, async (store, actor) =>
        reportBehaviour(store.db, actor, {
          asOf: o.asOf as string | undefined,
          customerId: await customerIdOf(store, actor.orgId, o.customer as string | undefined),
          sort: o.sort as BehaviourSort,
          limit: (o.limit as number | undefined) ?? (o.json ? undefined : 30),
        }),
      );
      print(
        Boolean(o.json),
        () => behaviourToJson(r),
        () => formatBehaviour(r, locale),
      );
    });

  program
    .command("diagnose <fec_file>")
    .description("instant diagnosis of a FEC (DSO, DPO, DIO, BFR, cycle, aging, top customers) — no database needed")
    .option("--from <date>", "start of the period (default: the file's first entry)")
    .option("--to <date>", "end of the period (default: the file's last entry)")
    .option("--days <n>", "days of the ratios instead of the period's", integer("--days"))
    .option("--json", "print the diagnosis as JSON")
    .action(async (file: string, _o, cmd: Command) => {
      const o = globals(cmd);
      const from = checkDate(o.from as string | undefined, "--from");
      const to = checkDate(o.to as string | undefined, "--to");
      if (from && to && from > to) throw usageError(`--from ${from} is after --to ${to}`);
      const days = checkPositiveInteger(o.days as number | undefined, "--days", 3660);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) throw usageError(`cannot read ${file}: no such file`);
      let d: Awaited<ReturnType<typeof diagnoseFecFile>>;
      try {
        d = await diagnoseFecFile(file, { from, to, days });
      } catch (e) {
        if (e instanceof FecError) {
          throw invalid(e.message, [{ line: e.line ?? undefined, field: e.field ?? undefined, message: e.reason }]);
        }
        throw e;
      }
      print(
        Boolean(o.json),
        () => diagnosisToJson(d),
        () => formatDiagnosis(d, locale),
      );
    });
}
