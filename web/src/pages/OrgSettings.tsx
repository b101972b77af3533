import { useEffect, useState } from "react";
import { Button, Card, Field, useAction, useToast } from "../components/ui";
import { ApiError, api, type Problem } from "../lib/api";
import { useI18n } from "../lib/i18n";
import type { MsgKey } from "../lib/messages";
import { useSession } from "../lib/session";
import { useApi } from "../lib/useApi";

type Values = Record<string, unknown>;
type Kind = "text" | "textarea" | "email" | "bool" | "secret" | "json" | "image";

interface FieldDef {
  key: string;
  kind?: Kind;
  mono?: boolean;
  placeholder?: string;
  full?: boolean;
}

/** The settings of src/services/settings.ts, grouped the way a finance team thinks of them. */
const SECTIONS: { title: MsgKey; hint: MsgKey; fields: FieldDef[]; testEmail?: boolean }[] = [
  {
    title: "settings.company",
    hint: "settings.company.hint",
    fields: [
      { key: "company.name", placeholder: "$org" },
      { key: "company.siren", mono: true, placeholder: "123456789" },
      { key: "company.vat_number", mono: true, placeholder: "FR12345678901" },
      { key: "company.phone" },
      { key: "company.email", kind: "email" },
      { key: "company.logo", kind: "image", full: true },
      { key: "company.address", kind: "textarea", full: true },
    ],
  },
  {
    title: "settings.bank",
    hint: "settings.bank.hint",
    fields: [
      { key: "bank.beneficiary", full: true },
      { key: "bank.iban", mono: true, placeholder: "FR76 3000 6000 0112 3456 7890 189" },
      { key: "bank.bic", mono: true, placeholder: "AGRIFRPP" },
    ],
  },
  {
    title: "settings.mail",
    hint: "settings.mail.hint",
    testEmail: true,
    fields: [
      { key: "mail.from", placeholder: "Comptabilité <compta@exemple.fr>" },
      { key: "mail.reply_to", kind: "email" },
      { key: "mail.test_redirect", kind: "email" },
      { key: "base_url", mono: true, placeholder: "https://relance.exemple.fr" },
    ],
  },
  {
    title: "settings.dunning",
    hint: "settings.dunning.hint",
    fields: [
      { key: "dunning.enabled", kind: "bool" },
      { key: "dunning.alsace_moselle", kind: "bool" },
      { key: "dunning.window", mono: true, placeholder: "08:00-19:00" },
      { key: "dunning.schedule", mono: true, placeholder: "0 9 * * 1-5" },
      { key: "dunning.timezone", mono: true, placeholder: "Europe/Paris" },
      { key: "penalties.rates", kind: "json", mono: true, placeholder: '{"2026-H2": "12.15"}' },
      { key: "penalties.contractual_rate", mono: true, placeholder: "15.00" },
    ],
  },
  {
    title: "settings.webhook",
    hint: "settings.webhook.hint",
    fields: [
      { key: "webhook.url", mono: true, full: true },
      { key: "webhook.secret", kind: "secret", mono: true, full: true },
    ],
  },
];

/** What POST /api/settings/test-email answers: where the test email went. */
interface TestEmailResult {
  sent: boolean;
  to: string;
  via: "smtp" | "eml";
  path?: string;
}

const TEST_EMAIL_ROUTES = ["POST /api/settings/test-email", "POST /api/settings/smtp-test", "POST /api/dunning/test-email"];

function toText(kind: Kind | undefined, v: unknown): string {
  if (v === null || v === undefined) return "";
  if (kind === "json") return typeof v === "string" ? v : Object.keys(v as object).length ? JSON.stringify(v) : "";
  return String(v);
}

export function OrgSettings() {
  const { t, tOr } = useI18n();
  const { can, has } = useSession();
  const { data } = useApi<Values | { settings: Values }>("/api/settings");
  const values: Values | undefined =
    data && "settings" in data && typeof data.settings === "object" ? (data.settings as Values) : (data as Values | undefined);
  const readOnly = !can("admin");
  const testRoute = TEST_EMAIL_ROUTES.find((r) => has(r));
  if (!values) return null;
  return (
    <>
      {SECTIONS.map((s) => (
        <SettingsSection
          key={s.title}
          section={s}
          values={values}
          readOnly={readOnly}
          testRoute={s.testEmail ? testRoute : undefined}
          label={(k) => tOr(`setting.${k}`, k)}
          title={t(s.title)}
          hint={t(s.hint)}
        />
      ))}
    </>
  );
}

