import { useRef, useState } from "react";
import { Link } from "wouter";
import { Icon } from "../components/Icon";
import { Badge, Card, Empty, ErrorBox, Pager, ProblemList, Segmented, Skeleton, usePager } from "../components/ui";
import { ApiError, api, type ListPage, type Problem } from "../lib/api";
import { useI18n } from "../lib/i18n";
import type { MsgKey } from "../lib/messages";
import { PAGE_ROUTES } from "../lib/pages";
import { useSession } from "../lib/session";
import { useApi } from "../lib/useApi";

type Kind = "customers" | "invoices" | "payments";
const FORMATS = ["auto", "csv", "xlsx", "fec", "facturx", "ubl", "cii", "camt", "cfonb", "mt940"] as const;

interface Counts {
  inserted: number;
  updated: number;
  skipped: number;
}
interface Summary extends Counts {
  file: string;
  format: string;
  kind: Kind;
  dryRun: boolean;
  errors: Problem[];
  warnings: string[];
  details: { records: number; customers: Counts; documents: Counts; payments: Counts; allocations: Counts; attachments: number };
  matching: { matched: number; unmatched: number } | null;
  batchId: number | null;
}
interface Batch extends Counts {
  id: number;
  kind: Kind;
  format: string;
  file: string;
  size: number | null;
  by: string | null;
  createdAt: string;
  warnings: string[] | null;
}

/** Guess what a file holds from its name: bank statements are payments, e-invoices are invoices. */
function guessKind(name: string): Kind | null {
  const n = name.toLowerCase();
  if (/camt|mt940|\.940$|\.sta$|cfonb|releve|relevé|statement|\.cfo$/.test(n)) return "payments";
  if (/\.(pdf|xml)$/.test(n) || /fec/.test(n)) return "invoices";
  if (/client|customer/.test(n)) return "customers";
  if (/paiement|payment|reglement|règlement|encaissement/.test(n)) return "payments";
  if (/facture|invoice/.test(n)) return "invoices";
  return null;
}

type Phase =
  | { step: "idle" }
  | { step: "uploading"; fraction: number; name: string }
  | { step: "processing"; name: string }
  | { step: "done"; summary: Summary }
  | { step: "failed"; name: string; error: ApiError };

