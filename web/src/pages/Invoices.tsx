import { useEffect, useMemo, useState } from "react";
import { Link } from "wouter";
import { DocStatus } from "../components/DocStatus";
import { Icon } from "../components/Icon";
import {
  Button,
  Card,
  Dialog,
  Empty,
  ErrorBox,
  Field,
  Pager,
  Segmented,
  Skeleton,
  SortHeader,
  useAction,
  usePager,
  useToast,
} from "../components/ui";
import { api, type ListPage } from "../lib/api";
import { toCsv } from "../lib/csv";
import { addMoney } from "../lib/decimal";
import { download } from "../lib/download";
import { addDaysIso, todayIso } from "../lib/format";
import { useI18n } from "../lib/i18n";
import { useMembers } from "../lib/members";
import type { MsgKey } from "../lib/messages";
import { useSession } from "../lib/session";
import type { DocumentItem } from "../lib/types";
import { useUrlState } from "../lib/url";
import { useApi, useDebounced } from "../lib/useApi";

type Sort = "due_date" | "issue_date" | "number" | "total" | "outstanding";
const STATUSES = ["all", "open", "overdue", "paid", "disputed"] as const;
type Keys = "q" | "status" | "sort" | "dir" | "dueFrom" | "dueTo" | "customerId" | "customerName";

