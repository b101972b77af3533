/**
 * Scheduled dunning inside `relance serve`: for each organisation, a croner job on its
 * `dunning.schedule` (default "0 9 * * 1-5", time zone `dunning.timezone`, Europe/Paris)
 * plans the day's reminders; an outbox sweep every `sweepSeconds` delivers what is pending
 * within the organisation's sending window (`dunning.window`, default 08:00-19:00).
 * Schedules are re-read every few minutes, so a settings change needs no restart.
 * Several servers may run it at once: exactly-once is enforced by the database.
 * RELANCE_SCHEDULER=off disables it.
 */
import { Cron } from "croner";
import { readSettings } from "../services/settings.js";
import type { Store } from "../store/connect.js";
import { planRun } from "./engine.js";
import { dunningEnv } from "./transport.js";
import { deliverDue } from "./worker.js";

export interface SchedulerLog {
  info(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface Scheduler {
  stop(): Promise<void>;
}

export interface SchedulerOptions {
  sweepSeconds?: number;
  reloadSeconds?: number;
}

/** Whether "HH:MM" now in `timeZone` is inside "HH:MM-HH:MM". */
export function inWindow(window: string, timeZone: string, now = new Date()): boolean {
  const [from, to] = window.split("-");
  const hm = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(now);
  return Boolean(from && to && hm >= from && hm < to);
}

export function startScheduler(store: Store, log: SchedulerLog, options: SchedulerOptions = {}): Scheduler {
  if (dunningEnv().RELANCE_SCHEDULER === "off") {
    log.info({}, "dunning scheduler disabled (RELANCE_SCHEDULER=off)");
    return { stop: async () => {} };
  }
  const jobs = new Map<number, { key: string; cron: Cron }>();
  const running = new Set<Promise<unknown>>();
  let stopped = false;
  let sweeping = false;

  const track = <T>(p: Promise<T>) => {
    running.add(p);
    p.finally(() => running.delete(p)).catch(() => {});
    return p;
  };

  const runOrg = async (orgId: number) => {
    if (stopped) return;
    try {
      const r = await planRun(store.db, orgId);
      log.info({ orgId, asOf: r.asOf, planned: r.planned, skipped: r.suppressed }, "dunning run planned");
      await sweep();
    } catch (error) {
      log.error({ orgId, err: error }, "dunning run failed");
    }
  };

  const reload = async () => {
    if (stopped) return;
    try {
      const orgs = await store.db.selectFrom("orgs").select("id").execute();
      const seen = new Set<number>();
      for (const { id } of orgs) {
        seen.add(id);
        const s = await readSettings(store.db, id);
        const key = s["dunning.enabled"] === false ? "off" : `${s["dunning.schedule"]}|${s["dunning.timezone"]}`;
        const current = jobs.get(id);
        if (current?.key === key) continue;
        current?.cron.stop();
        jobs.delete(id);
        if (key === "off") continue;
        const cron = new Cron(
          s["dunning.schedule"] ?? "0 9 * * 1-5",
          { timezone: s["dunning.timezone"] ?? "Europe/Paris", protect: true },
          () => {
            track(runOrg(id));
          },
        );
        jobs.set(id, { key, cron });
        log.info({ orgId: id, schedule: s["dunning.schedule"], next: cron.nextRun() }, "dunning schedule set");
      }
      for (const [id, job] of jobs) {
        if (!seen.has(id)) {
          job.cron.stop();
          jobs.delete(id);
        }
      }
    } catch (error) {
      log.error({ err: error }, "dunning scheduler reload failed");
    }
  };

  const sweep = async () => {
    if (stopped || sweeping) return;
    sweeping = true;
    try {
      for (const id of jobs.keys()) {
        const s = await readSettings(store.db, id);
        if (!inWindow(s["dunning.window"] ?? "08:00-19:00", s["dunning.timezone"] ?? "Europe/Paris")) continue;
        const r = await deliverDue({ store, orgId: id, limit: 500 });
        if (r.outcomes.length)
          log.info({ orgId: id, sent: r.sent, failed: r.failed, retried: r.retried, cancelled: r.cancelled }, "dunning messages delivered");
      }
    } catch (error) {
      log.error({ err: error }, "dunning delivery failed");
    } finally {
      sweeping = false;
    }
  };

  track(reload());
  const reloadTimer = setInterval(() => track(reload()), (options.reloadSeconds ?? 300) * 1000);
  const sweepTimer = setInterval(() => track(sweep()), (options.sweepSeconds ?? 30) * 1000);
  reloadTimer.unref();
  sweepTimer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(reloadTimer);
      clearInterval(sweepTimer);
      for (const j of jobs.values()) j.cron.stop();
      jobs.clear();
      await Promise.allSettled([...running]);
    },
  };
}
