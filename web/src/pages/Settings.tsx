import { useState } from "react";
import { Badge, Button, Card, Dialog, ErrorBox, Field, Skeleton, useAction } from "../components/ui";
import { api, type ListPage } from "../lib/api";
import { useI18n } from "../lib/i18n";
import { invalidateMembers } from "../lib/members";
import type { MsgKey } from "../lib/messages";
import { type Role, useSession } from "../lib/session";
import type { Member } from "../lib/types";
import { useApi } from "../lib/useApi";
import { OrgSettings } from "./OrgSettings";

const ROLES: Role[] = ["owner", "admin", "collector", "accountant", "viewer"];

export default function Settings() {
  const { t } = useI18n();
  const { has } = useSession();
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>{t("settings.title")}</h1>
          <p className="page-sub">{t("settings.subtitle")}</p>
        </div>
      </header>
      <Team />
      {has("GET /api/settings") ? <OrgSettings /> : null}
    </div>
  );
}

function Team() {
  const { t, f } = useI18n();
  const { can, me } = useSession();
  const { data, error, reload } = useApi<ListPage<Member>>("/api/users");
  const [inviting, setInviting] = useState(false);
  const { run } = useAction();
  const admin = can("admin");
  const changeRole = async (m: Member, role: Role) => {
    await run(() => api.patch(`/api/users/${m.id}`, { role }), t("team.roleChanged", { name: m.name || m.email }));
    invalidateMembers();
    reload();
  };
  return (
    <Card
      title={t("team.title")}
      subtitle={t("team.subtitle")}
      actions={
        admin ? (
          <Button variant="primary" icon="plus" onClick={() => setInviting(true)}>
            {t("team.invite")}
          </Button>
        ) : null
      }
      flush
    >
      <ErrorBox error={error} onRetry={reload} />
      {!data ? (
        error ? null : (
          <Skeleton rows={3} />
        )
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>{t("team.name")}</th>
              <th>{t("login.email")}</th>
              <th>{t("team.role")}</th>
              <th>{t("team.joined")}</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((m) => (
              <tr key={m.id}>
                <td>
                  <span className="avatar avatar-sm" aria-hidden="true">
                    {(m.name || m.email).slice(0, 1).toUpperCase()}
                  </span>{" "}
                  {m.name || "—"} {m.id === me?.user?.id ? <Badge>{t("team.you")}</Badge> : null}
                </td>
                <td className="muted">{m.email}</td>
                <td>
                  {admin && m.id !== me?.user?.id && (m.role !== "owner" || me?.role === "owner") ? (
                    <select
                      className="select-sm"
                      aria-label={t("team.roleOf", { name: m.name || m.email })}
                      value={m.role}
                      onChange={(e) => void changeRole(m, e.target.value as Role)}
                    >
                      {ROLES.filter((r) => r !== "owner" || me?.role === "owner").map((r) => (
                        <option key={r} value={r}>
                          {t(`role.${r}` as MsgKey)}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <Badge tone={m.role === "owner" || m.role === "admin" ? "accent" : "neutral"}>{t(`role.${m.role}` as MsgKey)}</Badge>
                  )}
                </td>
                <td className="muted">{f.date(m.joinedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="card-foot muted">{t("team.rolesHelp")}</div>
      <InviteDialog
        open={inviting}
        onClose={() => setInviting(false)}
        onDone={() => {
          setInviting(false);
          invalidateMembers();
          reload();
        }}
      />
    </Card>
  );
}

function randomPassword(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = crypto.getRandomValues(new Uint8Array(14));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

function InviteDialog({ open, onClose, onDone }: { open: boolean; onClose(): void; onDone(): void }) {
  const { t } = useI18n();
  const { me } = useSession();
  const [form, setForm] = useState({ email: "", name: "", role: "collector" as Role, password: randomPassword() });
  const [error, setError] = useState<Error | null>(null);
  const { busy, run } = useAction();
  return (
    <Dialog
      open={open}
      title={t("team.invite")}
      onClose={onClose}
      busy={busy}
      submitLabel={t("team.add")}
      onSubmit={async () => {
        setError(null);
        const ok = await run(
          async () => {
            try {
              return await api.post("/api/users", {
                email: form.email,
                name: form.name || undefined,
                role: form.role,
                password: form.password,
              });
            } catch (e) {
              setError(e as Error);
              throw e;
            }
          },
          t("team.added", { email: form.email }),
        );
        if (ok) {
          setForm({ email: "", name: "", role: "collector", password: randomPassword() });
          onDone();
        }
      }}
    >
      <ErrorBox error={error} />
      <div className="form-grid">
        <Field label={t("login.email")} htmlFor="inv-email">
          <input id="inv-email" type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </Field>
        <Field label={t("team.name")} htmlFor="inv-name">
          <input id="inv-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </Field>
        <Field label={t("team.role")} htmlFor="inv-role" hint={t(`role.${form.role}.help` as MsgKey)}>
          <select id="inv-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
            {ROLES.filter((r) => r !== "owner" || me?.role === "owner").map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}` as MsgKey)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("team.initialPassword")} htmlFor="inv-password" hint={t("team.passwordHint")}>
          <div className="input-row">
            <input
              id="inv-password"
              className="mono"
              required
              minLength={10}
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
            <Button size="sm" onClick={() => void navigator.clipboard?.writeText(form.password)} icon="copy">
              {t("common.copy")}
            </Button>
          </div>
        </Field>
      </div>
    </Dialog>
  );
}
