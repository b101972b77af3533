import { useEffect, useMemo, useRef, useState } from "react";
import { Icon } from "../../components/Icon";
import { Badge, Button, Card, Empty, ErrorBox, Field, ProblemList, Segmented, Skeleton, useAction } from "../../components/ui";
import { ApiError, api, type ListPage, type Problem } from "../../lib/api";
import { isDecimal } from "../../lib/decimal";
import { useI18n } from "../../lib/i18n";
import type { Lang, MsgKey } from "../../lib/messages";
import { useSession } from "../../lib/session";
import type { CustomerListItem } from "../../lib/types";
import { useApi, useDebounced } from "../../lib/useApi";

type Channel = "email" | "letter" | "call" | "webhook";
interface Template {
  subject: string;
  body: string;
}
interface Step {
  id?: number;
  key: string;
  name: string;
  offsetDays: number | string;
  channel: Channel;
  templates: { fr?: Template; en?: Template };
  attachStatement: boolean;
  attachLetter: boolean;
  includePenalties: boolean;
  requireApproval: boolean;
  minOutstanding: string | null;
}
interface Policy {
  id: number;
  name: string;
  description: string;
  shippedKey: string | null;
  isDefault: boolean;
  minOutstanding: string;
  steps: (Omit<Step, "key" | "minOutstanding"> & { id: number; minOutstanding: string | null })[];
}
interface Draft {
  id: number | null;
  name: string;
  description: string;
  isDefault: boolean;
  minOutstanding: string;
  steps: Step[];
}
interface Preview {
  language: string;
  channel: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  documents: { id: number; number: string; dueDate: string; outstanding: string; daysLate: number; interest: string; indemnity: string }[];
  totals: { outstanding: string; interest: string; indemnities: string; grandTotal: string };
  paymentLink: string | null;
  attachments: { filename: string; size: number }[];
  warnings: string[];
}

const CHANNELS: Channel[] = ["email", "letter", "call", "webhook"];
/** Variables of the Liquid templates (see src/dunning/context.ts). */
const VARIABLES = [
  "{{ contact.salutation }}",
  "{{ customer.name }}",
  "{{ invoice_table }}",
  "{{ totals.outstanding }}",
  "{{ totals.count }}",
  "{{ totals.interest }}",
  "{{ totals.grand_total }}",
  "{{ invoices.first.number }}",
  "{{ payment_instructions }}",
  "{{ payment_link }}",
  "{{ penalties.note }}",
  "{{ company.name }}",
  "{{ sender.signature }}",
];

let seq = 0;
const newKey = () => `s${++seq}`;

function toDraft(p: Policy): Draft {
  return {
    id: p.id,
    name: p.name,
    description: p.description ?? "",
    isDefault: p.isDefault,
    minOutstanding: p.minOutstanding,
    steps: p.steps.map((s) => ({ ...s, key: newKey(), templates: { ...s.templates } })),
  };
}

function emptyStep(lang: Lang, offset: number): Step {
  return {
    key: newKey(),
    name: lang === "fr" ? "Nouvelle étape" : "New step",
    offsetDays: offset,
    channel: "email",
    templates: {
      fr: {
        subject: "Relance — {{ company.name }}",
        body: "{{ contact.salutation }}\n\n{{ invoice_table }}\n\n{{ payment_instructions }}",
      },
    },
    attachStatement: false,
    attachLetter: false,
    includePenalties: false,
    requireApproval: false,
    minOutstanding: null,
  };
}

