import { useCallback, useEffect, useMemo, useState } from "react";
import { Link } from "wouter";
import { DocStatus } from "../components/DocStatus";
import { Icon } from "../components/Icon";
import { type RiskFactor, RiskScore } from "../components/Risk";
import { Badge, Button, Card, Dialog, Empty, ErrorBox, Field, Kpi, Skeleton, Tabs, useAction, useToast } from "../components/ui";
import { api, type ListPage } from "../lib/api";
import { isDecimal, isPositive } from "../lib/decimal";
import { addDaysIso, todayIso } from "../lib/format";
import { useI18n } from "../lib/i18n";
import { useMembers } from "../lib/members";
import type { MsgKey } from "../lib/messages";
import { useSession } from "../lib/session";
import type { CustomerDetail, DocumentItem } from "../lib/types";
import { useApi } from "../lib/useApi";
import { Timeline, type TimelineItem } from "./Timeline";

interface Task {
  id: number;
  kind: string;
  title: string;
  dueDate: string | null;
  status: string;
  assignedUserId: number | null;
}
interface PromiseItem {
  id: number;
  amount: string;
  promisedDate: string;
  status: string;
  note: string | null;
}
interface Policy {
  id: number;
  name: string;
  isDefault: boolean;
}
interface CustomerRiskJson {
  score: number;
  change: number;
  factors: RiskFactor[];
}
interface Behaviour {
  id: number;
  daysToPay: number | null;
  daysLate: number | null;
  onTimeShare: number | null;
  trend: number | null;
  paidDocuments: number;
}

/** Timeline pages, newest first, with "load older". */
function useTimeline(customerId: number, enabled: boolean) {
  const [items, setItems] = useState<TimelineItem[] | undefined>(undefined);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const load = useCallback(
    async (after?: string) => {
      setLoading(true);
      try {
        const page = await api.get<ListPage<TimelineItem>>(`/api/customers/${customerId}/timeline`, { limit: 15, cursor: after });
        setItems((prev) => (after ? [...(prev ?? []), ...page.items] : page.items));
        setCursor(page.nextCursor);
      } finally {
        setLoading(false);
      }
    },
    [customerId],
  );
  useEffect(() => {
    if (enabled) void load();
  }, [enabled, load]);
  return { items, loading, hasMore: Boolean(cursor), more: () => cursor && void load(cursor), reload: () => void load() };
}

