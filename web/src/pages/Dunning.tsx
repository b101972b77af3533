import { useState } from "react";
import { Badge, Button, Dialog, Tabs, useAction } from "../components/ui";
import { api } from "../lib/api";
import { useI18n } from "../lib/i18n";
import { useSession } from "../lib/session";
import { useUrlState } from "../lib/url";
import { useApi } from "../lib/useApi";
import { Approvals } from "./dunning/Approvals";
import { Messages } from "./dunning/Messages";
import { Policies } from "./dunning/Policies";
import { PromisesList, TasksList } from "./dunning/Work";

type Tab = "approvals" | "messages" | "policies" | "tasks" | "promises";

interface RunResult {
  asOf: string;
  planned: number;
  sent: number;
  failed: number;
  skipped: { dispute: number; promise: number; hold: number; minimum: number };
  messages: { customer: string; customerName: string; step: string; channel: string; status: string; documents: string[]; total: string }[];
}

export default function Dunning() {
  const { t } = useI18n();
  const { has, can } = useSession();
  const [params, setParams] = useUrlState<"tab">();
  const tab = (params.tab as Tab) ?? "approvals";
  const approvals = useApi<{ items: unknown[] }>("/api/dunning/approvals");
  const [run, setRun] = useState<RunResult | null>(null);
  const { busy, run: act } = useAction();
  const tabs: { value: Tab; label: string; count?: number }[] = [
    { value: "approvals", label: t("dun.tab.approvals"), count: approvals.data?.items.length },
    { value: "messages", label: t("dun.tab.messages") },
    { value: "policies", label: t("dun.tab.policies") },
    ...(has("GET /api/tasks") ? [{ value: "tasks" as const, label: t("dun.tab.tasks") }] : []),
    ...(has("GET /api/promises") ? [{ value: "promises" as const, label: t("dun.tab.promises") }] : []),
  ];
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>{t("dun.title")}</h1>
          <p className="page-sub">{t("dun.subtitle")}</p>
        </div>
        {has("POST /api/dunning/run") ? (
          <div className="page-actions">
            <Button
              icon="calendar"
              busy={busy}
              onClick={() => void act(() => api.post<RunResult>("/api/dunning/run", { dryRun: true })).then((r) => r && setRun(r))}
            >
              {t("dun.dryRun")}
            </Button>
          </div>
        ) : null}
      </header>
      <Tabs value={tab} onChange={(v) => setParams({ tab: v === "approvals" ? null : v })} tabs={tabs} />
      {tab === "approvals" ? <Approvals onChange={approvals.reload} /> : null}
      {tab === "messages" ? <Messages /> : null}
      {tab === "policies" ? <Policies /> : null}
      {tab === "tasks" ? <TasksList /> : null}
      {tab === "promises" ? <PromisesList /> : null}
      <RunDialog
        result={run}
        canSend={can("collect:write")}
        onClose={() => setRun(null)}
        onSent={() => {
          setRun(null);
          approvals.reload();
        }}
      />
    </div>
  );
}

/** What the engine would send today (dry run), and the button that sends it. */
function RunDialog({ result, canSend, onClose, onSent }: { result: RunResult | null; canSend: boolean; onClose(): void; onSent(): void }) {
  const { t, f, tOr } = useI18n();
  const { busy, run } = useAction();
  return (
    <Dialog
      open={result !== null}
      wide
      title={t("dun.runTitle", { date: f.date(result?.asOf) })}
      onClose={onClose}
      busy={busy}
      submitLabel={t("dun.runSend", { n: result?.planned ?? 0 })}
      onSubmit={
        canSend && result && result.planned > 0
          ? async () => {
              const r = await run(() => api.post<RunResult>("/api/dunning/run", {}));
              if (r) {
                onSent();
              }
            }
          : undefined
      }
    >
      {result ? (
        <>
          <p>
            {t("dun.runSummary", { n: result.planned })}{" "}
            <span className="muted">
              {t("dun.runSkipped", {
                dispute: result.skipped.dispute,
                promise: result.skipped.promise,
                hold: result.skipped.hold,
                minimum: result.skipped.minimum,
              })}
            </span>
          </p>
          {result.messages.length ? (
            <div className="table-wrap scroll-y">
              <table className="table table-compact">
                <thead>
                  <tr>
                    <th>{t("common.customer")}</th>
                    <th>{t("dun.step")}</th>
                    <th>{t("dun.channel")}</th>
                    <th>{t("dun.documents")}</th>
                    <th className="num">{t("common.amount")}</th>
                  </tr>
                </thead>
                <tbody>
                  {result.messages.map((m) => (
                    <tr key={`${m.customer}-${m.step}`}>
                      <td className="ellipsis">{m.customerName}</td>
                      <td>{m.step}</td>
                      <td>
                        <Badge>{tOr(`channel.${m.channel}`, m.channel)}</Badge>
                      </td>
                      <td className="muted wrap">{m.documents.join(", ")}</td>
                      <td className="num">{f.money(m.total)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="muted">{t("dun.runNothing")}</p>
          )}
        </>
      ) : null}
    </Dialog>
  );
}