/** Checks the draft before it goes to the server (which validates again, templates included). */
export function validateDraft(d: Draft): Problem[] {
  const problems: Problem[] = [];
  if (!d.name.trim()) problems.push({ field: "name", message: "required" });
  if (d.minOutstanding && !isDecimal(d.minOutstanding)) problems.push({ field: "minOutstanding", message: "amount" });
  if (d.steps.length === 0) problems.push({ field: "steps", message: "at least one step" });
  const seen = new Map<string, number>();
  d.steps.forEach((s, i) => {
    const off = Number(s.offsetDays);
    if (!s.name.trim()) problems.push({ field: `steps.${i}.name`, message: "required" });
    if (String(s.offsetDays).trim() === "" || !Number.isInteger(off) || off < -365 || off > 3650)
      problems.push({ field: `steps.${i}.offsetDays`, message: "offset" });
    else if (seen.has(`${off}:${s.channel}`)) problems.push({ field: `steps.${i}.offsetDays`, message: "duplicate" });
    else seen.set(`${off}:${s.channel}`, i);
    if (!s.templates.fr && !s.templates.en) problems.push({ field: `steps.${i}.templates`, message: "template" });
    for (const lang of ["fr", "en"] as const) {
      const tpl = s.templates[lang];
      if (tpl && !tpl.subject.trim()) problems.push({ field: `steps.${i}.templates.${lang}.subject`, message: "required" });
      if (tpl && !tpl.body.trim()) problems.push({ field: `steps.${i}.templates.${lang}.body`, message: "required" });
    }
    if (s.attachLetter && s.channel !== "email") problems.push({ field: `steps.${i}.attachLetter`, message: "letterEmail" });
    if (s.minOutstanding && !isDecimal(s.minOutstanding)) problems.push({ field: `steps.${i}.minOutstanding`, message: "amount" });
  });
  return problems;
}

const offsetLabel = (n: number | string, lang: Lang) => {
  const v = Number(n);
  if (!Number.isFinite(v)) return "";
  const d = lang === "fr" ? "J" : "D";
  return v === 0 ? d : `${d}${v > 0 ? "+" : "−"}${Math.abs(v)}`;
};

export function Policies() {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { data, error, reload } = useApi<ListPage<Policy>>("/api/dunning/policies");
  const [selected, setSelected] = useState<number | "new" | null>(null);
  const policies = data?.items ?? [];
  useEffect(() => {
    if (selected === null && policies[0]) setSelected(policies.find((p) => p.isDefault)?.id ?? policies[0].id);
  }, [policies, selected]);
  if (error) return <ErrorBox error={error} onRetry={reload} />;
  if (!data)
    return (
      <Card>
        <Skeleton rows={8} />
      </Card>
    );
  const current = policies.find((p) => p.id === selected);
  const base = current ?? policies.find((p) => p.isDefault);
  return (
    <div className="policies">
      <nav className="policy-list" aria-label={t("dun.tab.policies")}>
        {policies.map((p) => (
          <button
            key={p.id}
            type="button"
            className={`policy-item${selected === p.id ? " on" : ""}`}
            onClick={() => setSelected(p.id)}
            aria-current={selected === p.id || undefined}
          >
            <span className="policy-name">
              {p.name} {p.isDefault ? <Badge tone="accent">{t("dun.default")}</Badge> : null}
            </span>
            <span className="muted small">
              {t("dun.stepsCount", { n: p.steps.length })} · {p.steps.map((s) => offsetLabel(s.offsetDays, lang)).join(" ")}
            </span>
          </button>
        ))}
        {can("collect:write") ? (
          <Button size="sm" variant="ghost" icon="plus" onClick={() => setSelected("new")}>
            {t("dun.newPolicy")}
          </Button>
        ) : null}
      </nav>
      {selected === "new" ? (
        <PolicyEditor
          key="new"
          initial={{
            id: null,
            name: t("dun.newPolicyName"),
            description: "",
            isDefault: false,
            minOutstanding: base?.minOutstanding ?? "0.00",
            steps: base ? toDraft(base).steps.map((s) => ({ ...s, id: undefined })) : [emptyStep(lang, 1)],
          }}
          onSaved={(p) => {
            reload();
            setSelected(p.id);
          }}
          onDeleted={() => undefined}
        />
      ) : current ? (
        <PolicyEditor
          key={current.id}
          initial={toDraft(current)}
          shipped={Boolean(current.shippedKey)}
          onSaved={() => reload()}
          onDeleted={() => {
            setSelected(null);
            reload();
          }}
        />
      ) : (
        <Card>
          <Empty title={t("dun.noPolicy")} />
        </Card>
      )}
    </div>
  );
}

