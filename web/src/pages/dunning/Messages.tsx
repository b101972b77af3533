import { useState } from "react";
import { Link } from "wouter";
import { Badge, Card, Empty, ErrorBox, Pager, Segmented, Skeleton, usePager } from "../../components/ui";
import type { ListPage } from "../../lib/api";
import { useI18n } from "../../lib/i18n";
import { useApi } from "../../lib/useApi";
import type { MessageView } from "./Approvals";

const STATUSES = ["all", "sent", "failed", "pending", "cancelled"] as const;
const TONE: Record<string, "success" | "danger" | "warning" | "neutral" | "info"> = {
  sent: "success",
  failed: "danger",
  pending: "info",
  sending: "info",
  awaiting_approval: "warning",
  cancelled: "neutral",
};

/** The sent/failed log with each message's content. */
export function Messages() {
  const { t, tOr } = useI18n();
  const [status, setStatus] = useState<(typeof STATUSES)[number]>("all");
  const pager = usePager(status);
  const { data, error, reload } = useApi<ListPage<MessageView>>("/api/dunning/messages", {
    status: status === "all" ? undefined : status,
    limit: 30,
    cursor: pager.cursor,
  });
  const [open, setOpen] = useState<number | null>(null);
  return (
    <Card
      title={t("dun.log")}
      actions={
        <Segmented<(typeof STATUSES)[number]>
          label={t("common.status")}
          value={status}
          onChange={setStatus}
          options={STATUSES.map((s) => ({ value: s, label: s === "all" ? t("common.all") : tOr(`msgStatus.${s}`, s) }))}
        />
      }
      flush
    >
      <ErrorBox error={error} onRetry={reload} />
      {!data ? (
        error ? null : (
          <Skeleton rows={8} />
        )
      ) : data.items.length === 0 ? (
        <Empty title={t("dun.noMessages")} icon="mail" />
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t("common.date")}</th>
                <th>{t("common.customer")}</th>
                <th>{t("dun.step")}</th>
                <th>{t("dun.channel")}</th>
                <th className="num">{t("common.amount")}</th>
                <th>{t("common.status")}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((m) => (
                <MessageRow key={m.id} m={m} open={open === m.id} onToggle={() => setOpen(open === m.id ? null : m.id)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data ? (
        <Pager
          page={pager.page}
          hasNext={Boolean(data.nextCursor)}
          onPrev={pager.prev}
          onNext={() => data.nextCursor && pager.next(data.nextCursor)}
        />
      ) : null}
    </Card>
  );
}

function MessageRow({ m, open, onToggle }: { m: MessageView; open: boolean; onToggle(): void }) {
  const { t, f, tOr } = useI18n();
  const detail = useApi<MessageView>(open ? `/api/dunning/messages/${m.id}` : null);
  return (
    <>
      <tr className={open ? "selected" : undefined}>
        <td className="muted">
          <button type="button" className="link-btn" aria-expanded={open} onClick={onToggle}>
            {f.dateTime(m.sentAt ?? m.createdAt)}
          </button>
        </td>
        <td className="ellipsis">
          <Link href={`/customers/${m.customer.id}`} className="row-link">
            {m.customer.name}
          </Link>
        </td>
        <td className="ellipsis">{m.step ?? "—"}</td>
        <td>
          <Badge>{tOr(`channel.${m.channel}`, m.channel)}</Badge>
        </td>
        <td className="num">{f.money(m.total)}</td>
        <td>
          <Badge tone={TONE[m.status] ?? "neutral"} title={m.lastError ?? undefined}>
            {tOr(`msgStatus.${m.status}`, m.status)}
          </Badge>
        </td>
      </tr>
      {open ? (
        <tr className="detail-row">
          <td colSpan={6}>
            {!detail.data ? (
              <Skeleton rows={3} />
            ) : (
              <div className="mail-preview">
                <div className="mail-head">
                  <span className="muted">{t("dun.to")}</span> {detail.data.to.join(", ") || "—"}
                  <br />
                  <span className="muted">{t("dun.subject")}</span> <strong>{detail.data.subject ?? "—"}</strong>
                  <br />
                  <span className="muted">{t("dun.documents")}</span> {detail.data.documents.join(", ")}
                  {detail.data.lastError ? (
                    <>
                      <br />
                      <span className="tone-danger">{detail.data.lastError}</span>
                    </>
                  ) : null}
                </div>
                {detail.data.text ? <pre className="mail-body">{detail.data.text}</pre> : null}
                {detail.data.hasAttachment ? (
                  <a className="btn btn-secondary btn-sm" href={`/api/dunning/messages/${m.id}/attachment`}>
                    {detail.data.attachmentName ?? "PDF"}
                  </a>
                ) : null}
              </div>
            )}
          </td>
        </tr>
      ) : null}
    </>
  );
}
