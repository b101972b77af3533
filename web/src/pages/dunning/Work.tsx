import { Link } from "wouter";
import { Badge, Button, Card, Empty, ErrorBox, Skeleton, useAction } from "../../components/ui";
import { api, type ListPage } from "../../lib/api";
import { todayIso } from "../../lib/format";
import { useI18n } from "../../lib/i18n";
import { memberName, useMembers } from "../../lib/members";
import { useSession } from "../../lib/session";
import { useApi } from "../../lib/useApi";

interface Task {
  id: number;
  kind: string;
  title: string;
  dueDate: string | null;
  status: string;
  assignedUserId: number | null;
  customer: { id: number; ref: string | null; name: string | null } | null;
}
interface PromiseItem {
  id: number;
  customerId: number;
  customer?: { id: number; ref: string; name?: string };
  amount: string;
  promisedDate: string;
  status: string;
  note: string | null;
}

/** Open tasks (calls to make, letters to post…), oldest due first. */
export function TasksList() {
  const { t, f, tOr } = useI18n();
  const { can } = useSession();
  const members = useMembers();
  const { data, error, reload } = useApi<ListPage<Task>>("/api/tasks", { status: "open", limit: 200 });
  const { busy, run } = useAction();
  const today = todayIso();
  const items = [...(data?.items ?? [])].sort((a, b) => (a.dueDate ?? "9999").localeCompare(b.dueDate ?? "9999"));
  return (
    <Card title={t("dun.tasks")} flush>
      <ErrorBox error={error} onRetry={reload} />
      {!data ? (
        error ? null : (
          <Skeleton rows={6} />
        )
      ) : items.length === 0 ? (
        <Empty title={t("dun.noTasks")} />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>{t("composer.dueDate")}</th>
              <th>{t("common.customer")}</th>
              <th>{t("dun.task")}</th>
              <th>{t("customers.col.assigned")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((x) => (
              <tr key={x.id}>
                <td className={x.dueDate && x.dueDate < today ? "tone-danger" : undefined}>{f.numDate(x.dueDate)}</td>
                <td className="ellipsis">
                  {x.customer ? (
                    <Link href={`/customers/${x.customer.id}`} className="row-link">
                      {x.customer.name}
                    </Link>
                  ) : (
                    "—"
                  )}
                </td>
                <td className="ellipsis">
                  <Badge>{tOr(`taskKind.${x.kind}`, x.kind)}</Badge> {x.title}
                </td>
                <td className="muted">{memberName(members, x.assignedUserId) ?? "—"}</td>
                <td className="num">
                  {can("collect:write") && x.customer ? (
                    <Link href={`/customers/${x.customer.id}`} className="btn btn-sm btn-secondary">
                      {x.kind === "call" ? t("customer.logCall") : t("customer.done")}
                    </Link>
                  ) : null}
                  {can("collect:write") && !x.customer ? (
                    <Button
                      size="sm"
                      busy={busy}
                      onClick={() => void run(() => api.post(`/api/tasks/${x.id}/complete`, {}), t("customer.taskDone")).then(reload)}
                    >
                      {t("customer.done")}
                    </Button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

/** Promises to pay not yet settled, with one click to mark them kept or broken. */
export function PromisesList() {
  const { t, f } = useI18n();
  const { can } = useSession();
  const { data, error, reload } = useApi<ListPage<PromiseItem>>("/api/promises", { status: "pending" });
  const { busy, run } = useAction();
  const today = todayIso();
  const items = [...(data?.items ?? [])].sort((a, b) => a.promisedDate.localeCompare(b.promisedDate));
  const mark = (p: PromiseItem, status: "kept" | "broken") =>
    void run(
      () => api.post(`/api/promises/${p.id}/status`, { status }),
      t(status === "kept" ? "customer.promiseKept" : "customer.promiseBroken"),
    ).then(reload);
  return (
    <Card title={t("dun.promises")} flush>
      <ErrorBox error={error} onRetry={reload} />
      {!data ? (
        error ? null : (
          <Skeleton rows={6} />
        )
      ) : items.length === 0 ? (
        <Empty title={t("dun.noPromises")} />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>{t("composer.promisedDate")}</th>
              <th>{t("common.customer")}</th>
              <th className="num">{t("common.amount")}</th>
              <th>{t("composer.promiseNote")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <tr key={p.id}>
                <td className={p.promisedDate < today ? "tone-danger" : undefined}>{f.numDate(p.promisedDate)}</td>
                <td className="ellipsis">
                  <Link href={`/customers/${p.customerId}`} className="row-link">
                    {p.customer?.name ?? `#${p.customerId}`}
                  </Link>
                </td>
                <td className="num">{f.money(p.amount)}</td>
                <td className="muted ellipsis">{p.note ?? ""}</td>
                <td className="num">
                  {can("collect:write") ? (
                    <span className="todo-actions end">
                      <Button size="sm" busy={busy} onClick={() => mark(p, "kept")}>
                        {t("customer.kept")}
                      </Button>
                      <Button size="sm" variant="ghost" busy={busy} onClick={() => mark(p, "broken")}>
                        {t("customer.broken")}
                      </Button>
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