function PolicyEditor({
  initial,
  shipped,
  onSaved,
  onDeleted,
}: {
  initial: Draft;
  shipped?: boolean;
  onSaved(p: Policy): void;
  onDeleted(): void;
}) {
  const { t, lang, f } = useI18n();
  const { can } = useSession();
  const [draft, setDraft] = useState<Draft>(initial);
  const [saved, setSaved] = useState<Draft>(initial);
  const [selectedStep, setSelectedStep] = useState<string | null>(initial.steps[0]?.key ?? null);
  const [serverProblems, setServerProblems] = useState<Problem[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const { busy, run } = useAction();
  const readOnly = !can("collect:write");
  const dirty = JSON.stringify(stripKeys(draft)) !== JSON.stringify(stripKeys(saved));
  const problems = useMemo(() => [...(submitted ? validateDraft(draft) : []), ...serverProblems], [draft, submitted, serverProblems]);
  const errorOf = (field: string) => {
    const p = problems.find((x) => x.field === field);
    return p ? tOrErr(t, p.message) : undefined;
  };
  const setStep = (key: string, patch: Partial<Step>) =>
    setDraft((d) => ({ ...d, steps: d.steps.map((s) => (s.key === key ? { ...s, ...patch } : s)) }));
  const step = draft.steps.find((s) => s.key === selectedStep) ?? null;
  const stepIndex = step ? draft.steps.indexOf(step) : -1;

  const save = async (): Promise<boolean> => {
    setSubmitted(true);
    setServerProblems([]);
    if (validateDraft(draft).length) return false;
    // Steps are stored in the order of their offsets.
    const ordered = [...draft.steps].sort((a, b) => Number(a.offsetDays) - Number(b.offsetDays));
    const body = {
      name: draft.name.trim(),
      description: draft.description,
      isDefault: draft.isDefault || undefined,
      minOutstanding: draft.minOutstanding || "0",
      steps: ordered.map((s) => ({
        ...(s.id ? { id: s.id } : {}),
        name: s.name.trim(),
        offsetDays: Number(s.offsetDays),
        channel: s.channel,
        templates: s.templates,
        attachStatement: s.attachStatement,
        attachLetter: s.channel === "email" && s.attachLetter,
        includePenalties: s.includePenalties,
        requireApproval: s.requireApproval,
        minOutstanding: s.minOutstanding || null,
      })),
    };
    const p = await run(async () => {
      try {
        return draft.id
          ? await api.patch<Policy>(`/api/dunning/policies/${draft.id}`, body)
          : await api.post<Policy>("/api/dunning/policies", body);
      } catch (e) {
        if (e instanceof ApiError) {
          // The server's step indexes follow the order sent: map them back to the draft's order.
          setServerProblems(
            e.problems.map((x) => {
              const m = /^steps\.(\d+)(\..*)?$/.exec(x.field ?? "");
              const s = m ? ordered[Number(m[1])] : undefined;
              return s ? { ...x, field: `steps.${draft.steps.indexOf(s)}${m?.[2] ?? ""}` } : x;
            }),
          );
        }
        throw e;
      }
    }, t("dun.saved"));
    if (!p) return false;
    const next = toDraft(p);
    const keyOfSelected = step
      ? next.steps.find((s) => s.id === step.id || (s.offsetDays === Number(step.offsetDays) && s.name === step.name.trim()))?.key
      : null;
    setDraft(next);
    setSaved(next);
    setSelectedStep(keyOfSelected ?? next.steps[0]?.key ?? null);
    setSubmitted(false);
    onSaved(p);
    return true;
  };

  return (
    <div className="stack" data-testid="policy-editor">
      <Card
        title={draft.id ? draft.name || t("dun.policy") : t("dun.newPolicy")}
        subtitle={shipped ? t("dun.shipped") : undefined}
        actions={
          readOnly ? null : (
            <>
              {draft.id && !draft.isDefault && !shipped ? (
                <Button
                  size="sm"
                  variant="ghost"
                  onClick={() =>
                    void run(() => api.del(`/api/dunning/policies/${draft.id}`), t("dun.deleted")).then(
                      (ok) => ok !== undefined && onDeleted(),
                    )
                  }
                >
                  {t("common.delete")}
                </Button>
              ) : null}
              {dirty ? (
                <Button
                  size="sm"
                  variant="ghost"
                  onClick={() => {
                    setDraft(saved);
                    setServerProblems([]);
                    setSubmitted(false);
                  }}
                >
                  {t("common.cancel")}
                </Button>
              ) : null}
              <Button size="sm" variant="primary" busy={busy} disabled={!dirty && Boolean(draft.id)} onClick={() => void save()}>
                {t("common.save")}
              </Button>
            </>
          )
        }
      >
        {problems.length && serverProblems.length ? (
          <ProblemList problems={serverProblems.filter((p) => !p.field?.startsWith("steps."))} />
        ) : null}
        <div className="form-grid">
          <Field label={t("dun.policyName")} htmlFor="pol-name" error={errorOf("name")}>
            <input id="pol-name" disabled={readOnly} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
          </Field>
          <Field label={t("dun.minOutstanding")} htmlFor="pol-min" hint={t("dun.minOutstandingHint")} error={errorOf("minOutstanding")}>
            <input
              id="pol-min"
              inputMode="decimal"
              disabled={readOnly}
              value={draft.minOutstanding}
              onChange={(e) => setDraft({ ...draft, minOutstanding: e.target.value })}
            />
          </Field>
          <div className="full">
            <Field label={t("dun.description")} htmlFor="pol-desc">
              <input
                id="pol-desc"
                disabled={readOnly}
                value={draft.description}
                onChange={(e) => setDraft({ ...draft, description: e.target.value })}
              />
            </Field>
          </div>
          <label className="check-row full">
            <input
              type="checkbox"
              disabled={readOnly || saved.isDefault}
              checked={draft.isDefault}
              onChange={(e) => setDraft({ ...draft, isDefault: e.target.checked })}
            />
            {t("dun.isDefault")}
          </label>
        </div>
      </Card>

      <Card
        title={t("dun.steps")}
        subtitle={t("dun.stepsHint")}
        actions={
          readOnly ? null : (
            <Button
              size="sm"
              icon="plus"
              onClick={() => {
                const last = Math.max(0, ...draft.steps.map((s) => Number(s.offsetDays) || 0));
                const s = emptyStep(lang, last + 7);
                setDraft({ ...draft, steps: [...draft.steps, s] });
                setSelectedStep(s.key);
              }}
            >
              {t("dun.addStep")}
            </Button>
          )
        }
        flush
      >
        <div className="table-wrap">
          <table className="table steps-table">
            <thead>
              <tr>
                <th>{t("dun.offset")}</th>
                <th>{t("dun.stepName")}</th>
                <th>{t("dun.channel")}</th>
                <th>{t("dun.options")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {draft.steps.map((s, i) => (
                <tr key={s.key} className={s.key === selectedStep ? "selected" : undefined} onFocus={() => setSelectedStep(s.key)}>
                  <td>
                    <div className={`offset-input${errorOf(`steps.${i}.offsetDays`) ? " has-error" : ""}`}>
                      <span className="muted small">{offsetLabel(s.offsetDays, lang)}</span>
                      <input
                        type="number"
                        aria-label={t("dun.offsetOf", { name: s.name })}
                        disabled={readOnly}
                        value={s.offsetDays}
                        onChange={(e) => setStep(s.key, { offsetDays: e.target.value })}
                        title={errorOf(`steps.${i}.offsetDays`)}
                      />
                    </div>
                    {errorOf(`steps.${i}.offsetDays`) ? <span className="field-error">{errorOf(`steps.${i}.offsetDays`)}</span> : null}
                  </td>
                  <td>
                    <input
                      aria-label={t("dun.stepName")}
                      className={errorOf(`steps.${i}.name`) ? "invalid" : undefined}
                      disabled={readOnly}
                      value={s.name}
                      onChange={(e) => setStep(s.key, { name: e.target.value })}
                    />
                  </td>
                  <td>
                    <select
                      aria-label={t("dun.channel")}
                      disabled={readOnly}
                      value={s.channel}
                      onChange={(e) =>
                        setStep(s.key, { channel: e.target.value as Channel, attachLetter: e.target.value === "email" && s.attachLetter })
                      }
                    >
                      {CHANNELS.map((c) => (
                        <option key={c} value={c}>
                          {t(`channel.${c}` as MsgKey)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="options-summary">
                    {s.attachStatement ? <Badge>{t("dun.opt.statement")}</Badge> : null}
                    {s.attachLetter && s.channel === "email" ? <Badge>{t("dun.opt.letter")}</Badge> : null}
                    {s.includePenalties ? <Badge tone="warning">{t("dun.opt.penalties")}</Badge> : null}
                    {s.requireApproval ? <Badge tone="accent">{t("dun.opt.approval")}</Badge> : null}
                    {s.minOutstanding ? <Badge>≥ {f.money(s.minOutstanding.replace(",", "."))}</Badge> : null}
                  </td>
                  <td className="num">
                    <span className="row-actions">
                      <Button
                        size="sm"
                        variant={s.key === selectedStep ? "primary" : "ghost"}
                        onClick={() => setSelectedStep(s.key)}
                        aria-label={t("dun.editTemplates", { name: s.name })}
                      >
                        {t("dun.templates")}
                        {errorOf(`steps.${i}.templates`) || problems.some((p) => p.field?.startsWith(`steps.${i}.templates.`)) ? (
                          <Icon name="alert" size={14} />
                        ) : null}
                      </Button>
                      {readOnly ? null : (
                        <button
                          type="button"
                          className="icon-btn"
                          aria-label={t("dun.removeStep", { name: s.name })}
                          onClick={() => {
                            setDraft({ ...draft, steps: draft.steps.filter((x) => x.key !== s.key) });
                            if (selectedStep === s.key) setSelectedStep(draft.steps.find((x) => x.key !== s.key)?.key ?? null);
                          }}
                        >
                          <Icon name="close" size={14} />
                        </button>
                      )}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {errorOf("steps") ? <p className="field-error pad">{errorOf("steps")}</p> : null}
      </Card>

      {step ? (
        <TemplateEditor
          key={step.key}
          step={step}
          index={stepIndex}
          readOnly={readOnly}
          errorOf={errorOf}
          onChange={(templates) => setStep(step.key, { templates })}
          onStep={(patch) => setStep(step.key, patch)}
          dirty={dirty}
          onSave={save}
          savedStepId={saved.steps.find((s) => s.key === step.key)?.id ?? step.id}
          money={f.money}
        />
      ) : null}
    </div>
  );
}

function tOrErr(t: (k: MsgKey) => string, message: string): string {
  const known = ["required", "offset", "duplicate", "template", "letterEmail", "amount", "at least one step"];
  if (known.includes(message)) return t(`dun.err.${message === "at least one step" ? "steps" : message}` as MsgKey);
  return message;
}

function stripKeys(d: Draft) {
  return { ...d, steps: d.steps.map(({ key: _, ...s }) => ({ ...s, offsetDays: Number(s.offsetDays) })) };
}

/** Subject and body per language, variables to insert, and the step rendered for a real customer. */
function TemplateEditor({
  step,
  index,
  readOnly,
  errorOf,
  onChange,
  onStep,
  dirty,
  onSave,
  savedStepId,
  money,
}: {
  step: Step;
  index: number;
  readOnly: boolean;
  errorOf(field: string): string | undefined;
  onChange(templates: Step["templates"]): void;
  onStep(patch: Partial<Step>): void;
  dirty: boolean;
  onSave(): Promise<boolean>;
  savedStepId: number | undefined;
  money(v: string | null | undefined): string;
}) {
  const { t, lang: uiLang } = useI18n();
  const [lang, setLang] = useState<Lang>(step.templates[uiLang] ? uiLang : step.templates.fr ? "fr" : "en");
  const body = useRef<HTMLTextAreaElement>(null);
  const tpl = step.templates[lang];
  const set = (patch: Partial<Template>) =>
    onChange({ ...step.templates, [lang]: { subject: tpl?.subject ?? "", body: tpl?.body ?? "", ...patch } });
  const insert = (v: string) => {
    const el = body.current;
    if (!el || !tpl) return;
    const start = el.selectionStart ?? tpl.body.length;
    const end = el.selectionEnd ?? start;
    set({ body: tpl.body.slice(0, start) + v + tpl.body.slice(end) });
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(start + v.length, start + v.length);
    });
  };
  return (
    <div className="template-grid">
      <Card
        title={t("dun.templateOf", { name: step.name })}
        actions={
          <Segmented<Lang>
            label={t("nav.language")}
            value={lang}
            onChange={setLang}
            options={[
              { value: "fr", label: "FR" },
              { value: "en", label: "EN" },
            ]}
          />
        }
      >
        <div className="step-options">
          {(
            [
              ["attachStatement", "dun.opt.statement"],
              ["attachLetter", "dun.opt.letter"],
              ["includePenalties", "dun.opt.penalties"],
              ["requireApproval", "dun.opt.approval"],
            ] as const
          ).map(([k, label]) => (
            <label
              key={k}
              className="check-row"
              title={k === "attachLetter" && step.channel !== "email" ? t("dun.err.letterEmail") : undefined}
            >
              <input
                type="checkbox"
                disabled={readOnly || (k === "attachLetter" && step.channel !== "email")}
                checked={step[k]}
                onChange={(e) => onStep({ [k]: e.target.checked })}
              />
              {t(label)}
            </label>
          ))}
          <label className="check-row">
            {t("dun.stepMin")}
            <input
              aria-label={t("dun.stepMin")}
              className={`input-amount input-sm${errorOf(`steps.${index}.minOutstanding`) ? " invalid" : ""}`}
              inputMode="decimal"
              placeholder="—"
              disabled={readOnly}
              value={step.minOutstanding ?? ""}
              onChange={(e) => onStep({ minOutstanding: e.target.value || null })}
            />
          </label>
        </div>
        {tpl ? (
          <div className="stack-sm">
            <Field label={t("dun.subject")} htmlFor={`tpl-subject-${index}`} error={errorOf(`steps.${index}.templates.${lang}.subject`)}>
              <input
                id={`tpl-subject-${index}`}
                disabled={readOnly}
                value={tpl.subject}
                onChange={(e) => set({ subject: e.target.value })}
              />
            </Field>
            <Field label={t("dun.body")} htmlFor={`tpl-body-${index}`} error={errorOf(`steps.${index}.templates.${lang}.body`)}>
              <textarea
                id={`tpl-body-${index}`}
                ref={body}
                className="mono template-body"
                disabled={readOnly}
                value={tpl.body}
                onChange={(e) => set({ body: e.target.value })}
                rows={16}
              />
            </Field>
            {readOnly ? null : (
              <div className="variables">
                <span className="muted small">{t("dun.variables")}</span>
                {VARIABLES.map((v) => (
                  <button key={v} type="button" className="var-chip" onClick={() => insert(v)}>
                    {v.replace(/[{}\s]/g, "")}
                  </button>
                ))}
                {step.templates.fr && step.templates.en ? (
                  <Button
                    size="sm"
                    variant="ghost"
                    onClick={() => {
                      const { [lang]: _, ...rest } = step.templates;
                      onChange(rest);
                      setLang(lang === "fr" ? "en" : "fr");
                    }}
                  >
                    {t("dun.removeLang")}
                  </Button>
                ) : null}
              </div>
            )}
          </div>
        ) : (
          <Empty
            title={t("dun.noTemplate")}
            hint={
              readOnly ? undefined : (
                <Button
                  size="sm"
                  icon="plus"
                  onClick={() =>
                    set({
                      subject: step.templates[lang === "fr" ? "en" : "fr"]?.subject ?? "",
                      body: step.templates[lang === "fr" ? "en" : "fr"]?.body ?? "",
                    })
                  }
                >
                  {t("dun.addLang")}
                </Button>
              )
            }
          />
        )}
        {errorOf(`steps.${index}.templates`) ? <p className="field-error">{errorOf(`steps.${index}.templates`)}</p> : null}
      </Card>
      <PreviewPane stepId={dirty ? undefined : savedStepId} lang={lang} dirty={dirty} onSave={onSave} money={money} />
    </div>
  );
}

function PreviewPane({
  stepId,
  lang,
  dirty,
  onSave,
  money,
}: {
  stepId: number | undefined;
  lang: Lang;
  dirty: boolean;
  onSave(): Promise<boolean>;
  money(v: string | null | undefined): string;
}) {
  const { t } = useI18n();
  const [q, setQ] = useState("");
  const dq = useDebounced(q.trim(), 200);
  const customers = useApi<ListPage<CustomerListItem>>("/api/customers", {
    q: dq || undefined,
    sort: "overdue",
    dir: "desc",
    limit: 8,
    overdue: dq ? undefined : "true",
  });
  const [customerId, setCustomerId] = useState<number | null>(null);
  const chosen = customerId ?? customers.data?.items[0]?.id ?? null;
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    if (!stepId || !chosen) return;
    let live = true;
    setLoading(true);
    api
      .post<Preview>("/api/dunning/preview", { customerId: chosen, stepId, language: lang })
      .then((p) => {
        if (!live) return;
        setPreview(p);
        setError(null);
      })
      .catch((e: ApiError) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [stepId, chosen, lang]);
  return (
    <Card title={t("dun.preview")} subtitle={t("dun.previewHint")}>
      <div className="input-row preview-pick">
        <input
          type="search"
          className="input-sm"
          aria-label={t("dun.previewSearch")}
          placeholder={t("dun.previewSearch")}
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <select
          aria-label={t("dun.previewCustomer")}
          value={chosen ?? ""}
          onChange={(e) => setCustomerId(Number(e.target.value))}
          className="select-sm preview-customer"
        >
          {customers.data?.items.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      {dirty ? (
        <div className="alert alert-info">
          <Icon name="alert" />
          <div>
            <p>{t("dun.previewDirty")}</p>
            <Button size="sm" variant="primary" onClick={() => void onSave()}>
              {t("dun.saveAndPreview")}
            </Button>
          </div>
        </div>
      ) : null}
      <ErrorBox error={error} />
      {preview && !dirty ? (
        <div className={`mail-preview${loading ? " stale" : ""}`} data-testid="template-preview">
          <div className="mail-head">
            <span className="muted">{t("dun.from")}</span> {preview.from}
            <br />
            <span className="muted">{t("dun.to")}</span> {preview.to.join(", ") || <Badge tone="warning">{t("dun.noRecipient")}</Badge>}
            <br />
            <span className="muted">{t("dun.subject")}</span> <strong>{preview.subject}</strong>
          </div>
          <pre className="mail-body">{preview.text}</pre>
          <div className="mail-foot">
            <span>
              {t("dun.previewTotal")} <strong>{money(preview.totals.grandTotal)}</strong>
            </span>
            {preview.attachments.map((a) => (
              <Badge key={a.filename}>
                <Icon name="file" size={12} /> {a.filename}
              </Badge>
            ))}
          </div>
          {preview.warnings.length ? (
            <ul className="warnings">
              {preview.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : !dirty && loading ? (
        <Skeleton rows={8} />
      ) : null}
      {!stepId && !dirty ? <p className="muted">{t("dun.previewUnsaved")}</p> : null}
    </Card>
  );
}
