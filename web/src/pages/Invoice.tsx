import { useState } from "react";
import { Link } from "wouter";
import { DocStatus } from "../components/DocStatus";
import { Icon } from "../components/Icon";
import { Button, Card, Dialog, Empty, ErrorBox, Field, Kpi, Skeleton, useAction } from "../components/ui";
import { api, type ListPage } from "../lib/api";
import { isDecimal, isPositive, minMoney, subMoney } from "../lib/decimal";
import { todayIso } from "../lib/format";
import { useI18n } from "../lib/i18n";
import { useSession } from "../lib/session";
import type { DocumentDetail, DocumentItem } from "../lib/types";
import { useApi } from "../lib/useApi";

/** The main path of the French e-invoicing lifecycle; other statuses (refused, disputed…) are shown alone. */
const LIFECYCLE = ["deposited", "issued", "received", "made_available", "in_hand", "approved", "payment_sent", "cashed"];

export default function InvoicePage({ id }: { id: number }) {
  const { t, f, tOr } = useI18n();
  const { has, can } = useSession();
  const [applying, setApplying] = useState(false);
  const undo = useAction();
  const {
    data: d,
    error,
    reload,
  } = useApi<
    DocumentDetail & {
      originalUrl?: string | null;
      hasOriginal?: boolean;
      lifecycleEvents?: { status: string; at: string; note?: string | null }[];
    }
  >(`/api/documents/${id}`);
  const today = todayIso();
  if (error)
    return (
      <div className="page">
        <ErrorBox error={error} onRetry={reload} />
      </div>
    );
  if (!d)
    return (
      <div className="page">
        <Skeleton rows={8} />
      </div>
    );
  // The server says whether the document kept its original file (hasOriginal): no link to a 404.
  const originalHref =
    d.originalUrl ?? (d.hasOriginal && has("GET /api/documents/{id}/original") ? `/api/documents/${d.id}/original` : null);
  // A credit note with credit left can be applied to an invoice of the customer.
  const canApply = can("ledger:write") && has("POST /api/documents/{id}/credit-applications");
  const creditLeft = d.kind === "credit_note" && isPositive(subMoney("0", d.outstanding));
  const lifecycleIndex = d.lifecycleStatus ? LIFECYCLE.indexOf(d.lifecycleStatus) : -1;
  const steps =
    lifecycleIndex >= 0
      ? LIFECYCLE.map((s, i) => ({ s, state: i < lifecycleIndex ? "done" : i === lifecycleIndex ? "current" : "todo" }))
      : d.lifecycleStatus
        ? [{ s: d.lifecycleStatus, state: "current" }]
        : [];
  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label={t("common.breadcrumbs")}>
        <Link href="/invoices">{t("invoices.title")}</Link>
        <Icon name="chevronRight" size={12} />
        <span>{d.number}</span>
      </nav>
      <header className="page-head">
        <div>
          <h1 className="mono-title">
            {t(d.kind === "credit_note" ? "doc.kind.credit_note" : "doc.kind.invoice")} {d.number}
          </h1>
          <p className="page-sub">
            <Link href={`/customers/${d.customer.id}`}>{d.customer.name}</Link> · <span className="mono">{d.customer.ref}</span>
          </p>
        </div>
        <div className="page-actions">
          <DocStatus doc={d} asOf={today} />
          {canApply && creditLeft ? (
            <Button icon="check" onClick={() => setApplying(true)}>
              {t("credit.apply")}
            </Button>
          ) : null}
          {originalHref ? (
            <a className="btn btn-secondary" href={originalHref} target="_blank" rel="noreferrer">
              <Icon name="external" /> {t("invoice.original")}
            </a>
          ) : null}
        </div>
      </header>
      <div className="kpis">
        <Kpi
          label={t("invoice.total")}
          value={f.money(d.total, d.currency)}
          sub={t("invoice.tax", { amount: f.money(d.tax, d.currency) })}
        />
        <Kpi
          label={t("invoice.outstanding")}
          value={f.money(d.outstanding, d.currency)}
          tone={d.status === "overdue" ? "danger" : undefined}
        />
        <Kpi label={t("invoice.issued")} value={f.date(d.issueDate)} />
        <Kpi
          label={t("invoice.due")}
          value={f.date(d.dueDate)}
          sub={
            // A credit note is due nowhere: no "due in" under its date.
            d.kind === "credit_note"
              ? undefined
              : d.status === "overdue"
                ? t("doc.status.overdueDays", { n: d.daysPastDue })
                : d.status === "open"
                  ? t("invoice.dueIn", { n: -d.daysPastDue })
                  : undefined
          }
          tone={d.status === "overdue" ? "danger" : undefined}
        />
      </div>
      <div className="grid-2">
        <Card title={t("invoice.allocations")} flush>
          {d.allocations.length === 0 && d.writeOffs.length === 0 ? (
            <Empty title={t("invoice.noAllocations")} icon="coins" />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>{t("common.date")}</th>
                  <th>{t("invoice.reference")}</th>
                  <th className="num">{t("common.amount")}</th>
                </tr>
              </thead>
              <tbody>
                {d.allocations.map((a) => (
                  <tr key={`a${a.id}`}>
                    <td>{f.date(a.date)}</td>
                    <td className="muted wrap">{a.reference ?? t("invoice.paymentN", { n: a.paymentId })}</td>
                    <td className="num">{f.money(a.amount, d.currency)}</td>
                  </tr>
                ))}
                {d.writeOffs.map((w) => (
                  <tr key={`w${w.id}`}>
                    <td>{f.date(w.date)}</td>
                    <td className="muted wrap">
                      {w.appliedDocument ? (
                        <>
                          {t(w.appliedDocument.kind === "credit_note" ? "invoice.creditNoteApplied" : "invoice.appliedTo")}{" "}
                          <Link href={`/invoices/${w.appliedDocument.id}`}>{w.appliedDocument.number}</Link>
                        </>
                      ) : (
                        <>
                          {t("invoice.writeOff")}
                          {w.reason ? ` — ${w.reason}` : ""}
                        </>
                      )}
                    </td>
                    <td className="num">
                      {f.money(w.amount, d.currency)}
                      {w.appliedDocument && canApply ? (
                        <Button
                          size="sm"
                          variant="ghost"
                          busy={undo.busy}
                          aria-label={t("credit.undoOf", { number: w.appliedDocument.number })}
                          onClick={async () => {
                            const other = w.appliedDocument as { id: number };
                            const [creditNote, invoice] = d.kind === "credit_note" ? [d.id, other.id] : [other.id, d.id];
                            const ok = await undo.run(
                              () => api.del(`/api/documents/${creditNote}/credit-applications?invoiceId=${invoice}`),
                              t("credit.undone"),
                            );
                            if (ok) reload();
                          }}
                        >
                          {t("credit.undo")}
                        </Button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <div className="stack">
          <Card title={t("invoice.lifecycle")}>
            {d.lifecycleStatus ? (
              <ol className="lifecycle">
                {steps.map(({ s, state }) => (
                  <li key={s} className={state}>
                    {tOr(`lifecycle.${s}`, s)}
                  </li>
                ))}
              </ol>
            ) : (
              <p className="muted">{t("invoice.noLifecycle", { source: d.source })}</p>
            )}
            {d.lifecycleEvents?.length ? (
              <ul className="mini-list">
                {d.lifecycleEvents.map((e) => (
                  <li key={`${e.status}${e.at}`}>
                    <span>{tOr(`lifecycle.${e.status}`, e.status)}</span>
                    <span className="muted">{f.dateTime(e.at)}</span>
                  </li>
                ))}
              </ul>
            ) : null}
          </Card>
          <Disputes documentId={d.id} disputes={d.disputes} onChange={reload} />
        </div>
      </div>
      {canApply && creditLeft ? (
        <ApplyCreditDialog
          open={applying}
          creditNote={d}
          onClose={() => setApplying(false)}
          onDone={() => {
            setApplying(false);
            reload();
          }}
        />
      ) : null}
    </div>
  );
}

/** Disputes of the document: a disputed invoice is not chased until the dispute is closed. */
function Disputes({ documentId, disputes, onChange }: { documentId: number; disputes: DocumentDetail["disputes"]; onChange(): void }) {
  const { t, f, tOr } = useI18n();
  const { can, has } = useSession();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const { busy, run } = useAction();
  const canAct = can("collect:write") && has("POST /api/documents/{id}/disputes");
  const resolve = (id: number, status: "resolved" | "rejected") =>
    void run(() => api.post(`/api/disputes/${id}/resolve`, { status }), t("invoice.disputeClosed")).then(
      (r) => r !== undefined && onChange(),
    );
  return (
    <Card
      title={t("invoice.disputes")}
      actions={
        canAct && !disputes.some((x) => x.status === "open") ? (
          <Button size="sm" icon="flag" onClick={() => setOpen(true)}>
            {t("invoice.openDispute")}
          </Button>
        ) : null
      }
    >
      {disputes.length === 0 ? (
        <p className="muted">{t("invoice.noDisputes")}</p>
      ) : (
        <ul className="mini-list">
          {disputes.map((x) => (
            <li key={x.id}>
              <span>{x.reason}</span>
              <span className={x.status === "open" ? "tone-danger" : "muted"}>
                {tOr(`dispute.${x.status}`, x.status)} · {f.date(x.openedAt)}
                {x.status === "open" && canAct ? (
                  <span className="todo-actions">
                    <Button size="sm" busy={busy} onClick={() => resolve(x.id, "resolved")}>
                      {t("invoice.resolve")}
                    </Button>
                    <Button size="sm" variant="ghost" busy={busy} onClick={() => resolve(x.id, "rejected")}>
                      {t("invoice.rejectDispute")}
                    </Button>
                  </span>
                ) : null}
              </span>
            </li>
          ))}
        </ul>
      )}
      <Dialog
        open={open}
        title={t("invoice.openDispute")}
        onClose={() => setOpen(false)}
        busy={busy}
        submitLabel={t("invoice.openDispute")}
        onSubmit={async () => {
          if (!reason.trim()) return;
          const ok = await run(
            () => api.post(`/api/documents/${documentId}/disputes`, { reason: reason.trim() }),
            t("invoice.disputeOpened"),
          );
          if (ok) {
            setOpen(false);
            setReason("");
            onChange();
          }
        }}
      >
        <p className="muted">{t("invoice.disputeHint")}</p>
        <Field label={t("invoice.disputeReason")} htmlFor="dispute-reason">
          <textarea id="dispute-reason" required value={reason} onChange={(e) => setReason(e.target.value)} />
        </Field>
      </Dialog>
    </Card>
  );
}

/** Applies a credit note to one of the customer's open invoices, oldest due first. */
function ApplyCreditDialog({
  open,
  creditNote,
  onClose,
  onDone,
}: {
  open: boolean;
  creditNote: DocumentDetail;
  onClose(): void;
  onDone(): void;
}) {
  const { t, f } = useI18n();
  const credit = subMoney("0", creditNote.outstanding);
  const docs = useApi<ListPage<DocumentItem>>(open ? "/api/documents" : null, {
    customerId: creditNote.customer.id,
    status: "open",
    sort: "due_date",
    dir: "asc",
    limit: 500,
  });
  const invoices = (docs.data?.items ?? []).filter((x) => x.kind === "invoice" && isPositive(x.outstanding));
  const [invoiceId, setInvoiceId] = useState<number | null>(null);
  const [amount, setAmount] = useState("");
  const chosen = invoices.find((x) => x.id === invoiceId) ?? invoices[0];
  const fits = chosen ? minMoney(credit, chosen.outstanding) : "0.00";
  const { busy, run } = useAction();
  const typed = amount.trim();
  const badAmount = typed !== "" && !isDecimal(typed);
  return (
    <Dialog
      open={open}
      title={t("credit.applyTitle", { number: creditNote.number })}
      onClose={onClose}
      busy={busy}
      submitLabel={t("credit.applySubmit")}
      onSubmit={async () => {
        if (!chosen || badAmount) return;
        const ok = await run(
          () =>
            api.post(`/api/documents/${creditNote.id}/credit-applications`, {
              invoiceId: chosen.id,
              amount: typed === "" ? null : typed,
            }),
          t("credit.applied"),
        );
        if (ok) onDone();
      }}
    >
      <p className="muted">{t("credit.applyHint", { amount: f.money(credit, creditNote.currency) })}</p>
      {docs.error ? <ErrorBox error={docs.error} onRetry={docs.reload} /> : null}
      {!docs.data ? (
        docs.error ? null : (
          <Skeleton rows={2} />
        )
      ) : invoices.length === 0 ? (
        <Empty title={t("credit.noInvoice")} icon="file" />
      ) : (
        <div className="form-grid">
          <div className="full">
            <Field label={t("credit.invoice")} htmlFor="credit-invoice">
              <select id="credit-invoice" value={chosen?.id ?? ""} onChange={(e) => setInvoiceId(Number(e.target.value))}>
                {invoices.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.number} — {f.date(x.dueDate)} — {f.money(x.outstanding, x.currency)}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          <Field
            label={t("credit.amount")}
            htmlFor="credit-amount"
            error={badAmount ? t("customerEdit.badAmount") : undefined}
            hint={t("credit.amountHint", { amount: f.money(fits, creditNote.currency) })}
          >
            <input
              id="credit-amount"
              inputMode="decimal"
              value={amount}
              placeholder={f.money(fits, creditNote.currency)}
              onChange={(e) => setAmount(e.target.value)}
            />
          </Field>
        </div>
      )}
    </Dialog>
  );
}