export default function CustomerPage({ id }: { id: number }) {
  const { t, f, tOr } = useI18n();
  const { can, has } = useSession();
  const members = useMembers();
  const toast = useToast();
  const { data: c, error, reload, setData } = useApi<CustomerDetail>(`/api/customers/${id}`);
  const [docTab, setDocTab] = useState<"open" | "paid">("open");
  const docs = useApi<ListPage<DocumentItem>>("/api/documents", {
    customerId: id,
    status: docTab,
    sort: docTab === "open" ? "due_date" : "issue_date",
    dir: docTab === "open" ? "asc" : "desc",
    limit: 100,
  });
  const hasTimeline = has("GET /api/customers/{id}/timeline");
  const timeline = useTimeline(id, hasTimeline);
  const tasks = useApi<ListPage<Task>>(has("GET /api/tasks") ? "/api/tasks" : null, { customerId: id, status: "open", limit: 20 });
  const promises = useApi<ListPage<PromiseItem>>(has("GET /api/promises") ? "/api/promises" : null, { customerId: id, status: "pending" });
  const policies = useApi<ListPage<Policy>>(has("GET /api/dunning/policies") ? "/api/dunning/policies" : null);
  const risk = useApi<CustomerRiskJson>(has("GET /api/customers/{id}/risk") ? `/api/customers/${id}/risk` : null);
  const behaviour = useApi<Behaviour>(has("GET /api/customers/{id}/behaviour") ? `/api/customers/${id}/behaviour` : null);
  const { run } = useAction();
  const today = todayIso();
  const [dialog, setDialog] = useState<null | "pause" | "remind" | "edit">(null);
  const [pauseOverride, setPauseOverride] = useState<{ status: string; onHoldUntil: string | null } | null>(null);
  const [policyOverride, setPolicyOverride] = useState<number | null | undefined>(undefined);
  const refreshActivity = () => {
    timeline.reload();
    tasks.reload();
    promises.reload();
  };

  // The chase state: the customer's status, and its last pause/resume on the timeline (or what we just did).
  const chase = useMemo(() => {
    if (!c) return { paused: false, until: null as string | null, doNotChase: false };
    if (pauseOverride) {
      const dnc = pauseOverride.status === "do_not_chase";
      return {
        paused: dnc || Boolean(pauseOverride.onHoldUntil && pauseOverride.onHoldUntil >= today),
        until: pauseOverride.onHoldUntil,
        doNotChase: dnc,
      };
    }
    if (c.status === "do_not_chase") return { paused: true, until: null, doNotChase: true };
    const onHold = typeof c.onHoldUntil === "string" ? c.onHoldUntil : null;
    if (onHold) return { paused: onHold >= today, until: onHold, doNotChase: false };
    // The server gives the pause (onHoldUntil, null when none): the timeline is read only from an older server.
    if ("onHoldUntil" in c) return { paused: false, until: null, doNotChase: false };
    const last = timeline.items?.find((i) => i.kind === "paused" || i.kind === "resumed");
    if (last?.kind === "paused" && typeof last.data.until === "string" && last.data.until >= today)
      return { paused: true, until: last.data.until, doNotChase: false };
    return { paused: false, until: null, doNotChase: false };
  }, [c, pauseOverride, timeline.items, today]);
  const policyId = useMemo(() => {
    if (policyOverride !== undefined) return policyOverride;
    if (typeof c?.dunningPolicyId === "number") return c.dunningPolicyId;
    if (c && "dunningPolicyId" in c) return null;
    const last = timeline.items?.find((i) => i.kind === "policy_changed");
    return last && typeof last.data.policyId === "number" ? last.data.policyId : null;
  }, [c, policyOverride, timeline.items]);

  if (error)
    return (
      <div className="page">
        <ErrorBox error={error} onRetry={reload} />
      </div>
    );
  if (!c)
    return (
      <div className="page">
        <Skeleton rows={10} />
      </div>
    );

  const canCollect = can("collect:write");
  const myRisk = risk.data && risk.data.score > 0 ? risk.data : null;
  const myBehaviour = behaviour.data;
  const pendingPromise = promises.data?.items[0];

  const assign = async (value: string) => {
    const updated = await run(
      () => api.patch<CustomerDetail>(`/api/customers/${id}`, { assignedUserId: value ? Number(value) : null }),
      t("customer.assignedToast"),
    );
    if (updated) setData((prev) => ({ ...(prev as CustomerDetail), assignedUserId: updated.assignedUserId }));
  };
  const resume = async () => {
    const r = await run(
      () => api.post<{ status: string; onHoldUntil: string | null }>(`/api/customers/${id}/resume`),
      t("customer.resumedToast"),
    );
    if (r) {
      setPauseOverride(r);
      setData((prev) => ({ ...(prev as CustomerDetail), status: r.status }));
      refreshActivity();
    }
  };
  const changePolicy = async (value: string) => {
    const next = value ? Number(value) : null;
    const r = await run(() => api.put(`/api/customers/${id}/dunning-policy`, { policyId: next }), t("customer.policyToast"));
    if (r) {
      setPolicyOverride(next);
      refreshActivity();
    }
  };
  const copyPortal = async () => {
    const r = await run(() => api.post<{ url: string }>(`/api/customers/${id}/portal-link`, {}));
    if (r?.url) {
      await navigator.clipboard?.writeText(r.url).catch(() => undefined);
      toast(t("customer.portalCopied"));
    }
  };

  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label={t("common.breadcrumbs")}>
        <Link href="/customers">{t("customers.title")}</Link>
        <Icon name="chevronRight" size={12} />
        <span>{c.name}</span>
      </nav>
      <header className="page-head">
        <div>
          <h1>
            {c.name}{" "}
            {c.status !== "active" ? (
              <Badge tone={c.status === "defaulted" ? "danger" : "neutral"}>{t(`customerStatus.${c.status}` as MsgKey)}</Badge>
            ) : null}
            {chase.paused && !chase.doNotChase ? (
              <Badge tone="warning">{t("customer.pausedUntil", { date: f.shortDate(chase.until) })}</Badge>
            ) : null}
          </h1>
          <p className="page-sub">
            <span className="mono">{c.ref}</span>
            {c.siren ? ` · SIREN ${c.siren}` : ""} · {t("customer.terms", { n: c.paymentTermsDays })} · {c.language.toUpperCase()}
            {typeof c.penaltyRate === "string"
              ? ` · ${t("customer.penaltyRate", { rate: f.percent(Number(c.penaltyRate) / 100, 2) })}`
              : ""}
          </p>
        </div>
        <div className="page-actions">
          {can("customers:write") && has("PATCH /api/customers/{id}") ? (
            <Button icon="edit" onClick={() => setDialog("edit")}>
              {t("customer.edit")}
            </Button>
          ) : null}
          {has("POST /api/customers/{id}/portal-link") ? (
            <Button icon="copy" onClick={() => void copyPortal()}>
              {t("customer.portalLink")}
            </Button>
          ) : null}
          {canCollect && has("POST /api/customers/{id}/pause") ? (
            chase.paused ? (
              <Button icon="play" onClick={() => void resume()}>
                {t("customer.resume")}
              </Button>
            ) : (
              <Button icon="pause" onClick={() => setDialog("pause")}>
                {t("customer.pause")}
              </Button>
            )
          ) : null}
          {canCollect && has("POST /api/customers/{id}/remind") ? (
            <Button
              variant="primary"
              icon="send"
              onClick={() => setDialog("remind")}
              disabled={!isPositive(c.overdue) && !isPositive(c.outstanding)}
            >
              {t("customer.remind")}
            </Button>
          ) : null}
        </div>
      </header>

      <div className="kpis">
        <Kpi
          label={t("customer.outstanding")}
          value={f.money(c.outstanding)}
          sub={t("customer.openDocs", { n: c.openDocuments })}
          href={`/invoices?customerId=${c.id}&customerName=${encodeURIComponent(c.name)}`}
        />
        <Kpi
          label={t("customer.overdue")}
          value={f.money(c.overdue)}
          tone={isPositive(c.overdue) ? "danger" : undefined}
          href={`/invoices?customerId=${c.id}&customerName=${encodeURIComponent(c.name)}&status=overdue`}
        />
        {myBehaviour ? (
          <Kpi
            label={t("customer.daysToPay")}
            value={f.days(myBehaviour.daysToPay, 0)}
            sub={
              myBehaviour.daysLate !== null
                ? t("customer.daysLate", { n: f.days(myBehaviour.daysLate, 0) }) +
                  (myBehaviour.onTimeShare !== null ? ` · ${t("customer.onTime", { pct: f.percent(myBehaviour.onTimeShare, 0) })}` : "")
                : undefined
            }
          />
        ) : (
          <Kpi
            label={t("customer.lastPayment")}
            value={c.lastPayment ? f.money(c.lastPayment.amount) : "—"}
            sub={c.lastPayment ? f.date(c.lastPayment.date) : t("customer.noPayment")}
          />
        )}
        {myRisk ? (
          <div className="kpi">
            <span className="kpi-label">{t("customer.risk")}</span>
            <span className="kpi-value">
              <RiskScore score={myRisk.score} />
              {myRisk.change > 0 ? <span className="tone-danger small"> +{myRisk.change}</span> : null}
            </span>
            <ul className="risk-factors">
              {myRisk.factors
                .filter((x) => x.points > 0)
                .slice(0, 4)
                .map((x) => (
                  <li key={x.key}>
                    <span>{tOr(`risk.${x.key}`, x.key)}</span>
                    <span className="risk-bar" title={`${f.number(x.points, 1)} / ${x.max}`}>
                      <span style={{ width: `${Math.round((x.points / x.max) * 100)}%` }} />
                    </span>
                  </li>
                ))}
            </ul>
          </div>
        ) : risk.data ? (
          <Kpi label={t("customer.risk")} value="0" tone="success" sub={t("customer.riskNone")} />
        ) : (
          <Kpi label={t("customer.creditLimit")} value={c.creditLimit ? f.money(c.creditLimit) : "—"} />
        )}
      </div>

      <div className="grid-main-side">
        <div className="stack">
          <Card
            title={t("customer.documents")}
            actions={
              <Tabs<"open" | "paid">
                value={docTab}
                onChange={setDocTab}
                tabs={[
                  { value: "open", label: t("customer.docs.open") },
                  { value: "paid", label: t("customer.docs.paid") },
                ]}
              />
            }
            flush
          >
            <ErrorBox error={docs.error} onRetry={docs.reload} />
            {!docs.data ? (
              docs.error ? null : (
                <Skeleton rows={4} />
              )
            ) : docs.data.items.length === 0 ? (
              <Empty title={docTab === "open" ? t("customer.noOpen") : t("customer.noPaid")} icon="file" />
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>{t("invoices.col.number")}</th>
                      <th>{t("invoices.col.due")}</th>
                      <th className="num">{t("invoices.col.total")}</th>
                      <th className="num">{t("invoices.col.outstanding")}</th>
                      <th>{t("invoices.col.status")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {docs.data.items.map((d) => (
                      <tr key={d.id}>
                        <td>
                          <Link href={`/invoices/${d.id}`} className="row-link mono">
                            {d.number}
                          </Link>
                        </td>
                        <td title={`${t("invoices.col.issued")} ${f.numDate(d.issueDate)}`}>{f.numDate(d.dueDate)}</td>
                        <td className="num">{f.money(d.total, d.currency)}</td>
                        <td className="num">{f.money(d.outstanding, d.currency)}</td>
                        <td>
                          <DocStatus doc={d} asOf={today} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          {hasTimeline ? (
            <Card title={t("customer.timeline")} subtitle={t("customer.timelineHint")}>
              <Timeline items={timeline.items} loading={timeline.loading} hasMore={timeline.hasMore} onMore={timeline.more} />
            </Card>
          ) : null}
        </div>
        <div className="stack">
          {canCollect && has("POST /api/customers/{id}/notes") ? <Composer customerId={id} onDone={refreshActivity} /> : null}
          {tasks.data?.items.length || promises.data?.items.length ? (
            <Card title={t("customer.todo")}>
              <ul className="todo">
                {promises.data?.items.map((p) => (
                  <li key={`p${p.id}`}>
                    <Icon name="handshake" />
                    <div>
                      <span>{t("customer.promiseOf", { amount: f.money(p.amount), date: f.date(p.promisedDate) })}</span>
                      {canCollect ? (
                        <span className="todo-actions">
                          <Button
                            size="sm"
                            onClick={() =>
                              void run(() => api.post(`/api/promises/${p.id}/status`, { status: "kept" }), t("customer.promiseKept")).then(
                                refreshActivity,
                              )
                            }
                          >
                            {t("customer.kept")}
                          </Button>
                          <Button
                            size="sm"
                            variant="ghost"
                            onClick={() =>
                              void run(
                                () => api.post(`/api/promises/${p.id}/status`, { status: "broken" }),
                                t("customer.promiseBroken"),
                              ).then(refreshActivity)
                            }
                          >
                            {t("customer.broken")}
                          </Button>
                        </span>
                      ) : null}
                    </div>
                  </li>
                ))}
                {tasks.data?.items.map((task) => (
                  <li key={`t${task.id}`}>
                    <Icon name={task.kind === "call" ? "phone" : "task"} />
                    <div>
                      <span>{task.title}</span>
                      <span className={`small ${task.dueDate && task.dueDate < today ? "tone-danger" : "muted"}`}>
                        {task.dueDate ? t("tl.due", { date: f.date(task.dueDate) }) : ""}
                      </span>
                      {canCollect ? <TaskDone task={task} onDone={refreshActivity} /> : null}
                    </div>
                  </li>
                ))}
              </ul>
            </Card>
          ) : null}
          {policies.data ? (
            <Card title={t("customer.chase")}>
              <div className="stack-sm">
                <Field label={t("customer.policy")} htmlFor="cust-policy">
                  <select
                    id="cust-policy"
                    value={policyId ?? ""}
                    disabled={!canCollect}
                    onChange={(e) => void changePolicy(e.target.value)}
                  >
                    <option value="">
                      {t("customer.policyDefault", { name: policies.data.items.find((p) => p.isDefault)?.name ?? "" })}
                    </option>
                    {policies.data.items.map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.name}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field label={t("customer.collector")} htmlFor="cust-collector">
                  <select
                    id="cust-collector"
                    value={c.assignedUserId ?? ""}
                    disabled={!can("customers:write")}
                    onChange={(e) => void assign(e.target.value)}
                    data-testid="assign-collector"
                  >
                    <option value="">{t("customer.unassigned")}</option>
                    {members.map((m) => (
                      <option key={m.id} value={m.id}>
                        {m.name || m.email}
                      </option>
                    ))}
                  </select>
                </Field>
                <p className="small muted">
                  {chase.doNotChase
                    ? t("customer.state.doNotChase")
                    : chase.paused
                      ? t("customer.state.paused", { date: f.date(chase.until) })
                      : pendingPromise
                        ? t("customer.state.promise", { date: f.date(pendingPromise.promisedDate) })
                        : t("customer.state.active")}
                </p>
              </div>
            </Card>
          ) : null}
          <Card title={t("customer.contacts")}>
            {c.contacts.length === 0 && !c.email ? (
              <p className="muted">{t("customer.noContacts")}</p>
            ) : (
              <ul className="contacts">
                {c.email || c.phone ? (
                  <li>
                    <span className="contact-name">{t("customer.main")}</span>
                    {c.email ? <a href={`mailto:${c.email}`}>{c.email}</a> : null}
                    {c.phone ? <a href={`tel:${c.phone}`}>{c.phone}</a> : null}
                  </li>
                ) : null}
                {c.contacts.map((k) => (
                  <li key={k.id}>
                    <span className="contact-name">
                      {k.name} {k.isPrimary ? <Badge tone="accent">{t("customer.primary")}</Badge> : null}
                    </span>
                    {k.jobTitle ? <span className="muted">{k.jobTitle}</span> : null}
                    {k.email ? <a href={`mailto:${k.email}`}>{k.email}</a> : null}
                    {k.phone ? <a href={`tel:${k.phone}`}>{k.phone}</a> : null}
                  </li>
                ))}
              </ul>
            )}
            {c.address ? <p className="address">{c.address}</p> : null}
          </Card>
        </div>
      </div>
      <PauseDialog
        open={dialog === "pause"}
        customerId={id}
        onClose={() => setDialog(null)}
        onDone={(r) => {
          setDialog(null);
          setPauseOverride(r);
          setData((prev) => ({ ...(prev as CustomerDetail), status: r.status }));
          refreshActivity();
        }}
      />
      <EditCustomerDialog
        open={dialog === "edit"}
        customer={c}
        onClose={() => setDialog(null)}
        onDone={(updated) => {
          setDialog(null);
          setData((prev) => ({ ...(prev as CustomerDetail), ...updated }));
        }}
      />
      <RemindDialog
        open={dialog === "remind"}
        customerId={id}
        paused={chase.paused}
        onClose={() => setDialog(null)}
        onDone={() => {
          setDialog(null);
          refreshActivity();
        }}
      />
    </div>
  );
}

function Composer({ customerId, onDone }: { customerId: number; onDone(): void }) {
  const { t } = useI18n();
  const { has } = useSession();
  const [tab, setTab] = useState<"note" | "task" | "promise">("note");
  const [note, setNote] = useState("");
  const [task, setTask] = useState({ kind: "call", title: "", dueDate: addDaysIso(todayIso(), 1) });
  const [promise, setPromise] = useState({ amount: "", promisedDate: addDaysIso(todayIso(), 7), note: "" });
  const { busy, run } = useAction();
  const tabs = [
    { value: "note" as const, label: t("composer.note") },
    ...(has("POST /api/tasks") ? [{ value: "task" as const, label: t("composer.task") }] : []),
    ...(has("POST /api/customers/{id}/promises") ? [{ value: "promise" as const, label: t("composer.promise") }] : []),
  ];
  const amountOk = isDecimal(promise.amount) && isPositive(promise.amount.replace(/\s/g, "").replace(",", "."));
  return (
    <Card title={t("composer.title")} actions={<Tabs<"note" | "task" | "promise"> value={tab} onChange={setTab} tabs={tabs} />}>
      {tab === "note" ? (
        <form
          className="stack-sm"
          onSubmit={async (e) => {
            e.preventDefault();
            if (!note.trim()) return;
            const ok = await run(() => api.post(`/api/customers/${customerId}/notes`, { body: note.trim() }), t("composer.noteAdded"));
            if (ok) {
              setNote("");
              onDone();
            }
          }}
        >
          <textarea
            id="composer-note"
            aria-label={t("composer.note")}
            placeholder={t("composer.notePlaceholder")}
            value={note}
            onChange={(e) => setNote(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) e.currentTarget.form?.requestSubmit();
            }}
          />
          <div className="form-actions">
            <span className="hint">{t("composer.noteKeys")}</span>
            <Button type="submit" variant="primary" size="sm" busy={busy} disabled={!note.trim()}>
              {t("composer.addNote")}
            </Button>
          </div>
        </form>
      ) : tab === "task" ? (
        <form
          className="stack-sm"
          onSubmit={async (e) => {
            e.preventDefault();
            const ok = await run(
              () => api.post("/api/tasks", { customerId, kind: task.kind, title: task.title.trim(), dueDate: task.dueDate || null }),
              t("composer.taskAdded"),
            );
            if (ok) {
              setTask({ ...task, title: "" });
              onDone();
            }
          }}
        >
          <div className="input-row">
            <select aria-label={t("composer.taskKind")} value={task.kind} onChange={(e) => setTask({ ...task, kind: e.target.value })}>
              {["call", "follow_up", "letter", "other"].map((k) => (
                <option key={k} value={k}>
                  {t(`taskKind.${k}` as MsgKey)}
                </option>
              ))}
            </select>
            <input
              type="date"
              aria-label={t("composer.dueDate")}
              value={task.dueDate}
              onChange={(e) => setTask({ ...task, dueDate: e.target.value })}
            />
          </div>
          <input
            aria-label={t("composer.taskTitle")}
            placeholder={t("composer.taskTitle")}
            required
            value={task.title}
            onChange={(e) => setTask({ ...task, title: e.target.value })}
          />
          <div className="form-actions">
            <Button type="submit" variant="primary" size="sm" busy={busy} disabled={!task.title.trim()}>
              {t("composer.addTask")}
            </Button>
          </div>
        </form>
      ) : (
        <form
          className="stack-sm"
          onSubmit={async (e) => {
            e.preventDefault();
            if (!amountOk) return;
            const ok = await run(
              () =>
                api.post(`/api/customers/${customerId}/promises`, {
                  amount: promise.amount.replace(/\s/g, "").replace(",", "."),
                  promisedDate: promise.promisedDate,
                  note: promise.note || null,
                }),
              t("composer.promiseAdded"),
            );
            if (ok) {
              setPromise({ ...promise, amount: "", note: "" });
              onDone();
            }
          }}
        >
          <div className="input-row">
            <input
              inputMode="decimal"
              aria-label={t("composer.amount")}
              placeholder={t("composer.amount")}
              value={promise.amount}
              onChange={(e) => setPromise({ ...promise, amount: e.target.value })}
            />
            <input
              type="date"
              aria-label={t("composer.promisedDate")}
              value={promise.promisedDate}
              min={todayIso()}
              onChange={(e) => setPromise({ ...promise, promisedDate: e.target.value })}
            />
          </div>
          <input
            aria-label={t("composer.promiseNote")}
            placeholder={t("composer.promiseNote")}
            value={promise.note}
            onChange={(e) => setPromise({ ...promise, note: e.target.value })}
          />
          <p className="small muted">{t("composer.promiseHint")}</p>
          <div className="form-actions">
            <Button type="submit" variant="primary" size="sm" busy={busy} disabled={!amountOk}>
              {t("composer.addPromise")}
            </Button>
          </div>
        </form>
      )}
    </Card>
  );
}

function TaskDone({ task, onDone }: { task: Task; onDone(): void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [outcome, setOutcome] = useState("reached");
  const [result, setResult] = useState("");
  const { busy, run } = useAction();
  return (
    <>
      <span className="todo-actions">
        <Button size="sm" icon="check" onClick={() => setOpen(true)}>
          {task.kind === "call" ? t("customer.logCall") : t("customer.done")}
        </Button>
      </span>
      <Dialog
        open={open}
        title={task.title}
        onClose={() => setOpen(false)}
        busy={busy}
        submitLabel={t("customer.done")}
        onSubmit={async () => {
          const ok = await run(
            () => api.post(`/api/tasks/${task.id}/complete`, { ...(task.kind === "call" ? { outcome } : {}), result: result || undefined }),
            t("customer.taskDone"),
          );
          if (ok) {
            setOpen(false);
            onDone();
          }
        }}
      >
        {task.kind === "call" ? (
          <Field label={t("customer.outcome")} htmlFor={`outcome-${task.id}`}>
            <select id={`outcome-${task.id}`} value={outcome} onChange={(e) => setOutcome(e.target.value)}>
              {["reached", "no_answer", "left_message", "wrong_number", "promise", "dispute", "other"].map((o) => (
                <option key={o} value={o}>
                  {t(`outcome.${o}` as MsgKey)}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        <Field label={t("customer.result")} htmlFor={`result-${task.id}`}>
          <textarea id={`result-${task.id}`} value={result} onChange={(e) => setResult(e.target.value)} />
        </Field>
      </Dialog>
    </>
  );
}

/** The customer's details as the form edits them: text fields, empty for none. */
function editable(c: CustomerDetail) {
  return {
    name: c.name,
    email: c.email ?? "",
    phone: c.phone ?? "",
    address: c.address ?? "",
    siren: c.siren ?? "",
    vatNumber: c.vatNumber ?? "",
    language: c.language,
    paymentTermsDays: String(c.paymentTermsDays),
    creditLimit: c.creditLimit ?? "",
    penaltyRate: typeof c.penaltyRate === "string" ? c.penaltyRate : "",
  };
}

function EditCustomerDialog({
  open,
  customer,
  onClose,
  onDone,
}: {
  open: boolean;
  customer: CustomerDetail;
  onClose(): void;
  onDone(updated: Partial<CustomerDetail>): void;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState(() => editable(customer));
  const { busy, run } = useAction();
  // Each opening starts from the customer as saved.
  useEffect(() => {
    if (open) setForm(editable(customer));
  }, [open, customer]);
  const set = (key: keyof ReturnType<typeof editable>) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));
  const terms = Number(form.paymentTermsDays);
  const problems = {
    name: form.name.trim() ? undefined : t("customerEdit.required"),
    email: !form.email.trim() || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.email.trim()) ? undefined : t("customerEdit.badEmail"),
    siren: !form.siren.trim() || /^\d{9}$/.test(form.siren.replace(/\s/g, "")) ? undefined : t("customerEdit.badSiren"),
    paymentTermsDays:
      Number.isInteger(terms) && terms >= 0 && terms <= 365 && form.paymentTermsDays.trim() !== "" ? undefined : t("customerEdit.badTerms"),
    creditLimit: !form.creditLimit.trim() || isDecimal(form.creditLimit) ? undefined : t("customerEdit.badAmount"),
    penaltyRate:
      !form.penaltyRate.trim() || /^\d{1,3}([.,]\d{1,2})?$/.test(form.penaltyRate.replace(/[\s%]/g, ""))
        ? undefined
        : t("customerEdit.badRate"),
  };
  const valid = Object.values(problems).every((p) => p === undefined);
  const text = (v: string) => (v.trim() ? v.trim() : null);
  return (
    <Dialog
      open={open}
      title={t("customerEdit.title", { name: customer.name })}
      onClose={onClose}
      busy={busy}
      wide
      onSubmit={async () => {
        if (!valid) return;
        const updated = await run(
          () =>
            api.patch<CustomerDetail>(`/api/customers/${customer.id}`, {
              name: form.name.trim(),
              email: text(form.email),
              phone: text(form.phone),
              address: text(form.address),
              siren: text(form.siren.replace(/\s/g, "")),
              vatNumber: text(form.vatNumber.replace(/\s/g, "").toUpperCase()),
              language: form.language,
              paymentTermsDays: terms,
              creditLimit: text(form.creditLimit),
              penaltyRate: text(form.penaltyRate.replace(/[\s%]/g, "")),
            }),
          t("customerEdit.saved"),
        );
        if (updated) onDone(updated);
      }}
    >
      <div className="form-grid">
        <Field label={t("customerEdit.name")} htmlFor="ce-name" error={problems.name}>
          <input id="ce-name" value={form.name} onChange={set("name")} required maxLength={200} />
        </Field>
        <Field label={t("customerEdit.email")} htmlFor="ce-email" error={problems.email} hint={t("customerEdit.emailHint")}>
          <input id="ce-email" type="email" value={form.email} onChange={set("email")} autoComplete="off" />
        </Field>
        <Field label={t("customerEdit.phone")} htmlFor="ce-phone">
          <input id="ce-phone" type="tel" value={form.phone} onChange={set("phone")} maxLength={40} />
        </Field>
        <Field label={t("customerEdit.language")} htmlFor="ce-language" hint={t("customerEdit.languageHint")}>
          <select id="ce-language" value={form.language} onChange={set("language")}>
            <option value="fr">Français</option>
            <option value="en">English</option>
          </select>
        </Field>
        <Field label={t("customerEdit.terms")} htmlFor="ce-terms" error={problems.paymentTermsDays}>
          <input id="ce-terms" inputMode="numeric" value={form.paymentTermsDays} onChange={set("paymentTermsDays")} />
        </Field>
        <Field label={t("customerEdit.creditLimit")} htmlFor="ce-limit" error={problems.creditLimit}>
          <input id="ce-limit" inputMode="decimal" value={form.creditLimit} onChange={set("creditLimit")} placeholder="—" />
        </Field>
        <Field
          label={t("customerEdit.penaltyRate")}
          htmlFor="ce-rate"
          error={problems.penaltyRate}
          hint={t("customerEdit.penaltyRateHint")}
        >
          <input id="ce-rate" inputMode="decimal" value={form.penaltyRate} onChange={set("penaltyRate")} placeholder="—" />
        </Field>
        <Field label="SIREN" htmlFor="ce-siren" error={problems.siren}>
          <input id="ce-siren" inputMode="numeric" value={form.siren} onChange={set("siren")} />
        </Field>
        <Field label={t("customerEdit.vat")} htmlFor="ce-vat">
          <input id="ce-vat" value={form.vatNumber} onChange={set("vatNumber")} maxLength={20} />
        </Field>
        <div className="full">
          <Field label={t("customerEdit.address")} htmlFor="ce-address">
            <textarea id="ce-address" rows={3} value={form.address} onChange={set("address")} maxLength={500} />
          </Field>
        </div>
      </div>
    </Dialog>
  );
}

function PauseDialog({
  open,
  customerId,
  onClose,
  onDone,
}: {
  open: boolean;
  customerId: number;
  onClose(): void;
  onDone(r: { status: string; onHoldUntil: string | null }): void;
}) {
  const { t } = useI18n();
  const [mode, setMode] = useState<"until" | "never">("until");
  const [until, setUntil] = useState(addDaysIso(todayIso(), 30));
  const [reason, setReason] = useState("");
  const { busy, run } = useAction();
  return (
    <Dialog
      open={open}
      title={t("customer.pause")}
      onClose={onClose}
      busy={busy}
      submitLabel={t("customer.pauseSubmit")}
      onSubmit={async () => {
        const r = await run(
          () =>
            api.post<{ status: string; onHoldUntil: string | null }>(`/api/customers/${customerId}/pause`, {
              ...(mode === "until" ? { until } : { doNotChase: true }),
              reason: reason || undefined,
            }),
          t("customer.pausedToast"),
        );
        if (r) onDone(r);
      }}
    >
      <p className="muted">{t("customer.pauseHint")}</p>
      <div className="radio-list">
        <label className="check-row">
          <input type="radio" name="pause-mode" checked={mode === "until"} onChange={() => setMode("until")} />
          {t("customer.pauseUntil")}
          <input
            type="date"
            aria-label={t("customer.pauseUntil")}
            value={until}
            min={todayIso()}
            disabled={mode !== "until"}
            onChange={(e) => setUntil(e.target.value)}
          />
        </label>
        <label className="check-row">
          <input type="radio" name="pause-mode" checked={mode === "never"} onChange={() => setMode("never")} />
          {t("customer.doNotChase")}
        </label>
      </div>
      <Field label={t("customer.pauseReason")} htmlFor="pause-reason">
        <input id="pause-reason" value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t("customer.pauseReasonPh")} />
      </Field>
    </Dialog>
  );
}

function RemindDialog({
  open,
  customerId,
  paused,
  onClose,
  onDone,
}: {
  open: boolean;
  customerId: number;
  paused: boolean;
  onClose(): void;
  onDone(): void;
}) {
  const { t, tOr } = useI18n();
  const toast = useToast();
  const [force, setForce] = useState(false);
  const { busy, run } = useAction();
  return (
    <Dialog
      open={open}
      title={t("customer.remind")}
      onClose={onClose}
      busy={busy}
      submitLabel={t("customer.remindSubmit")}
      onSubmit={async () => {
        const r = await run(() =>
          api.post<{ status: string; error: string | null }>(`/api/customers/${customerId}/remind`, { force: force || undefined }),
        );
        if (r) {
          if (r.error) toast(r.error, "danger");
          else toast(t("customer.remindDone", { status: tOr(`msgStatus.${r.status}`, r.status) }));
          onDone();
        }
      }}
    >
      <p>{t("customer.remindHint")}</p>
      {paused ? (
        <label className="check-row">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
          {t("customer.remindForce")}
        </label>
      ) : null}
    </Dialog>
  );
}
