import { useMemo, useState } from "react";
import { Link, useLocation } from "wouter";
import { AGING_COLORS, baseOption, Chart, PALETTE } from "../components/Chart";
import { Icon } from "../components/Icon";
import { RiskFactors, RiskScore } from "../components/Risk";
import { Badge, Button, Card, Empty, ErrorBox, Kpi, Skeleton } from "../components/ui";
import type { ListPage } from "../lib/api";
import { addMoney, chartNumber, compareMoney, isPositive, toCents } from "../lib/decimal";
import { addDaysIso, todayIso } from "../lib/format";
import { useI18n } from "../lib/i18n";
import { PAGE_ROUTES } from "../lib/pages";
import { useSession } from "../lib/session";
import type { CustomerListItem } from "../lib/types";
import { useApi } from "../lib/useApi";
import { TodayPanel } from "./TodayPanel";

interface DsoJson {
  asOf: string;
  from: string;
  to: string;
  days: number;
  receivables: string;
  revenue: string;
  dso: { classic: number | null; countback: number; bestPossible: number | null; add: number | null };
  cei: number | null;
  countbackExhausted: boolean;
  notDue?: string;
}
interface TrendJson {
  points: ({ month: string } & DsoJson)[];
}
interface AgingJson {
  asOf: string;
  buckets: Record<string, string>;
  counts: Record<string, number>;
  total: string;
  receivables?: string;
  limits?: number[];
  customerCount?: number;
  customers: { id: number; ref: string; name: string; buckets: Record<string, string>; total: string; receivables?: string }[];
}
interface ForecastJson {
  weeks: { from: string; to: string; expected: string }[];
  past: { from: string; to: string; expected: string; received: string }[];
  overdue: string;
  disputed: string;
  doubtful: string;
  laterThanWeeks: string;
}
interface RiskCustomer {
  id: number;
  ref: string;
  name: string;
  receivables: string;
  score: number;
  previousScore: number;
  change: number;
  factors: { key: string; points: number; max: number; value: number | null }[];
}
interface RiskJson {
  comparedTo: string;
  rose: RiskCustomer[];
}
interface BridgeJson {
  before: { to: string; dso: number | null; ar: string; revenue: string };
  after: { to: string; dso: number | null; ar: string; revenue: string };
  change: number | null;
  calendarEffect: number | null;
  lines: {
    customerId: number | null;
    ref: string | null;
    name: string | null;
    contribution: number | null;
    receivablesEffect: number | null;
    revenueEffect: number | null;
  }[];
  others: { count: number; contribution: number | null };
}

/** Share of `part` in `whole` (decimal strings), for display only: computed on integer cents. */
function share(part: string, whole: string): number | null {
  const w = toCents(whole);
  if (w <= 0n) return null;
  return Number((toCents(part) * 100_000n) / w) / 100_000;
}

/** Customers fetched with the aging report: enough to find the largest overdue ones, and cheap even with 100 000 customers. */
const TOP_POOL = 50;

/**
 * The largest overdue customers, from the aging report's customers (largest receivables
 * first). Exact when every customer is in the list; otherwise when the n-th overdue amount
 * is at least the smallest receivables listed, since a customer left out owes less than that
 * in all (barring a not-yet-due credit larger than its overdue invoices).
 * `undefined` when neither holds: the caller asks the customer list instead.
 */
function topOverdue(a: AgingJson, n: number): { id: number; name: string; overdue: string; outstanding: string }[] | undefined {
  const rows = a.customers
    .map((c) => ({
      id: c.id,
      name: c.name,
      overdue: addMoney(
        ...Object.entries(c.buckets)
          .filter(([k]) => k !== "not_due")
          .map(([, v]) => v),
      ),
      outstanding: c.receivables ?? c.total,
    }))
    .filter((r) => isPositive(r.overdue))
    .sort((x, y) => compareMoney(y.overdue, x.overdue))
    .slice(0, n);
  const complete = (a.customerCount ?? a.customers.length) <= a.customers.length;
  const smallest = a.customers.reduce<string | null>((m, c) => (m === null || compareMoney(c.total, m) < 0 ? c.total : m), null);
  const last = rows[n - 1];
  if (complete || (last && smallest !== null && compareMoney(last.overdue, smallest) >= 0)) return rows;
  return undefined;
}

