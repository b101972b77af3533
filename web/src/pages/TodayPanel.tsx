import { Link } from "wouter";
import { Icon, type IconName } from "../components/Icon";
import { Card, Skeleton } from "../components/ui";
import type { ListPage } from "../lib/api";
import { addDaysIso, todayIso } from "../lib/format";
import { useI18n } from "../lib/i18n";
import type { MsgKey } from "../lib/messages";
import { useSession } from "../lib/session";
import { useApi } from "../lib/useApi";

interface Approval {
  id: number;
  customer: { id: number; name: string };
  step: string | null;
}
interface Task {
  id: number;
  kind: string;
  title: string;
  dueDate: string | null;
  customer: { id: number; name: string | null } | null;
}
interface PromiseItem {
  id: number;
  customerId: number;
  customer?: { id: number; name?: string };
  amount: string;
  promisedDate: string;
}
interface Dispute {
  id: number;
  documentId: number;
  number?: string;
  customerId?: number;
  reason: string;
  openedAt: string;
}

interface Row {
  key: string;
  href: string;
  label: string;
  sub?: string;
}

function Section({
  icon,
  title,
  count,
  href,
  rows,
  tone,
}: {
  icon: IconName;
  title: string;
  count: number | undefined;
  href: string;
  rows: Row[];
  tone?: "danger" | "warning";
}) {
  const { t } = useI18n();
  return (
    <div className="today-section">
      <Link href={href} className="today-head">
        <Icon name={icon} />
        <span className="today-title">{title}</span>
        <span className={`today-count${count ? ` tone-${tone ?? "accent"}` : ""}`}>{count ?? "…"}</span>
      </Link>
      {rows.length ? (
        <ul className="today-rows">
          {rows.slice(0, 3).map((r) => (
            <li key={r.key}>
              <Link href={r.href}>{r.label}</Link>
              {r.sub ? <span className="muted small">{r.sub}</span> : null}
            </li>
          ))}
          {rows.length > 3 ? (
            <li>
              <Link href={href} className="muted small">
                {t("common.andMore", { n: rows.length - 3 })}
              </Link>
            </li>
          ) : null}
        </ul>
      ) : null}
    </div>
  );
}

/** "Today": what needs a person now. Each count links to the list behind it. */
export function TodayPanel() {
  const { t, f } = useI18n();
  const { has } = useSession();
  const today = todayIso();
  const approvals = useApi<ListPage<Approval>>(has("GET /api/dunning/approvals") ? "/api/dunning/approvals" : null);
  const calls = useApi<ListPage<Task>>(has("GET /api/tasks") ? "/api/tasks" : null, { status: "open", kind: "call", limit: 200 });
  const promises = useApi<ListPage<PromiseItem>>(has("GET /api/promises") ? "/api/promises" : null, { status: "pending" });
  const disputes = useApi<ListPage<Dispute>>(has("GET /api/disputes") ? "/api/disputes" : null, { status: "open" });
  if (!has("GET /api/tasks") && !has("GET /api/dunning/approvals")) return null;
  const weekAgo = addDaysIso(today, -7);
  const dueCalls = calls.data?.items.filter((x) => !x.dueDate || x.dueDate <= today) ?? [];
  const duePromises = promises.data?.items.filter((p) => p.promisedDate <= today) ?? [];
  const newDisputes = disputes.data?.items.filter((d) => d.openedAt >= weekAgo) ?? [];
  const loading = approvals.loading || calls.loading || promises.loading || disputes.loading;
  const sections: {
    icon: IconName;
    title: MsgKey;
    count?: number;
    href: string;
    rows: Row[];
    tone?: "danger" | "warning";
    show: boolean;
  }[] = [
    {
      icon: "check",
      title: "today.approvals",
      count: approvals.data?.items.length,
      href: "/dunning?tab=approvals",
      rows: (approvals.data?.items ?? []).map((a) => ({
        key: `a${a.id}`,
        href: `/dunning?tab=approvals`,
        label: a.customer.name,
        sub: a.step ?? undefined,
      })),
      show: has("GET /api/dunning/approvals"),
    },
    {
      icon: "phone",
      title: "today.calls",
      count: calls.data ? dueCalls.length : undefined,
      href: "/dunning?tab=tasks",
      rows: dueCalls.map((c) => ({
        key: `c${c.id}`,
        href: c.customer ? `/customers/${c.customer.id}` : "/dunning?tab=tasks",
        label: c.customer?.name ?? c.title,
        sub: c.dueDate && c.dueDate < today ? t("today.late", { date: f.shortDate(c.dueDate) }) : undefined,
      })),
      tone: "warning",
      show: has("GET /api/tasks"),
    },
    {
      icon: "handshake",
      title: "today.promises",
      count: promises.data ? duePromises.length : undefined,
      href: "/dunning?tab=promises",
      rows: duePromises.map((p) => ({
        key: `p${p.id}`,
        href: `/customers/${p.customerId}`,
        label: p.customer?.name ?? `#${p.customerId}`,
        sub: `${f.money(p.amount)} · ${f.shortDate(p.promisedDate)}`,
      })),
      show: has("GET /api/promises"),
    },
    {
      icon: "flag",
      title: "today.disputes",
      count: disputes.data ? newDisputes.length : undefined,
      href: "/invoices?status=disputed",
      rows: newDisputes.map((d) => ({
        key: `d${d.id}`,
        href: `/invoices/${d.documentId}`,
        label: d.number ?? `#${d.documentId}`,
        sub: d.reason,
      })),
      tone: "danger",
      show: has("GET /api/disputes"),
    },
  ];
  return (
    <Card title={t("dash.today")} subtitle={f.date(today)}>
      {loading && !approvals.data && !calls.data ? (
        <Skeleton rows={4} />
      ) : (
        <div className="today">
          {sections
            .filter((s) => s.show)
            .map((s) => (
              <Section key={s.title} icon={s.icon} title={t(s.title)} count={s.count} href={s.href} rows={s.rows} tone={s.tone} />
            ))}
        </div>
      )}
    </Card>
  );
}
