import { useState } from "react";
import { Link } from "wouter";
import { Badge, Button, Card, Dialog, Empty, ErrorBox, Field, Pager, Skeleton, useAction, usePager } from "../components/ui";
import { planAllocation, type SuggestedDoc } from "../lib/allocation";
import { api, type ListPage } from "../lib/api";
import { compareMoney, isPositive, minMoney } from "../lib/decimal";
import { useI18n } from "../lib/i18n";
import { useSession } from "../lib/session";
import type { DocumentItem } from "../lib/types";
import { useApi, useDebounced } from "../lib/useApi";

interface Reason {
  code: string;
  message: string;
}
interface Suggestion {
  score: number;
  amount: string;
  customer: { id: number; ref: string; name: string } | null;
  documents: SuggestedDoc[];
  reasons: Reason[];
}
interface Unmatched {
  id: number;
  date: string;
  amount: string;
  unallocated: string;
  currency: string;
  reference: string | null;
  structuredReference: string | null;
  payerName: string | null;
  payerIban: string | null;
  bankTxId: string | null;
  source: string;
  customer: { id: number; ref: string; name: string } | null;
  reasons: Reason[];
  suggestions: Suggestion[];
}

export default function Reconciliation() {
  const { t, f, tOr } = useI18n();
  const { can } = useSession();
  const pager = usePager("unmatched");
  const { data, error, reload, loading } = useApi<ListPage<Unmatched>>("/api/payments/unmatched", { limit: 25, cursor: pager.cursor });
  const { busy, run } = useAction();
  const [manual, setManual] = useState<Unmatched | null>(null);
  const canAllocate = can("ledger:write");

  const allocate = async (p: Unmatched, docs: SuggestedDoc[]) => {
    const allocations = planAllocation(p.unallocated, docs);
    if (!allocations.length) return;
    const ok = await run(
      () => api.post(`/api/payments/${p.id}/allocations`, { allocations }),
      t("recon.allocated", { n: docs.map((d) => d.number).join(", ") }),
    );
    if (ok) reload();
  };

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>{t("recon.title")}</h1>
          <p className="page-sub">{t("recon.subtitle")}</p>
        </div>
      </header>
      <ErrorBox error={error} onRetry={reload} />
      {!data ? (
        error ? null : (
          <Card>
            <Skeleton rows={6} />
          </Card>
        )
      ) : data.items.length === 0 ? (
        <Card>
          <Empty title={t("recon.none")} hint={t("recon.noneHint")} />
        </Card>
      ) : (
        <div className={`stack${loading ? " stale" : ""}`}>
          {data.items.map((p) => (
            <Card key={p.id} className="recon-card">
              <div className="recon">
                <div className="recon-payment">
                  <div className="recon-amount">
                    {f.money(p.unallocated, p.currency)}
                    {compareMoney(p.unallocated, p.amount) !== 0 ? (
                      <span className="muted small"> / {f.money(p.amount, p.currency)}</span>
                    ) : null}
                  </div>
                  <div className="muted">
                    {f.date(p.date)} · {p.payerName ?? t("recon.unknownPayer")}
                  </div>
                  {p.reference ? <div className="recon-ref mono">{p.reference}</div> : null}
                  {p.structuredReference ? <div className="mono muted small">RF {p.structuredReference}</div> : null}
                  {p.payerIban ? <div className="mono muted small">{p.payerIban}</div> : null}
                  {p.customer ? (
                    <div>
                      <Link href={`/customers/${p.customer.id}`}>{p.customer.name}</Link>
                    </div>
                  ) : null}
                  <div className="badges">
                    {p.reasons.map((r) => (
                      <Badge key={r.code + r.message} title={r.message}>
                        {tOr(`reason.${r.code}`, r.code)}
                      </Badge>
                    ))}
                  </div>
                </div>
                <div className="recon-suggestions">
                  {p.suggestions.length === 0 ? (
                    <p className="muted">{t("recon.noSuggestion")}</p>
                  ) : (
                    p.suggestions.slice(0, 4).map((s, i) => (
                      <div key={`${s.score}-${s.documents.map((d) => d.id).join("-")}`} className="suggestion">
                        <div className="suggestion-main">
                          <div>
                            <span
                              className={`score score-${s.score >= 80 ? "high" : s.score >= 60 ? "mid" : "low"}`}
                              title={t("recon.score")}
                            >
                              {s.score}
                            </span>
                            {s.customer ? (
                              <Link href={`/customers/${s.customer.id}`} className="subtle-link">
                                {s.customer.name}
                              </Link>
                            ) : null}
                          </div>
                          <div className="suggestion-docs">
                            {s.documents.map((d) => (
                              <Link key={d.id} href={`/invoices/${d.id}`} className="doc-pill">
                                <span className="mono">{d.number}</span> {f.money(d.outstanding, p.currency)} · {f.shortDate(d.dueDate)}
                              </Link>
                            ))}
                          </div>
                          <div className="muted small">{s.reasons.map((r) => tOr(`reason.${r.code}`, r.message)).join(" · ")}</div>
                        </div>
                        {canAllocate ? (
                          <Button
                            size="sm"
                            variant={i === 0 ? "primary" : "secondary"}
                            icon="check"
                            busy={busy}
                            onClick={() => void allocate(p, s.documents)}
                            data-testid="allocate"
                          >
                            {compareMoney(s.amount, p.unallocated) > 0
                              ? t("recon.allocatePartial", { amount: f.money(minMoney(s.amount, p.unallocated), p.currency) })
                              : t("recon.allocate")}
                          </Button>
                        ) : null}
                      </div>
                    ))
                  )}
                  {canAllocate ? (
                    <Button size="sm" variant="ghost" icon="search" onClick={() => setManual(p)}>
                      {t("recon.other")}
                    </Button>
                  ) : null}
                </div>
              </div>
            </Card>
          ))}
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
      <ManualDialog
        payment={manual}
        onClose={() => setManual(null)}
        onDone={() => {
          setManual(null);
          reload();
        }}
      />
    </div>
  );
}

/** Allocate to an invoice found by number or customer, when no suggestion is right. */
function ManualDialog({ payment, onClose, onDone }: { payment: Unmatched | null; onClose(): void; onDone(): void }) {
  const { t, f } = useI18n();
  const [q, setQ] = useState("");
  const dq = useDebounced(q.trim(), 200);
  const [chosen, setChosen] = useState<DocumentItem | null>(null);
  const [amount, setAmount] = useState("");
  const { busy, run } = useAction();
  const docs = useApi<ListPage<DocumentItem>>(payment ? "/api/documents" : null, {
    status: "open",
    q: dq || undefined,
    customerId: !dq ? payment?.customer?.id : undefined,
    limit: 8,
  });
  const valid = chosen && /^\d+([.,]\d{1,2})?$/.test(amount.trim()) && isPositive(amount.trim().replace(",", "."));
  return (
    <Dialog
      open={payment !== null}
      title={t("recon.otherTitle")}
      onClose={onClose}
      busy={busy}
      submitLabel={t("recon.allocate")}
      wide
      onSubmit={async () => {
        if (!payment || !chosen || !valid) return;
        const ok = await run(
          () =>
            api.post(`/api/payments/${payment.id}/allocations`, {
              allocations: [{ documentId: chosen.id, amount: amount.trim().replace(",", ".") }],
            }),
          t("recon.allocated", { n: chosen.number }),
        );
        if (ok) {
          setChosen(null);
          setQ("");
          onDone();
        }
      }}
    >
      {payment ? (
        <p>
          {t("recon.paymentOf", { amount: f.money(payment.unallocated, payment.currency), date: f.date(payment.date) })} —{" "}
          {payment.payerName ?? t("recon.unknownPayer")}
        </p>
      ) : null}
      <Field label={t("recon.findInvoice")} htmlFor="recon-q">
        <input id="recon-q" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t("invoices.search")} />
      </Field>
      <div className="pick-list" role="listbox" aria-label={t("recon.findInvoice")}>
        {docs.data?.items.map((d) => (
          <button
            type="button"
            role="option"
            aria-selected={chosen?.id === d.id}
            key={d.id}
            className={`pick${chosen?.id === d.id ? " on" : ""}`}
            onClick={() => {
              setChosen(d);
              if (payment) setAmount(minMoney(d.outstanding, payment.unallocated));
            }}
          >
            <span className="mono">{d.number}</span>
            <span>{d.customer.name}</span>
            <span className="muted">{f.date(d.dueDate)}</span>
            <span className="num">{f.money(d.outstanding, d.currency)}</span>
          </button>
        ))}
        {docs.data && docs.data.items.length === 0 ? <p className="muted">{t("invoices.none")}</p> : null}
      </div>
      {chosen ? (
        <Field label={t("recon.amountFor", { n: chosen.number })} htmlFor="recon-amount" error={valid ? undefined : t("recon.badAmount")}>
          <input id="recon-amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </Field>
      ) : null}
    </Dialog>
  );
}