/** Due-date range (for the invoice list) of an aging bucket such as "1_30", "91_plus" or "not_due". */
function bucketRange(key: string, asOf: string): { dueFrom?: string; dueTo?: string } {
  if (key === "not_due") return { dueFrom: asOf };
  const m = /^(\d+)_(\d+|plus)$/.exec(key);
  if (!m) return {};
  const lo = Number(m[1]);
  const hi = m[2] === "plus" ? null : Number(m[2]);
  return { dueTo: addDaysIso(asOf, -lo), ...(hi !== null ? { dueFrom: addDaysIso(asOf, -hi) } : {}) };
}

const qs = (o: Record<string, string | undefined>) =>
  new URLSearchParams(Object.entries(o).filter((e): e is [string, string] => Boolean(e[1]))).toString();

export default function Dashboard() {
  const { t, f } = useI18n();
  const { has } = useSession();
  const [, navigate] = useLocation();
  const today = todayIso();
  const dso = useApi<DsoJson>("/api/reports/dso");
  const aging = useApi<AgingJson>("/api/reports/aging", { limit: TOP_POOL });
  const trend = useApi<TrendJson>(has("GET /api/reports/trend") ? "/api/reports/trend" : null, { months: 24 });
  const forecast = useApi<ForecastJson>(has("GET /api/reports/forecast") ? "/api/reports/forecast" : null, { weeks: 8 });
  const risk = useApi<RiskJson>(has("GET /api/reports/risk") ? "/api/reports/risk" : null, { limit: 6 });
  const fromAging = useMemo(() => (aging.data ? topOverdue(aging.data, 6) : null), [aging.data]);
  // Only when the aging's largest customers cannot prove the top six (rare): ask the customer list.
  const top = useApi<ListPage<CustomerListItem>>(fromAging === undefined ? "/api/customers" : null, {
    sort: "overdue",
    dir: "desc",
    limit: 6,
    overdue: "true",
  });
  const topRows = fromAging ?? top.data?.items.map((c) => ({ id: c.id, name: c.name, overdue: c.overdue, outstanding: c.outstanding }));

  const d = dso.data;
  const a = aging.data;
  const overdue = a
    ? addMoney(
        ...Object.entries(a.buckets)
          .filter(([k]) => k !== "not_due")
          .map(([, v]) => (isPositive(v) ? v : "0")),
      )
    : undefined;
  const receivables = d?.receivables ?? a?.receivables ?? a?.total;
  // A new organisation: nothing imported yet, so every figure would be zero.
  const empty = Boolean(d && a && !isPositive(d.revenue) && Object.values(a.counts).every((n) => n === 0));

  return (
    <div className="page dashboard">
      <header className="page-head">
        <div>
          <h1>{t("dash.title")}</h1>
          <p className="page-sub">
            {d ? t("dash.subtitle", { date: f.date(d.asOf), from: f.date(d.from), days: d.days }) : t("dash.subtitleShort")}
          </p>
        </div>
        <div className="page-actions no-print">
          <Button icon="printer" onClick={() => window.print()}>
            {t("common.print")}
          </Button>
        </div>
      </header>
      <ErrorBox
        error={dso.error ?? aging.error}
        onRetry={() => {
          dso.reload();
          aging.reload();
        }}
      />
      {empty ? (
        <div className="welcome">
          <div>
            <h2>{t("dash.welcome")}</h2>
            <p className="muted">{t("dash.welcomeHint")}</p>
          </div>
          {has(PAGE_ROUTES.imports) ? (
            <Link href="/imports" className="btn btn-primary">
              <Icon name="upload" /> {t("dash.welcomeImport")}
            </Link>
          ) : null}
        </div>
      ) : null}
      <div className="kpis kpis-5">
        <Kpi
          testId="kpi-receivables"
          label={t("dash.receivables")}
          value={receivables ? f.moneyCompact(receivables) : "…"}
          exact={f.money(receivables)}
          sub={d ? t("dash.revenue", { amount: f.moneyCompact(d.revenue), days: d.days }) : undefined}
          href="/invoices?status=open"
        />
        <Kpi
          testId="kpi-overdue"
          label={t("dash.overdue")}
          value={overdue ? f.moneyCompact(overdue) : "…"}
          exact={f.money(overdue)}
          tone={overdue && isPositive(overdue) ? "danger" : undefined}
          sub={overdue && receivables ? t("dash.overdueShare", { pct: f.percent(share(overdue, receivables)) }) : undefined}
          href="/invoices?status=overdue"
        />
        <Kpi
          testId="kpi-dso"
          label={t("dash.dso")}
          value={d ? f.days(d.dso.classic) : "…"}
          sub={d ? t("dash.countback", { days: f.days(d.dso.countback) }) + (d.countbackExhausted ? " ≥" : "") : undefined}
          href="#bridge"
        />
        <Kpi
          testId="kpi-best"
          label={t("dash.bestDso")}
          value={d ? f.days(d.dso.bestPossible) : "…"}
          sub={d ? t("dash.add", { days: f.days(d.dso.add) }) : undefined}
          href={`/invoices?${qs({ status: "open", dueFrom: today })}`}
        />
        <Kpi
          testId="kpi-cei"
          label={t("dash.cei")}
          value={d ? (d.cei === null ? "—" : f.percent(d.cei / 100)) : "…"}
          tone={d?.cei != null ? (d.cei >= 80 ? "success" : d.cei < 60 ? "danger" : "warning") : undefined}
          sub={t("dash.ceiHint")}
          href="/invoices?status=overdue"
        />
      </div>

      {empty ? null : (
        <div className="grid-2">
          <Card title={t("dash.trend")} subtitle={t("dash.trendHint")}>
            {trend.data ? <TrendChart data={trend.data} /> : <Skeleton rows={6} />}
          </Card>
          <Card
            title={t("dash.aging")}
            subtitle={a ? t("dash.agingHint", { n: f.number(Object.values(a.counts).reduce((s, n) => s + n, 0)) }) : undefined}
          >
            {a ? (
              <AgingChart
                data={a}
                onBucket={(key) =>
                  navigate(`/invoices?${qs({ status: key === "not_due" ? "open" : "overdue", ...bucketRange(key, a.asOf) })}`)
                }
                onCustomer={(id) => navigate(`/customers/${id}`)}
              />
            ) : (
              <Skeleton rows={6} />
            )}
          </Card>
        </div>
      )}

      <div className="grid-2">
        {has("GET /api/reports/forecast") && !empty ? (
          <Card title={t("dash.forecast")} subtitle={t("dash.forecastHint")}>
            <ErrorBox error={forecast.error} onRetry={forecast.reload} />
            {forecast.data ? (
              <ForecastChart
                data={forecast.data}
                onWeek={(w) => navigate(`/invoices?${qs({ status: "open", dueFrom: w.from, dueTo: w.to })}`)}
              />
            ) : forecast.error ? null : (
              <Skeleton rows={6} />
            )}
          </Card>
        ) : null}
        <TodayPanel />
      </div>

      <div className="grid-2">
        <Card title={t("dash.topOverdue")} actions={<Link href="/customers?filter=overdue&sort=overdue">{t("common.viewAll")}</Link>} flush>
          {!topRows ? (
            top.error ? null : (
              <Skeleton rows={6} />
            )
          ) : topRows.length === 0 ? (
            <Empty title={t("dash.noOverdue")} />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>{t("common.customer")}</th>
                  <th className="num">{t("customers.col.overdue")}</th>
                  <th className="num">{t("customers.col.outstanding")}</th>
                </tr>
              </thead>
              <tbody>
                {topRows.map((c) => (
                  <tr key={c.id}>
                    <td className="ellipsis">
                      <Link href={`/customers/${c.id}`} className="row-link">
                        {c.name}
                      </Link>
                    </td>
                    <td className="num">
                      <Link
                        href={`/invoices?${qs({ customerId: String(c.id), customerName: c.name, status: "overdue" })}`}
                        className="tone-danger"
                      >
                        {f.money(c.overdue)}
                      </Link>
                    </td>
                    <td className="num muted">{f.money(c.outstanding)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        {has("GET /api/reports/risk") ? (
          <Card
            title={t("dash.riskRose")}
            subtitle={risk.data ? t("dash.riskRoseHint", { date: f.date(risk.data.comparedTo) }) : undefined}
            flush
          >
            <ErrorBox error={risk.error} onRetry={risk.reload} />
            {!risk.data ? (
              risk.error ? null : (
                <Skeleton rows={6} />
              )
            ) : risk.data.rose.length === 0 ? (
              <Empty title={t("dash.noRiskRose")} />
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>{t("common.customer")}</th>
                    <th>{t("dash.riskScore")}</th>
                    <th>{t("dash.riskWhy")}</th>
                  </tr>
                </thead>
                <tbody>
                  {risk.data.rose.map((c) => (
                    <tr key={c.id}>
                      <td className="ellipsis">
                        <Link href={`/customers/${c.id}`} className="row-link">
                          {c.name}
                        </Link>
                      </td>
                      <td>
                        <RiskScore score={c.score} /> <span className="tone-danger small">+{c.change}</span>
                      </td>
                      <td className="muted small wrap">
                        <RiskFactors factors={c.factors} max={2} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        ) : null}
      </div>

      {has("GET /api/reports/bridge") && !empty ? <BridgeCard /> : null}
    </div>
  );
}

function TrendChart({ data }: { data: TrendJson }) {
  const { t, f } = useI18n();
  const option = useMemo(() => {
    const months = data.points.map((p) => f.month(`${p.month.slice(0, 7)}-01`));
    const series = (name: string, values: (number | null)[], color: string, dashed = false) => ({
      name,
      type: "line",
      data: values.map((v) => (v === null ? null : Math.round(v * 10) / 10)),
      smooth: 0.2,
      symbol: "circle",
      symbolSize: 5,
      showSymbol: false,
      connectNulls: true,
      lineStyle: { width: 2, color, type: dashed ? "dashed" : "solid" },
      itemStyle: { color },
    });
    return {
      ...baseOption(),
      tooltip: {
        ...(baseOption().tooltip as object),
        trigger: "axis",
        axisPointer: { type: "line" },
        valueFormatter: (v: number) => f.days(v),
      },
      xAxis: {
        type: "category",
        data: months,
        boundaryGap: false,
        axisLine: { lineStyle: { color: PALETTE.grid } },
        axisTick: { show: false },
        axisLabel: { color: PALETTE.muted, fontSize: 11 },
      },
      yAxis: {
        type: "value",
        splitLine: { lineStyle: { color: PALETTE.grid } },
        axisLabel: { color: PALETTE.muted, fontSize: 11, formatter: (v: number) => `${v} ${t("dash.daysUnit")}` },
      },
      series: [
        series(
          t("dash.series.classic"),
          data.points.map((p) => p.dso.classic),
          PALETTE.accent,
        ),
        series(
          t("dash.series.countback"),
          data.points.map((p) => p.dso.countback),
          PALETTE.amber,
        ),
        series(
          t("dash.series.best"),
          data.points.map((p) => p.dso.bestPossible),
          PALETTE.green,
          true,
        ),
      ],
    };
  }, [data, f, t]);
  return <Chart option={option} height={260} label={t("dash.trend")} />;
}

function AgingChart({ data, onBucket, onCustomer }: { data: AgingJson; onBucket(key: string): void; onCustomer(id: number): void }) {
  const { t, f, tOr } = useI18n();
  const keys = Object.keys(data.buckets);
  const option = useMemo(() => {
    const rows = [
      { id: 0, name: t("dash.allCustomers"), buckets: data.buckets },
      ...data.customers.slice(0, 6).map((c) => ({ id: c.id, name: c.name, buckets: c.buckets })),
    ];
    const label = (k: string) => tOr(`aging.${k}`, k.replace("_plus", "+").replace("_", "–"));
    return {
      ...baseOption(),
      grid: { left: 8, right: 16, top: 30, bottom: 4, containLabel: true },
      tooltip: {
        ...(baseOption().tooltip as object),
        trigger: "item",
        formatter: (p: { seriesName: string; name: string; data: { exact: string } }) =>
          `${p.name}<br/>${p.seriesName}: <b>${p.data.exact}</b>`,
      },
      xAxis: { type: "value", show: false, max: "dataMax" },
      yAxis: {
        type: "category",
        inverse: true,
        data: rows.map((r) => (r.name.length > 22 ? `${r.name.slice(0, 21)}…` : r.name)),
        axisLine: { show: false },
        axisTick: { show: false },
        axisLabel: { color: PALETTE.text, fontSize: 11.5, fontWeight: 500 },
      },
      series: keys.map((k, i) => ({
        name: label(k),
        type: "bar",
        stack: "aging",
        barWidth: 14,
        itemStyle: { color: AGING_COLORS[i] ?? PALETTE.darkRed, borderRadius: 0 },
        emphasis: { focus: "series" },
        data: rows.map((r) => {
          const v = r.buckets[k] ?? "0";
          // Each row as a share of its own total: customers of different sizes stay readable.
          const total = Object.values(r.buckets).reduce((s, x) => s + (isPositive(x) ? toCents(x) : 0n), 0n);
          const pct = total > 0n && isPositive(v) ? Number((toCents(v) * 10_000n) / total) / 100 : 0;
          return { value: pct, exact: f.money(v), bucket: k, customerId: r.id };
        }),
      })),
    };
  }, [data, keys, f, t, tOr]);
  return (
    <>
      <Chart
        option={option}
        height={250}
        label={t("dash.aging")}
        onClick={(e) => {
          const d = (e as unknown as { data: { bucket: string; customerId: number } }).data;
          if (d.customerId) onCustomer(d.customerId);
          else onBucket(d.bucket);
        }}
      />
      <div className="aging-legend">
        {keys.map((k, i) => (
          <button key={k} type="button" className="aging-cell" onClick={() => onBucket(k)}>
            <span className="swatch" style={{ background: AGING_COLORS[i] ?? PALETTE.darkRed }} />
            <span className="aging-label">{tOr(`aging.${k}`, k)}</span>
            <span className="aging-amount">{f.moneyCompact(data.buckets[k])}</span>
            <span className="muted small">{t("dash.docs", { n: data.counts[k] ?? 0 })}</span>
          </button>
        ))}
      </div>
    </>
  );
}

function ForecastChart({ data, onWeek }: { data: ForecastJson; onWeek(w: { from: string; to: string }): void }) {
  const { t, f } = useI18n();
  const past = data.past.slice(-4);
  const option = useMemo(() => {
    const labels = [...past.map((w) => f.shortDate(w.from)), ...data.weeks.map((w) => f.shortDate(w.from))];
    return {
      ...baseOption(),
      tooltip: {
        ...(baseOption().tooltip as object),
        valueFormatter: (v: number) => (v === null || v === undefined ? "—" : f.moneyCompact(String(v))),
      },
      xAxis: {
        type: "category",
        data: labels,
        axisLine: { lineStyle: { color: PALETTE.grid } },
        axisTick: { show: false },
        axisLabel: { color: PALETTE.muted, fontSize: 11 },
      },
      yAxis: {
        type: "value",
        splitLine: { lineStyle: { color: PALETTE.grid } },
        axisLabel: { color: PALETTE.muted, fontSize: 11, formatter: (v: number) => f.moneyCompact(String(v)) },
      },
      series: [
        {
          name: t("dash.series.expected"),
          type: "bar",
          barMaxWidth: 22,
          itemStyle: { color: PALETTE.accentSoft, borderRadius: [3, 3, 0, 0] },
          data: [
            ...past.map((w) => chartNumber(w.expected)),
            ...data.weeks.map((w) => ({ value: chartNumber(w.expected), itemStyle: { color: PALETTE.accent } })),
          ],
        },
        {
          name: t("dash.series.received"),
          type: "bar",
          barMaxWidth: 22,
          itemStyle: { color: PALETTE.green, borderRadius: [3, 3, 0, 0] },
          data: [...past.map((w) => chartNumber(w.received)), ...data.weeks.map(() => null)],
        },
      ],
    };
  }, [data, past, f, t]);
  const total = addMoney(...data.weeks.map((w) => w.expected));
  return (
    <>
      <Chart
        option={option}
        height={240}
        label={t("dash.forecast")}
        onClick={(e) => {
          const i = e.dataIndex - past.length;
          const w = data.weeks[i];
          if (w) onWeek(w);
        }}
      />
      <div className="chart-foot">
        <span>
          {t("dash.forecastTotal")} <strong>{f.money(total)}</strong>
        </span>
        <span className="muted">
          {t("dash.forecastLater", { amount: f.moneyCompact(data.laterThanWeeks) })} ·{" "}
          {t("dash.forecastDoubtful", { amount: f.moneyCompact(addMoney(data.doubtful, data.disputed)) })}
        </span>
      </div>
    </>
  );
}

function BridgeCard() {
  const { t, f } = useI18n();
  const today = todayIso();
  const [after, setAfter] = useState(today);
  const [before, setBefore] = useState(addDaysIso(today, -30));
  const bridge = useApi<BridgeJson>("/api/reports/bridge", { asOf: after, compareTo: before, limit: 8 });
  const b = bridge.data;
  const option = useMemo(() => {
    if (!b || b.before.dso === null) return null;
    // Waterfall: invisible base + visible delta per step.
    const steps: { name: string; delta: number }[] = [
      ...b.lines
        .filter((l) => l.contribution !== null)
        .map((l) => ({ name: l.name ?? t("dash.unassigned"), delta: l.contribution as number })),
      ...(b.others.count > 0 && b.others.contribution !== null
        ? [{ name: t("dash.others", { n: b.others.count }), delta: b.others.contribution }]
        : []),
      ...(b.calendarEffect ? [{ name: t("dash.calendar"), delta: b.calendarEffect }] : []),
    ];
    let level = b.before.dso ?? 0;
    const levels = [level, b.after.dso ?? level];
    const base: number[] = [];
    const up: (number | null)[] = [];
    const down: (number | null)[] = [];
    for (const s of steps) {
      const next = level + s.delta;
      base.push(Math.min(level, next));
      up.push(s.delta >= 0 ? s.delta : null);
      down.push(s.delta < 0 ? -s.delta : null);
      level = next;
      levels.push(level);
    }
    // The axis starts just under the lowest level, so that moves of a day or less stay visible.
    const lo = Math.min(...levels);
    const hi = Math.max(...levels);
    const yMin = Math.max(0, Math.floor(lo - Math.max((hi - lo) * 0.6, 2)));
    const names = [
      f.shortDate(b.before.to),
      ...steps.map((s) => (s.name.length > 16 ? `${s.name.slice(0, 15)}…` : s.name)),
      f.shortDate(b.after.to),
    ];
    const r1 = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
    return {
      ...baseOption(),
      legend: { show: false },
      tooltip: {
        ...(baseOption().tooltip as object),
        formatter: (ps: { seriesName: string; name: string; value: number | null }[]) => {
          const p = ps.find((x) => x.seriesName !== "base" && x.value !== null);
          if (!p) return "";
          const sign = p.seriesName === "down" ? "−" : p.seriesName === "up" ? "+" : "";
          return `${p.name}<br/><b>${sign}${f.days(p.value)}</b>`;
        },
      },
      xAxis: {
        type: "category",
        data: names,
        axisTick: { show: false },
        axisLine: { lineStyle: { color: PALETTE.grid } },
        axisLabel: { color: PALETTE.muted, fontSize: 10.5, interval: 0, rotate: 25 },
      },
      yAxis: {
        type: "value",
        min: yMin,
        splitLine: { lineStyle: { color: PALETTE.grid } },
        axisLabel: { color: PALETTE.muted, fontSize: 11, formatter: (v: number) => `${v} ${t("dash.daysUnit")}` },
      },
      series: [
        {
          name: "base",
          type: "bar",
          stack: "w",
          itemStyle: { color: "transparent" },
          data: [0, ...base.map(r1), 0],
          emphasis: { disabled: true },
        },
        {
          name: "total",
          type: "bar",
          stack: "w",
          barMaxWidth: 28,
          itemStyle: { color: PALETTE.accent, borderRadius: 2 },
          data: [r1(b.before.dso), ...steps.map(() => null), r1(b.after.dso)],
        },
        {
          name: "up",
          type: "bar",
          stack: "w",
          barMaxWidth: 28,
          itemStyle: { color: PALETTE.red, borderRadius: 2 },
          data: [null, ...up.map(r1), null],
        },
        {
          name: "down",
          type: "bar",
          stack: "w",
          barMaxWidth: 28,
          itemStyle: { color: PALETTE.green, borderRadius: 2 },
          data: [null, ...down.map(r1), null],
        },
      ],
    };
  }, [b, f, t]);
  return (
    <Card
      id="bridge"
      title={t("dash.bridge")}
      subtitle={t("dash.bridgeHint")}
      actions={
        <div className="inline-field date-range no-print">
          <input
            type="date"
            aria-label={t("dash.bridgeFrom")}
            value={before}
            max={after}
            onChange={(e) => e.target.value && setBefore(e.target.value)}
          />
          <span aria-hidden="true">→</span>
          <input
            type="date"
            aria-label={t("dash.bridgeTo")}
            value={after}
            min={before}
            max={today}
            onChange={(e) => e.target.value && setAfter(e.target.value)}
          />
        </div>
      }
    >
      <ErrorBox error={bridge.error} onRetry={bridge.reload} />
      {!b ? (
        bridge.error ? null : (
          <Skeleton rows={6} />
        )
      ) : (
        <div className="bridge">
          <div>
            <p className="bridge-headline">
              {f.days(b.before.dso)} <Icon name="chevronRight" size={14} /> <strong>{f.days(b.after.dso)}</strong>{" "}
              {b.change !== null ? (
                <Badge tone={b.change > 0 ? "danger" : "success"}>
                  {b.change > 0 ? "+" : ""}
                  {f.days(b.change)}
                </Badge>
              ) : null}
            </p>
            {option ? <Chart option={option} height={250} label={t("dash.bridge")} /> : <Empty title={t("dash.bridgeEmpty")} />}
          </div>
          <div className="table-wrap">
            <table className={b.lines.length ? "table table-compact" : "sr-only"}>
              <thead>
                <tr>
                  <th>{t("common.customer")}</th>
                  <th className="num">{t("dash.bridgeReceivables")}</th>
                  <th className="num">{t("dash.bridgeRevenue")}</th>
                  <th className="num">{t("dash.bridgeTotal")}</th>
                </tr>
              </thead>
              <tbody>
                {b.lines.map((l) => (
                  <tr key={l.customerId ?? "none"}>
                    <td className="ellipsis">
                      {l.customerId ? (
                        <Link href={`/customers/${l.customerId}`} className="row-link">
                          {l.name}
                        </Link>
                      ) : (
                        <span className="muted">{t("dash.unassigned")}</span>
                      )}
                    </td>
                    <td className="num">{signedDays(f, l.receivablesEffect)}</td>
                    <td className="num">{signedDays(f, l.revenueEffect)}</td>
                    <td className={`num ${l.contribution !== null && l.contribution > 0 ? "tone-danger" : "tone-success"}`}>
                      <strong>{signedDays(f, l.contribution)}</strong>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </Card>
  );
}

function signedDays(f: ReturnType<typeof useI18n>["f"], v: number | null): string {
  if (v === null) return "—";
  const r = Math.round(v * 10) / 10;
  return r === 0 ? f.days(0) : `${r > 0 ? "+" : ""}${f.days(r)}`;
}