export default function Imports() {
  const { t, f } = useI18n();
  const { can, has } = useSession();
  const [kind, setKind] = useState<Kind>("invoices");
  const [format, setFormat] = useState<(typeof FORMATS)[number]>("auto");
  const [dryRun, setDryRun] = useState(false);
  const [phase, setPhase] = useState<Phase>({ step: "idle" });
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const pager = usePager("history");
  const history = useApi<ListPage<Batch>>("/api/imports", { limit: 20, cursor: pager.cursor });
  const busy = phase.step === "uploading" || phase.step === "processing";
  const allowed = can("ledger:write");

  const [kindTouched, setKindTouched] = useState(false);
  const upload = async (file: File, useKind: Kind) => {
    const form = new FormData();
    form.append("kind", useKind);
    form.append("format", format);
    form.append("dryRun", String(dryRun));
    form.append("file", file, file.name);
    setPhase({ step: "uploading", fraction: 0, name: file.name });
    try {
      const summary = await api.upload<Summary>("/api/imports", form, (fraction) => {
        setPhase(fraction >= 1 ? { step: "processing", name: file.name } : { step: "uploading", fraction, name: file.name });
      });
      setPhase({ step: "done", summary });
      history.reload();
    } catch (e) {
      setPhase({ step: "failed", name: file.name, error: e instanceof ApiError ? e : new ApiError(0, String(e), "network") });
    }
  };
  const pick = (files: FileList | null) => {
    const file = files?.[0];
    if (!file || busy) return;
    // Until the user chooses the kind, it follows the file (a bank statement holds payments…).
    const useKind = kindTouched ? kind : (guessKind(file.name) ?? kind);
    setKind(useKind);
    void upload(file, useKind);
  };

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>{t("imports.title")}</h1>
          <p className="page-sub">{t("imports.subtitle")}</p>
        </div>
      </header>
      <div className="grid-main-side">
        <Card title={t("imports.new")}>
          <div className="stack">
            <div className="import-options">
              <div className="field">
                <span className="label">{t("imports.kind")}</span>
                <Segmented<Kind>
                  size="lg"
                  label={t("imports.kind")}
                  value={kind}
                  onChange={(k) => {
                    setKind(k);
                    setKindTouched(true);
                  }}
                  options={[
                    { value: "invoices", label: t("imports.kind.invoices") },
                    { value: "payments", label: t("imports.kind.payments") },
                    { value: "customers", label: t("imports.kind.customers") },
                  ]}
                />
              </div>
              <label className="field">
                <span className="label">{t("imports.format")}</span>
                <select value={format} onChange={(e) => setFormat(e.target.value as (typeof FORMATS)[number])}>
                  {FORMATS.map((x) => (
                    <option key={x} value={x}>
                      {t(`imports.format.${x}` as MsgKey)}
                    </option>
                  ))}
                </select>
              </label>
              <label className="check-row">
                <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />
                {t("imports.dryRun")}
              </label>
            </div>
            <label
              className={`dropzone${dragging ? " over" : ""}${busy ? " busy" : ""}${allowed ? "" : " disabled"}`}
              onDragOver={(e) => {
                e.preventDefault();
                setDragging(true);
              }}
              onDragLeave={() => setDragging(false)}
              onDrop={(e) => {
                e.preventDefault();
                setDragging(false);
                if (allowed) pick(e.dataTransfer.files);
              }}
            >
              <input
                ref={input}
                type="file"
                className="sr-only"
                disabled={busy || !allowed}
                onChange={(e) => {
                  pick(e.target.files);
                  e.target.value = "";
                }}
                data-testid="import-file"
              />
              <Icon name="upload" size={22} />
              <span className="dropzone-title">{allowed ? t("imports.drop") : t("imports.notAllowed")}</span>
              <span className="muted">{t("imports.formats")}</span>
            </label>
            {phase.step === "uploading" || phase.step === "processing" ? (
              <div className="progress-block" role="status" aria-live="polite">
                <div className="progress-label">
                  <span className="mono">{phase.name}</span>
                  <span className="muted">
                    {phase.step === "uploading"
                      ? t("imports.uploading", { pct: Math.round(phase.fraction * 100) })
                      : t("imports.processing")}
                  </span>
                </div>
                <div className={`progress${phase.step === "processing" ? " indeterminate" : ""}`}>
                  <div
                    className="progress-bar"
                    style={{ width: phase.step === "uploading" ? `${Math.round(phase.fraction * 100)}%` : "40%" }}
                  />
                </div>
              </div>
            ) : null}
            {phase.step === "failed" ? (
              <div className="alert alert-danger" role="alert" data-testid="import-errors">
                <Icon name="alert" />
                <div>
                  <p className="alert-title">{t("imports.failed", { file: phase.name })}</p>
                  <p>{phase.error.message}</p>
                  <ProblemList problems={phase.error.problems} />
                  <p className="muted small">{t("imports.nothingWritten")}</p>
                </div>
              </div>
            ) : null}
            {phase.step === "done" ? <Result summary={phase.summary} reconcile={has(PAGE_ROUTES.reconciliation)} /> : null}
          </div>
        </Card>
        <Card title={t("imports.help")}>
          <ul className="help-list">
            <li>{t("imports.help.csv")}</li>
            <li>{t("imports.help.fec")}</li>
            <li>{t("imports.help.einvoice")}</li>
            <li>{t("imports.help.bank")}</li>
            <li>{t("imports.help.safe")}</li>
          </ul>
        </Card>
      </div>
      <Card title={t("imports.history")} flush>
        <ErrorBox error={history.error} onRetry={history.reload} />
        {!history.data ? (
          history.error ? null : (
            <Skeleton rows={4} />
          )
        ) : history.data.items.length === 0 ? (
          <Empty title={t("imports.noHistory")} icon="upload" />
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>{t("common.date")}</th>
                <th>{t("imports.file")}</th>
                <th>{t("imports.kind")}</th>
                <th>{t("imports.format")}</th>
                <th className="num">{t("imports.inserted")}</th>
                <th className="num">{t("imports.updated")}</th>
                <th className="num">{t("imports.skipped")}</th>
                <th>{t("imports.by")}</th>
              </tr>
            </thead>
            <tbody>
              {history.data.items.map((b) => (
                <tr key={b.id}>
                  <td className="muted">{f.dateTime(b.createdAt)}</td>
                  <td className="mono">{b.file}</td>
                  <td>{t(`imports.kind.${b.kind}` as MsgKey)}</td>
                  <td>
                    <Badge>{b.format}</Badge>
                  </td>
                  <td className="num">{f.number(b.inserted)}</td>
                  <td className="num">{f.number(b.updated)}</td>
                  <td className="num muted">{f.number(b.skipped)}</td>
                  <td className="muted">{b.by ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager
          page={pager.page}
          hasNext={Boolean(history.data?.nextCursor)}
          onPrev={pager.prev}
          onNext={() => history.data?.nextCursor && pager.next(history.data.nextCursor)}
        />
      </Card>
    </div>
  );
}

function Result({ summary: s, reconcile }: { summary: Summary; reconcile: boolean }) {
  const { t, f } = useI18n();
  const rows: [MsgKey, Counts][] = [
    ["imports.kind.customers", s.details.customers],
    ["imports.kind.invoices", s.details.documents],
    ["imports.kind.payments", s.details.payments],
    ["imports.allocations", s.details.allocations],
  ];
  return (
    <div className="alert alert-success result" role="status" data-testid="import-result">
      <Icon name="check" />
      <div className="stack-sm">
        <p className="alert-title">{s.dryRun ? t("imports.checked", { file: s.file }) : t("imports.done", { file: s.file })}</p>
        <p>
          {t("imports.summary", {
            records: f.number(s.details.records),
            inserted: f.number(s.inserted),
            updated: f.number(s.updated),
            skipped: f.number(s.skipped),
          })}{" "}
          · <Badge>{s.format}</Badge>
        </p>
        <table className="table table-compact">
          <thead>
            <tr>
              <th />
              <th className="num">{t("imports.inserted")}</th>
              <th className="num">{t("imports.updated")}</th>
              <th className="num">{t("imports.skipped")}</th>
            </tr>
          </thead>
          <tbody>
            {rows
              .filter(([, c]) => c.inserted + c.updated + c.skipped > 0)
              .map(([k, c]) => (
                <tr key={k}>
                  <td>{t(k)}</td>
                  <td className="num">{f.number(c.inserted)}</td>
                  <td className="num">{f.number(c.updated)}</td>
                  <td className="num">{f.number(c.skipped)}</td>
                </tr>
              ))}
          </tbody>
        </table>
        {s.matching ? (
          <p>
            {t("imports.matching", { matched: s.matching.matched, unmatched: s.matching.unmatched })}{" "}
            {s.matching.unmatched > 0 && reconcile ? <Link href="/reconciliation">{t("imports.toReconcile")}</Link> : null}
          </p>
        ) : null}
        {s.warnings.length ? (
          <ul className="warnings">
            {s.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