export default function Invoices() {
  const { t, f, lang } = useI18n();
  const { can } = useSession();
  const toast = useToast();
  const [params, setParams] = useUrlState<Keys>();
  const [q, setQ] = useState(params.q ?? "");
  const dq = useDebounced(q.trim(), 250);
  const status = (params.status as (typeof STATUSES)[number]) ?? "open";
  const sort = (params.sort as Sort) ?? "due_date";
  const dir = (params.dir as "asc" | "desc") ?? "asc";
  const today = todayIso();

  useEffect(() => {
    if ((params.q ?? "") !== dq) setParams({ q: dq || null });
  }, [dq, params.q, setParams]);

  const query = {
    q: dq || undefined,
    status: status === "all" ? undefined : status,
    sort,
    dir,
    dueFrom: params.dueFrom,
    dueTo: params.dueTo,
    customerId: params.customerId,
    limit: 50,
  };
  const resetKey = JSON.stringify(query);
  const pager = usePager(resetKey);
  const { data, error, loading, reload } = useApi<ListPage<DocumentItem>>("/api/documents", { ...query, cursor: pager.cursor });
  const [selected, setSelected] = useState<Map<number, DocumentItem>>(new Map());
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter clears the selection
  useEffect(() => setSelected(new Map()), [resetKey]);
  const items = data?.items ?? [];
  const allOnPage = items.length > 0 && items.every((d) => selected.has(d.id));
  const toggle = (d: DocumentItem) =>
    setSelected((s) => {
      const n = new Map(s);
      if (n.has(d.id)) n.delete(d.id);
      else n.set(d.id, d);
      return n;
    });
  const toggleAll = () =>
    setSelected((s) => {
      const n = new Map(s);
      if (allOnPage) for (const d of items) n.delete(d.id);
      else for (const d of items) n.set(d.id, d);
      return n;
    });
  const selectedTotal = useMemo(() => addMoney(...[...selected.values()].map((d) => d.outstanding)), [selected]);
  const onSort = (key: Sort) => (key === sort ? setParams({ dir: dir === "asc" ? "desc" : "asc" }) : setParams({ sort: key, dir: null }));

  const [dialog, setDialog] = useState<null | "pause" | "assign">(null);
  const exportCsv = async (docs: DocumentItem[] | null) => {
    let rows = docs;
    if (!rows) {
      rows = [];
      let cursor: string | undefined;
      do {
        const page = await api.get<ListPage<DocumentItem>>("/api/documents", { ...query, limit: 500, cursor });
        rows.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && rows.length < 50_000);
    }
    const csv = toCsv(
      lang,
      [
        t("invoices.col.number"),
        t("invoices.col.kind"),
        t("customers.col.ref"),
        t("invoices.col.customer"),
        t("invoices.col.issued"),
        t("invoices.col.due"),
        t("invoices.col.daysLate"),
        t("invoices.col.total"),
        t("invoices.col.outstanding"),
        t("invoices.col.currency"),
        t("invoices.col.status"),
        t("doc.disputed"),
        t("invoices.col.onHold"),
      ],
      rows.map((d) => [
        d.number,
        d.kind,
        d.customer.ref,
        d.customer.name,
        d.issueDate,
        d.dueDate,
        d.status === "overdue" ? d.daysPastDue : "",
        d.total,
        d.outstanding,
        d.currency,
        d.status,
        d.disputed ? "1" : "",
        d.onHoldUntil ?? "",
      ]),
      [7, 8],
    );
    download(`${lang === "fr" ? "factures" : "invoices"}-${today}.csv`, csv);
    toast(t("invoices.exported", { n: rows.length }));
  };

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>{t("invoices.title")}</h1>
          <p className="page-sub">{t("invoices.subtitle")}</p>
        </div>
        <div className="page-actions">
          <Button icon="download" onClick={() => void exportCsv(null)}>
            {t("invoices.exportAll")}
          </Button>
        </div>
      </header>
      <div className="toolbar">
        <div className="input-icon narrow">
          <Icon name="search" />
          <input
            type="search"
            aria-label={t("invoices.search")}
            placeholder={t("invoices.search")}
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <Segmented
          size="lg"
          label={t("common.filters")}
          value={status}
          onChange={(s) => setParams({ status: s === "open" ? null : s })}
          options={STATUSES.map((s) => ({ value: s, label: t(`invoices.filter.${s}` as MsgKey) }))}
        />
        <div className="inline-field date-range">
          <span>{t("invoices.due")}</span>
          <input
            type="date"
            aria-label={t("invoices.dueFrom")}
            value={params.dueFrom ?? ""}
            onChange={(e) => setParams({ dueFrom: e.target.value || null })}
          />
          <span aria-hidden="true">→</span>
          <input
            type="date"
            aria-label={t("invoices.dueTo")}
            value={params.dueTo ?? ""}
            onChange={(e) => setParams({ dueTo: e.target.value || null })}
          />
        </div>
        {params.customerId ? (
          <button
            type="button"
            className="chip on"
            onClick={() => setParams({ customerId: null, customerName: null })}
            aria-label={t("invoices.clearCustomer")}
          >
            {params.customerName ?? `#${params.customerId}`} <Icon name="close" size={12} />
          </button>
        ) : null}
      </div>
      {selected.size > 0 ? (
        <section className="bulkbar" aria-label={t("invoices.bulk")}>
          <span>
            <strong>{t("invoices.selected", { n: selected.size })}</strong> · {f.money(selectedTotal)}
          </span>
          <div className="bulkbar-actions">
            {can("ledger:write") ? (
              <Button size="sm" icon="pause" onClick={() => setDialog("pause")}>
                {t("invoices.pause")}
              </Button>
            ) : null}
            {can("customers:write") ? (
              <Button size="sm" icon="user" onClick={() => setDialog("assign")}>
                {t("invoices.assign")}
              </Button>
            ) : null}
            <Button size="sm" icon="download" onClick={() => void exportCsv([...selected.values()])}>
              {t("invoices.exportSelected")}
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setSelected(new Map())}>
              {t("invoices.clearSelection")}
            </Button>
          </div>
        </section>
      ) : null}
      <Card flush>
        <ErrorBox error={error} onRetry={reload} />
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th className="check">
                  <input type="checkbox" aria-label={t("invoices.selectPage")} checked={allOnPage} onChange={toggleAll} />
                </th>
                <SortHeader label={t("invoices.col.number")} sortKey="number" sort={sort} dir={dir} onSort={onSort} />
                <th>{t("invoices.col.customer")}</th>
                <SortHeader label={t("invoices.col.issued")} sortKey="issue_date" sort={sort} dir={dir} onSort={onSort} />
                <SortHeader label={t("invoices.col.due")} sortKey="due_date" sort={sort} dir={dir} onSort={onSort} />
                <SortHeader label={t("invoices.col.total")} sortKey="total" sort={sort} dir={dir} onSort={onSort} align="right" />
                <SortHeader
                  label={t("invoices.col.outstanding")}
                  sortKey="outstanding"
                  sort={sort}
                  dir={dir}
                  onSort={onSort}
                  align="right"
                />
                <th>{t("invoices.col.status")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} className={`${selected.has(d.id) ? "selected" : ""}${loading ? " stale" : ""}`}>
                  <td className="check">
                    <input
                      type="checkbox"
                      aria-label={t("invoices.select", { n: d.number })}
                      checked={selected.has(d.id)}
                      onChange={() => toggle(d)}
                    />
                  </td>
                  <td>
                    <Link href={`/invoices/${d.id}`} className="row-link mono">
                      {d.number}
                    </Link>
                  </td>
                  <td className="ellipsis">
                    <Link href={`/customers/${d.customer.id}`} className="subtle-link">
                      {d.customer.name}
                    </Link>
                  </td>
                  <td className="muted">{f.numDate(d.issueDate)}</td>
                  <td>{f.numDate(d.dueDate)}</td>
                  <td className="num">{f.money(d.total, d.currency)}</td>
                  <td className="num">{f.money(d.outstanding, d.currency)}</td>
                  <td>
                    <DocStatus doc={d} asOf={today} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {!data && loading ? <Skeleton rows={12} /> : null}
          {data && items.length === 0 ? <Empty title={t("invoices.none")} icon="file" /> : null}
        </div>
        <Pager
          page={pager.page}
          hasNext={Boolean(data?.nextCursor)}
          onPrev={pager.prev}
          onNext={() => data?.nextCursor && pager.next(data.nextCursor)}
        />
      </Card>
      <PauseDialog
        open={dialog === "pause"}
        docs={[...selected.values()]}
        onClose={() => setDialog(null)}
        onDone={() => {
          setDialog(null);
          setSelected(new Map());
          reload();
        }}
      />
      <AssignDialog
        open={dialog === "assign"}
        docs={[...selected.values()]}
        onClose={() => setDialog(null)}
        onDone={() => {
          setDialog(null);
          setSelected(new Map());
        }}
      />
    </div>
  );
}

