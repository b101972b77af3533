import { useI18n } from "../lib/i18n";
import type { DocumentItem } from "../lib/types";
import { Badge } from "./ui";

/** Status badges of a document: paid / overdue (days) / open, disputed, on hold, e-invoice lifecycle. */
export function DocStatus({ doc, asOf }: { doc: DocumentItem; asOf: string }) {
  const { t, f, tOr } = useI18n();
  return (
    <span className="badges">
      {doc.kind === "credit_note" ? (
        <Badge tone={doc.status === "paid" ? "success" : "neutral"}>{t(doc.status === "paid" ? "doc.creditUsed" : "doc.creditOpen")}</Badge>
      ) : doc.status === "paid" ? (
        <Badge tone="success">{t("doc.status.paid")}</Badge>
      ) : doc.status === "overdue" ? (
        <Badge tone={doc.daysPastDue > 60 ? "danger" : "warning"} title={t("doc.status.overdueLong", { n: doc.daysPastDue })}>
          {t("doc.status.overdueDays", { n: doc.daysPastDue })}
        </Badge>
      ) : (
        <Badge tone="info">{t("doc.status.open")}</Badge>
      )}
      {doc.disputed ? <Badge tone="danger">{t("doc.disputed")}</Badge> : null}
      {doc.onHoldUntil && doc.onHoldUntil >= asOf ? (
        <Badge tone="accent" title={f.date(doc.onHoldUntil)}>
          {t("doc.onHold", { date: f.shortDate(doc.onHoldUntil) })}
        </Badge>
      ) : null}
      {doc.lifecycleStatus ? <Badge>{tOr(`lifecycle.${doc.lifecycleStatus}`, doc.lifecycleStatus)}</Badge> : null}
    </span>
  );
}
