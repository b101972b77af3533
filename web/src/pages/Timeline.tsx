import { Link } from "wouter";
import { Icon, type IconName } from "../components/Icon";
import { Button, Empty, Skeleton } from "../components/ui";
import { fromCents } from "../lib/decimal";
import { useI18n } from "../lib/i18n";
import type { MsgKey } from "../lib/messages";

export interface TimelineItem {
  type: "activity" | "note" | "payment";
  id: number;
  kind: string;
  at: string;
  actor: string;
  documentId: number | null;
  data: Record<string, unknown>;
}

const ICONS: Record<string, IconName> = {
  reminder_sent: "mail",
  reminder_failed: "alert",
  reminder_cancelled: "close",
  letter_generated: "file",
  link_opened: "external",
  payment: "coins",
  promise: "handshake",
  promise_kept: "check",
  promise_broken: "alert",
  dispute_opened: "flag",
  dispute_resolved: "flag",
  note: "note",
  call: "phone",
  task: "task",
  task_done: "check",
  paused: "pause",
  resumed: "play",
  policy_changed: "settings",
  approval: "check",
  webhook: "send",
};

const TONES: Record<string, string> = {
  reminder_failed: "danger",
  promise_broken: "danger",
  dispute_opened: "danger",
  payment: "success",
  promise_kept: "success",
  paused: "warning",
};

const str = (v: unknown) => (typeof v === "string" ? v : v === null || v === undefined ? "" : String(v));
/** Amounts in activity data: decimal strings, or integer cents for older kinds. */
const amountOf = (v: unknown) => (typeof v === "number" ? fromCents(BigInt(Math.trunc(v))) : str(v));

function Line({ item }: { item: TimelineItem }) {
  const { t, f, tOr } = useI18n();
  const d = item.data;
  const title = (key: MsgKey, vars?: Record<string, string | number>) => <span className="tl-title">{t(key, vars)}</span>;
  switch (item.kind) {
    case "reminder_sent":
    case "letter_generated":
      return (
        <>
          {title(item.kind === "letter_generated" ? "tl.letter" : "tl.reminderSent", { step: str(d.step) })}
          {d.subject ? <span className="tl-body">« {str(d.subject)} »</span> : null}
          <span className="tl-meta">
            {Array.isArray(d.to) && d.to.length ? `${t("tl.to")} ${(d.to as string[]).join(", ")} · ` : ""}
            {Array.isArray(d.documents) ? (d.documents as string[]).join(", ") : ""}
            {d.total ? ` · ${f.money(str(d.total))}` : ""}
          </span>
        </>
      );
    case "reminder_failed":
      return (
        <>
          {title("tl.reminderFailed", { step: str(d.step) })}
          <span className="tl-body tone-danger">{str(d.error)}</span>
        </>
      );
    case "reminder_cancelled":
      return (
        <>
          {title("tl.reminderCancelled", { step: str(d.step) })}
          {d.reason ? <span className="tl-meta">{str(d.reason)}</span> : null}
        </>
      );
    case "link_opened":
      return title("tl.linkOpened");
    case "payment":
      return (
        <>
          {title("tl.payment", { amount: f.money(amountOf(d.amount), str(d.currency) || "EUR") })}
          {d.reference ? <span className="tl-meta">{str(d.reference)}</span> : null}
        </>
      );
    case "promise":
      return (
        <>
          {title("tl.promise", { amount: f.money(amountOf(d.amount)), date: f.date(str(d.promisedDate)) })}
          {d.note ? <span className="tl-body">{str(d.note)}</span> : null}
        </>
      );
    case "promise_kept":
      return title("tl.promiseKept", { amount: f.money(amountOf(d.amount)) });
    case "promise_broken":
      return title("tl.promiseBroken", { amount: f.money(amountOf(d.amount)), date: f.date(str(d.promisedDate)) });
    case "dispute_opened":
      return (
        <>
          {title("tl.disputeOpened", { number: str(d.number) })}
          <span className="tl-body">{str(d.reason)}</span>
        </>
      );
    case "dispute_resolved":
      return (
        <>
          {title("tl.disputeResolved", { number: str(d.number), status: tOr(`dispute.${str(d.status)}`, str(d.status)) })}
          {d.note ? <span className="tl-body">{str(d.note)}</span> : null}
        </>
      );
    case "note":
      return (
        <>
          {title("tl.note")}
          <span className="tl-body pre">{str(d.body)}</span>
        </>
      );
    case "call":
      return (
        <>
          {title("tl.call", { outcome: tOr(`outcome.${str(d.outcome)}`, str(d.outcome) || "—") })}
          {d.result ? <span className="tl-body">{str(d.result)}</span> : null}
          {d.title ? <span className="tl-meta">{str(d.title)}</span> : null}
        </>
      );
    case "task":
      return (
        <>
          {title("tl.task", { title: str(d.title) })}
          {d.dueDate ? <span className="tl-meta">{t("tl.due", { date: f.date(str(d.dueDate)) })}</span> : null}
        </>
      );
    case "task_done":
      return title(d.cancelled ? "tl.taskCancelled" : "tl.taskDone", { title: str(d.title) });
    case "paused":
      return (
        <>
          {d.doNotChase ? title("tl.doNotChase") : title("tl.paused", { date: f.date(str(d.until)) })}
          {d.reason ? <span className="tl-body">{str(d.reason)}</span> : null}
        </>
      );
    case "resumed":
      return title("tl.resumed");
    case "policy_changed":
      return title("tl.policyChanged");
    case "approval":
      return title(d.decision === "reject" ? "tl.rejected" : "tl.approved", { step: str(d.step) });
    case "webhook":
      return title("tl.webhook", { step: str(d.step) });
    default:
      return <span className="tl-title">{item.kind}</span>;
  }
}

export function Timeline({
  items,
  loading,
  hasMore,
  onMore,
}: {
  items: TimelineItem[] | undefined;
  loading: boolean;
  hasMore: boolean;
  onMore(): void;
}) {
  const { t, f } = useI18n();
  if (!items) return loading ? <Skeleton rows={6} /> : null;
  if (items.length === 0) return <Empty title={t("tl.empty")} icon="calendar" />;
  return (
    <div className="timeline" data-testid="timeline">
      <ol>
        {items.map((item) => (
          <li key={`${item.type}-${item.id}`} className={`tl-item tone-${TONES[item.kind] ?? "neutral"}`}>
            <span className="tl-icon" aria-hidden="true">
              <Icon name={ICONS[item.kind] ?? "note"} size={14} />
            </span>
            <div className="tl-content">
              <Line item={item} />
              <span className="tl-when" title={f.dateTime(item.at)}>
                {f.ago(item.at)}
                {item.actor ? ` · ${item.actor === "dunning" ? t("tl.byRelance") : item.actor}` : ""}
                {item.documentId ? (
                  <>
                    {" · "}
                    <Link href={`/invoices/${item.documentId}`}>{t("tl.document")}</Link>
                  </>
                ) : null}
              </span>
            </div>
          </li>
        ))}
      </ol>
      {hasMore ? (
        <Button size="sm" variant="ghost" busy={loading} onClick={onMore}>
          {t("tl.more")}
        </Button>
      ) : null}
    </div>
  );
}
