import { useState } from "react";
import { Link } from "wouter";
import { Badge, Button, Card, Empty, ErrorBox, Skeleton, useAction } from "../../components/ui";
import { api, type ListPage } from "../../lib/api";
import { useI18n } from "../../lib/i18n";
import { useSession } from "../../lib/session";
import { useApi } from "../../lib/useApi";

export interface MessageView {
  id: number;
  customer: { id: number; ref: string; name: string };
  stepId: number | null;
  step: string | null;
  channel: string;
  origin: string;
  status: string;
  asOf: string;
  attempts: number;
  subject: string | null;
  to: string[];
  documents: string[];
  total: string | null;
  lastError: string | null;
  hasAttachment: boolean;
  attachmentName: string | null;
  createdAt: string;
  sentAt: string | null;
  text?: string | null;
  warnings?: string[];
}

type Approval = MessageView & { preview: { subject: string; text: string; to: string[] } | null; previewError?: string };

/** Messages held for a person's approval (steps with "require approval"), rendered as they would go out. */
export function Approvals({ onChange }: { onChange(): void }) {
  const { t, f, tOr } = useI18n();
  const { can } = useSession();
  const { data, error, reload } = useApi<ListPage<Approval>>("/api/dunning/approvals");
  const { busy, run } = useAction();
  const [open, setOpen] = useState<number | null>(null);
  const decide = async (ids: number[], decision: "approve" | "reject") => {
    const ok = await run(
      async () => {
        for (const id of ids) await api.post(`/api/dunning/approvals/${id}/${decision}`, {});
        return true;
      },
      t(decision === "approve" ? "dun.approved" : "dun.rejected", { n: ids.length }),
    );
    if (ok) {
      reload();
      onChange();
    }
  };
  if (error) return <ErrorBox error={error} onRetry={reload} />;
  if (!data)
    return (
      <Card>
        <Skeleton rows={5} />
      </Card>
    );
  if (data.items.length === 0)
    return (
      <Card>
        <Empty title={t("dun.noApprovals")} hint={t("dun.noApprovalsHint")} />
      </Card>
    );
  const collect = can("collect:write");
  return (
    <Card
      title={t("dun.approvalsTitle", { n: data.items.length })}
      subtitle={t("dun.approvalsHint")}
      actions={
        collect ? (
          <Button
            size="sm"
            icon="check"
            busy={busy}
            onClick={() =>
              void decide(
                data.items.map((m) => m.id),
                "approve",
              )
            }
          >
            {t("dun.approveAll", { n: data.items.length })}
          </Button>
        ) : null
      }
      flush
    >
      <ul className="approvals">
        {data.items.map((m) => (
          <li key={m.id} className={open === m.id ? "open" : undefined}>
            <div className="approval-row">
              <button
                type="button"
                className="approval-summary"
                aria-expanded={open === m.id}
                onClick={() => setOpen(open === m.id ? null : m.id)}
              >
                <span className="approval-customer">{m.customer.name}</span>
                <span className="muted ellipsis">{m.preview?.subject ?? m.step}</span>
                <span className="muted small">
                  {[
                    tOr(`channel.${m.channel}`, m.channel),
                    m.documents.length ? m.documents.join(", ") : null,
                    m.total ? f.money(m.total) : null,
                  ]
                    .filter(Boolean)
                    .join(" · ")}
                </span>
              </button>
              {collect ? (
                <span className="row-actions">
                  <Button size="sm" variant="ghost" busy={busy} onClick={() => void decide([m.id], "reject")}>
                    {t("dun.reject")}
                  </Button>
                  <Button size="sm" variant="primary" busy={busy} onClick={() => void decide([m.id], "approve")}>
                    {t("dun.approve")}
                  </Button>
                </span>
              ) : null}
            </div>
            {open === m.id ? (
              m.preview ? (
                <div className="mail-preview approval-preview">
                  <div className="mail-head">
                    <span className="muted">{t("dun.to")}</span>{" "}
                    {m.preview.to.join(", ") || <Badge tone="warning">{t("dun.noRecipient")}</Badge>}
                    <br />
                    <span className="muted">{t("dun.subject")}</span> <strong>{m.preview.subject}</strong>
                    <br />
                    <Link href={`/customers/${m.customer.id}`}>{t("dun.openCustomer")}</Link>
                  </div>
                  <pre className="mail-body">{m.preview.text}</pre>
                </div>
              ) : (
                <p className="tone-danger pad">{m.previewError}</p>
              )
            ) : null}
          </li>
        ))}
      </ul>
    </Card>
  );
}