function SettingsSection({
  section,
  values,
  readOnly,
  testRoute,
  label,
  title,
  hint,
}: {
  section: (typeof SECTIONS)[number];
  values: Values;
  readOnly: boolean;
  testRoute?: string;
  label(key: string): string;
  title: string;
  hint: string;
}) {
  const { t, tOr } = useI18n();
  const { me } = useSession();
  const initial = () =>
    Object.fromEntries(
      section.fields.map((fd) => [fd.key, fd.kind === "bool" ? Boolean(values[fd.key]) : toText(fd.kind, values[fd.key])]),
    );
  const [form, setForm] = useState<Record<string, string | boolean>>(initial);
  const [problems, setProblems] = useState<Problem[]>([]);
  const { busy, run } = useAction();
  const toast = useToast();
  const [testTo, setTestTo] = useState("");
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the server's values change
  useEffect(() => setForm(initial()), [values]);
  const changed = section.fields.filter(
    (fd) => form[fd.key] !== (fd.kind === "bool" ? Boolean(values[fd.key]) : toText(fd.kind, values[fd.key])),
  );
  const save = async () => {
    setProblems([]);
    const patch: Values = {};
    for (const fd of changed) {
      const v = form[fd.key];
      patch[fd.key] = typeof v === "boolean" ? v : v === "" ? null : v;
    }
    await run(async () => {
      try {
        await api.patch("/api/settings", patch);
        for (const fd of changed) values[fd.key] = patch[fd.key];
        setForm(initial());
      } catch (e) {
        if (e instanceof ApiError) setProblems(e.problems);
        throw e;
      }
    }, t("common.saved"));
  };
  const errorOf = (key: string) => problems.find((p) => p.field === key)?.message;
  return (
    <Card title={title} subtitle={hint}>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <div className="form-grid">
          {section.fields.map((fd) => {
            const id = `set-${fd.key.replace(/\W/g, "-")}`;
            const v = form[fd.key];
            const help = tOr(`setting.${fd.key}.help`, "");
            if (fd.kind === "bool")
              return (
                <label key={fd.key} className="check-row toggle-row">
                  <input
                    type="checkbox"
                    disabled={readOnly}
                    checked={Boolean(v)}
                    onChange={(e) => setForm({ ...form, [fd.key]: e.target.checked })}
                  />
                  <span>
                    <strong>{label(fd.key)}</strong>
                    {help ? <span className="field-hint block">{help}</span> : null}
                  </span>
                </label>
              );
            return (
              <div key={fd.key} className={fd.full || fd.kind === "textarea" ? "full" : undefined}>
                <Field label={label(fd.key)} htmlFor={id} hint={help || undefined} error={errorOf(fd.key)}>
                  {fd.kind === "image" ? (
                    <LogoInput
                      id={id}
                      value={String(v ?? "")}
                      disabled={readOnly}
                      onChange={(url) => setForm({ ...form, [fd.key]: url })}
                    />
                  ) : fd.kind === "textarea" ? (
                    <textarea
                      id={id}
                      disabled={readOnly}
                      value={String(v ?? "")}
                      onChange={(e) => setForm({ ...form, [fd.key]: e.target.value })}
                      rows={3}
                    />
                  ) : (
                    <input
                      id={id}
                      className={fd.mono ? "mono" : undefined}
                      type={fd.kind === "email" ? "email" : fd.kind === "secret" ? "password" : "text"}
                      autoComplete="off"
                      disabled={readOnly}
                      placeholder={fd.placeholder === "$org" ? me?.org.name : fd.placeholder}
                      value={String(v ?? "")}
                      onChange={(e) => setForm({ ...form, [fd.key]: e.target.value })}
                    />
                  )}
                </Field>
              </div>
            );
          })}
        </div>
        <div className="form-actions">
          {testRoute ? (
            <div className="input-row test-email">
              <input
                type="email"
                aria-label={t("settings.testTo")}
                placeholder={t("settings.testTo")}
                value={testTo}
                onChange={(e) => setTestTo(e.target.value)}
              />
              <Button
                icon="mail"
                disabled={readOnly || busy}
                onClick={() =>
                  void run(async () => {
                    const r = await api.post<TestEmailResult>(testRoute.slice(5), testTo ? { to: testTo } : {});
                    toast(
                      r?.via === "eml" && r.path
                        ? t("settings.testWritten", { to: r.to, path: r.path })
                        : r?.to
                          ? t("settings.testSentTo", { to: r.to })
                          : t("settings.testSent"),
                    );
                  })
                }
              >
                {t("settings.test")}
              </Button>
            </div>
          ) : null}
          {readOnly ? (
            <span className="muted">{t("settings.readOnly")}</span>
          ) : (
            <Button type="submit" variant="primary" busy={busy} disabled={changed.length === 0}>
              {t("common.save")}
            </Button>
          )}
        </div>
      </form>
    </Card>
  );
}

/** A PNG or JPEG chosen from disk, kept as a data: URL until saved (the server checks type and size). */
function LogoInput({ id, value, disabled, onChange }: { id: string; value: string; disabled: boolean; onChange(url: string): void }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const pick = (file: File | undefined) => {
    setError(null);
    if (!file) return;
    if (!["image/png", "image/jpeg"].includes(file.type)) return setError(t("settings.logo.type"));
    if (file.size > 256 * 1024) return setError(t("settings.logo.size"));
    const reader = new FileReader();
    reader.onload = () => onChange(String(reader.result));
    reader.readAsDataURL(file);
  };
  return (
    <div className="logo-field">
      {value ? <img className="logo-preview" src={value} alt={t("settings.logo.preview")} /> : null}
      {/* The browser's own file button speaks the browser's language; this label speaks the app's. */}
      <label htmlFor={id} className={`btn btn-secondary${disabled ? " disabled" : ""}`}>
        {t(value ? "settings.logo.change" : "settings.logo.choose")}
      </label>
      <input
        id={id}
        className="sr-only"
        type="file"
        accept="image/png,image/jpeg"
        disabled={disabled}
        onChange={(e) => pick(e.target.files?.[0])}
      />
      {value && !disabled ? (
        <Button variant="ghost" onClick={() => onChange("")}>
          {t("settings.logo.remove")}
        </Button>
      ) : null}
      {error ? <span className="field-error">{error}</span> : null}
    </div>
  );
}
