import { useEffect, useRef, useState } from "react";
import { Button, Field, ProblemList, Segmented } from "../components/ui";
import { ApiError, api } from "../lib/api";
import { useI18n } from "../lib/i18n";
import { useSession } from "../lib/session";

export function LoginPage({ needsSetup }: { needsSetup: boolean }) {
  const { t, lang, setLang } = useI18n();
  return (
    <div className="auth">
      <div className="auth-lang">
        <Segmented
          label={t("nav.language")}
          value={lang}
          onChange={setLang}
          options={[
            { value: "fr", label: "FR" },
            { value: "en", label: "EN" },
          ]}
        />
      </div>
      <div className="auth-card">
        <div className="brand brand-lg">
          <span className="brand-mark" aria-hidden="true">
            R
          </span>
          <span className="brand-name">Relance</span>
        </div>
        {needsSetup ? <SetupForm /> : <LoginForm />}
      </div>
      <p className="auth-foot">{t("login.tagline")}</p>
    </div>
  );
}

function useFocusFirst() {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}

function LoginForm() {
  const { t } = useI18n();
  const first = useFocusFirst();
  const { refresh } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await api.post("/api/auth/login", { email, password }, { quiet401: true });
          await refresh();
        } catch (err) {
          setError(err instanceof ApiError && err.status === 401 ? t("login.wrong") : (err as Error).message);
          setBusy(false);
        }
      }}
    >
      <h1 className="auth-title">{t("login.title")}</h1>
      {error ? (
        <div className="alert alert-danger" role="alert">
          {error}
        </div>
      ) : null}
      <Field label={t("login.email")} htmlFor="login-email">
        <input
          id="login-email"
          type="email"
          autoComplete="username"
          required
          ref={first}
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </Field>
      <Field label={t("login.password")} htmlFor="login-password">
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </Field>
      <Button type="submit" variant="primary" busy={busy} className="btn-block">
        {t("login.submit")}
      </Button>
    </form>
  );
}

function SetupForm() {
  const { t, lang } = useI18n();
  const first = useFocusFirst();
  const { refresh } = useSession();
  const [form, setForm] = useState({ orgName: "", name: "", email: "", password: "", confirm: "" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const mismatch = form.confirm.length > 0 && form.confirm !== form.password;
  return (
    <form
      className="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        if (mismatch) return;
        setBusy(true);
        setError(null);
        try {
          await api.post(
            "/api/setup",
            { orgName: form.orgName, name: form.name, email: form.email, password: form.password, language: lang },
            { quiet401: true },
          );
          await refresh();
        } catch (err) {
          setError(err as Error);
          setBusy(false);
        }
      }}
    >
      <h1 className="auth-title">{t("setup.title")}</h1>
      <p className="muted">{t("setup.intro")}</p>
      {error ? (
        <div className="alert alert-danger" role="alert">
          <div>
            <p className="alert-title">{error.message}</p>
            <ProblemList problems={(error as ApiError).problems ?? []} />
          </div>
        </div>
      ) : null}
      <Field label={t("setup.orgName")} htmlFor="setup-org">
        <input id="setup-org" ref={first} required value={form.orgName} onChange={set("orgName")} autoComplete="organization" />
      </Field>
      <Field label={t("setup.name")} htmlFor="setup-name">
        <input id="setup-name" value={form.name} onChange={set("name")} autoComplete="name" />
      </Field>
      <Field label={t("login.email")} htmlFor="setup-email">
        <input id="setup-email" type="email" required value={form.email} onChange={set("email")} autoComplete="username" />
      </Field>
      <Field label={t("login.password")} htmlFor="setup-password" hint={t("setup.passwordHint")}>
        <input
          id="setup-password"
          type="password"
          required
          minLength={10}
          value={form.password}
          onChange={set("password")}
          autoComplete="new-password"
        />
      </Field>
      <Field label={t("setup.confirm")} htmlFor="setup-confirm" error={mismatch ? t("setup.mismatch") : undefined}>
        <input id="setup-confirm" type="password" required value={form.confirm} onChange={set("confirm")} autoComplete="new-password" />
      </Field>
      <Button type="submit" variant="primary" busy={busy} className="btn-block">
        {t("setup.submit")}
      </Button>
    </form>
  );
}