/** Puts the selected documents on hold until a date: no reminder goes out for them until then. */
function PauseDialog({ open, docs, onClose, onDone }: { open: boolean; docs: DocumentItem[]; onClose(): void; onDone(): void }) {
  const { t } = useI18n();
  const [until, setUntil] = useState(addDaysIso(todayIso(), 30));
  const { busy, run } = useAction();
  return (
    <Dialog
      open={open}
      title={t("invoices.pauseTitle", { n: docs.length })}
      onClose={onClose}
      busy={busy}
      submitLabel={t("invoices.pause")}
      onSubmit={async () => {
        const ok = await run(
          async () => {
            for (const d of docs) await api.patch(`/api/documents/${d.id}`, { onHoldUntil: until || null });
            return true;
          },
          t("invoices.paused", { n: docs.length }),
        );
        if (ok) onDone();
      }}
    >
      <p className="muted">{t("invoices.pauseHint")}</p>
      <Field label={t("invoices.pauseUntil")} htmlFor="pause-until">
        <input id="pause-until" type="date" required value={until} min={todayIso()} onChange={(e) => setUntil(e.target.value)} />
      </Field>
    </Dialog>
  );
}

/** Assigns a collector to the customers of the selected documents (assignment is per customer). */
function AssignDialog({ open, docs, onClose, onDone }: { open: boolean; docs: DocumentItem[]; onClose(): void; onDone(): void }) {
  const { t } = useI18n();
  const members = useMembers();
  const [userId, setUserId] = useState("");
  const { busy, run } = useAction();
  const customers = [...new Map(docs.map((d) => [d.customer.id, d.customer])).values()];
  return (
    <Dialog
      open={open}
      title={t("invoices.assignTitle")}
      onClose={onClose}
      busy={busy}
      submitLabel={t("invoices.assign")}
      onSubmit={async () => {
        const ok = await run(
          async () => {
            for (const c of customers) await api.patch(`/api/customers/${c.id}`, { assignedUserId: userId ? Number(userId) : null });
            return true;
          },
          t("invoices.assigned", { n: customers.length }),
        );
        if (ok) onDone();
      }}
    >
      <p className="muted">{t("invoices.assignHint", { n: customers.length })}</p>
      <Field label={t("customer.collector")} htmlFor="assign-user">
        <select id="assign-user" value={userId} onChange={(e) => setUserId(e.target.value)}>
          <option value="">{t("customer.unassigned")}</option>
          {members.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name || m.email}
            </option>
          ))}
        </select>
      </Field>
    </Dialog>
  );
}
