import { createContext, type ReactNode, useCallback, useContext, useEffect, useId, useMemo, useRef, useState } from "react";
import { Link } from "wouter";
import type { ApiError, Problem } from "../lib/api";
import { useI18n } from "../lib/i18n";
import { Icon, type IconName } from "./Icon";

type Variant = "primary" | "secondary" | "ghost" | "danger";

export function Button({
  variant = "secondary",
  size,
  icon,
  busy,
  children,
  type = "button",
  className,
  ...rest
}: {
  variant?: Variant;
  size?: "sm";
  icon?: IconName;
  busy?: boolean;
  type?: "button" | "submit";
} & Omit<React.ButtonHTMLAttributes<HTMLButtonElement>, "type">) {
  const cls = ["btn", `btn-${variant}`, size === "sm" ? "btn-sm" : "", className ?? ""].filter(Boolean).join(" ");
  return (
    <button type={type} className={cls} disabled={busy || rest.disabled} aria-busy={busy || undefined} {...rest}>
      {busy ? (
        <span className="spinner spinner-sm" aria-hidden="true" />
      ) : icon ? (
        <Icon name={icon} size={size === "sm" ? 14 : 16} />
      ) : null}
      {children}
    </button>
  );
}

export function ButtonLink({
  href,
  variant = "secondary",
  size,
  icon,
  children,
}: {
  href: string;
  variant?: Variant;
  size?: "sm";
  icon?: IconName;
  children: ReactNode;
}) {
  return (
    <Link href={href} className={`btn btn-${variant}${size === "sm" ? " btn-sm" : ""}`}>
      {icon ? <Icon name={icon} size={size === "sm" ? 14 : 16} /> : null}
      {children}
    </Link>
  );
}

export function Card({
  title,
  subtitle,
  actions,
  children,
  className,
  id,
  flush,
}: {
  title?: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  id?: string;
  flush?: boolean;
}) {
  return (
    <section className={`card${className ? ` ${className}` : ""}`} id={id} aria-label={typeof title === "string" ? title : undefined}>
      {title || actions ? (
        <header className="card-head">
          <div>
            {title ? <h2 className="card-title">{title}</h2> : null}
            {subtitle ? <p className="card-sub">{subtitle}</p> : null}
          </div>
          {actions ? <div className="card-actions">{actions}</div> : null}
        </header>
      ) : null}
      <div className={flush ? "card-body flush" : "card-body"}>{children}</div>
    </section>
  );
}

export function Kpi({
  label,
  value,
  exact,
  sub,
  href,
  tone,
  testId,
}: {
  label: string;
  value: ReactNode;
  exact?: string;
  sub?: ReactNode;
  href?: string;
  tone?: "danger" | "warning" | "success";
  testId?: string;
}) {
  const body = (
    <>
      <span className="kpi-label">{label}</span>
      <span className={`kpi-value${tone ? ` tone-${tone}` : ""}`} title={exact}>
        {value}
      </span>
      {sub ? <span className="kpi-sub">{sub}</span> : null}
    </>
  );
  return href ? (
    <Link href={href} className="kpi kpi-link" data-testid={testId}>
      {body}
    </Link>
  ) : (
    <div className="kpi" data-testid={testId}>
      {body}
    </div>
  );
}

export function Badge({
  tone = "neutral",
  children,
  title,
}: {
  tone?: "neutral" | "danger" | "warning" | "success" | "info" | "accent";
  children: ReactNode;
  title?: string;
}) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function Spinner({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span className="sr-only">{label ?? t("common.loading")}</span>
    </div>
  );
}

export function Skeleton({ rows = 5 }: { rows?: number }) {
  const { t } = useI18n();
  return (
    <div className="skeleton" role="status" aria-label={t("common.loading")}>
      {Array.from({ length: rows }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: static placeholders
        <div key={i} className="skeleton-row" />
      ))}
    </div>
  );
}

export function Empty({ title, hint, icon = "check" }: { title: string; hint?: ReactNode; icon?: IconName }) {
  return (
    <div className="empty">
      <Icon name={icon} size={20} />
      <p className="empty-title">{title}</p>
      {hint ? <p className="empty-hint">{hint}</p> : null}
    </div>
  );
}

export function ErrorBox({ error, onRetry }: { error: ApiError | Error | null; onRetry?: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  const problems = (error as ApiError).problems ?? [];
  return (
    <div className="alert alert-danger" role="alert">
      <Icon name="alert" />
      <div>
        <p className="alert-title">{error.message || t("common.error")}</p>
        <ProblemList problems={problems} />
        {onRetry ? (
          <Button size="sm" variant="ghost" onClick={onRetry}>
            {t("common.retry")}
          </Button>
        ) : null}
      </div>
    </div>
  );
}

export function ProblemList({ problems, max = 200 }: { problems: Problem[]; max?: number }) {
  const { t } = useI18n();
  if (!problems.length) return null;
  return (
    <ul className="problems">
      {problems.slice(0, max).map((p, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity
        <li key={i}>
          {p.line !== undefined ? <span className="problem-line">{t("common.line", { n: p.line })}</span> : null}
          {p.field ? <code className="problem-field">{p.field}</code> : null}
          <span>{p.message}</span>
        </li>
      ))}
      {problems.length > max ? <li>{t("common.andMore", { n: problems.length - max })}</li> : null}
    </ul>
  );
}

/** A modal on the native <dialog>: focus is trapped, Escape closes, Enter submits the form. */
export function Dialog({
  open,
  title,
  onClose,
  onSubmit,
  submitLabel,
  busy,
  children,
  wide,
  danger,
}: {
  open: boolean;
  title: string;
  onClose(): void;
  onSubmit?: () => void | Promise<void>;
  submitLabel?: string;
  busy?: boolean;
  children: ReactNode;
  wide?: boolean;
  danger?: boolean;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      // Focus the first field rather than the close button.
      d.querySelector<HTMLElement>(".dialog-body input:not([type=hidden]), .dialog-body select, .dialog-body textarea")?.focus();
    }
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? " dialog-wide" : ""}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
    >
      {open ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!busy) void onSubmit?.();
          }}
        >
          <header className="dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-btn" onClick={onClose} aria-label={t("common.close")}>
              <Icon name="close" />
            </button>
          </header>
          <div className="dialog-body">{children}</div>
          {onSubmit ? (
            <footer className="dialog-foot">
              <span className="hint">{t("common.dialogKeys")}</span>
              <Button onClick={onClose} disabled={busy}>
                {t("common.cancel")}
              </Button>
              <Button type="submit" variant={danger ? "danger" : "primary"} busy={busy}>
                {submitLabel ?? t("common.save")}
              </Button>
            </footer>
          ) : null}
        </form>
      ) : null}
    </dialog>
  );
}

export function Field({
  label,
  hint,
  error,
  children,
  htmlFor,
}: {
  label: string;
  hint?: ReactNode;
  error?: string;
  children: ReactNode;
  htmlFor?: string;
}) {
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {error ? <span className="field-error">{error}</span> : hint ? <span className="field-hint">{hint}</span> : null}
    </div>
  );
}

export function Segmented<T extends string>({
  value,
  options,
  onChange,
  label,
  size,
}: {
  value: T;
  options: { value: T; label: string }[];
  onChange(v: T): void;
  label: string;
  size?: "lg";
}) {
  return (
    <div className={size === "lg" ? "segmented lg" : "segmented"} role="radiogroup" aria-label={label}>
      {options.map((o) => (
        // biome-ignore lint/a11y/useSemanticElements: a segmented control drawn as buttons, with radio semantics
        <button
          key={o.value}
          type="button"
          role="radio"
          aria-checked={o.value === value}
          className={o.value === value ? "on" : ""}
          onClick={() => onChange(o.value)}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

export function Tabs<T extends string>({
  value,
  tabs,
  onChange,
}: {
  value: T;
  tabs: { value: T; label: string; count?: number }[];
  onChange(v: T): void;
}) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map((tab) => (
        <button
          key={tab.value}
          type="button"
          role="tab"
          aria-selected={tab.value === value}
          className={tab.value === value ? "on" : ""}
          onClick={() => onChange(tab.value)}
        >
          {tab.label}
          {tab.count !== undefined ? <span className="tab-count">{tab.count}</span> : null}
        </button>
      ))}
    </div>
  );
}

export function SortHeader<S extends string>({
  label,
  sortKey,
  sort,
  dir,
  onSort,
  align,
}: {
  label: string;
  sortKey: S;
  sort: S;
  dir: "asc" | "desc";
  onSort(key: S): void;
  align?: "right";
}) {
  const active = sort === sortKey;
  return (
    <th aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : "none"} className={align === "right" ? "num" : undefined}>
      <button type="button" className={`sort${active ? " on" : ""}`} onClick={() => onSort(sortKey)}>
        {label}
        <span className="sort-arrow" aria-hidden="true">
          {active ? (dir === "asc" ? "↑" : "↓") : "↕"}
        </span>
      </button>
    </th>
  );
}

/** Keyset pagination: a stack of cursors so "previous" works without offsets. */
export function usePager(resetKey: string) {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the query changes
  useEffect(() => setStack([undefined]), [resetKey]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    page: stack.length,
    next: (c: string) => setStack((s) => [...s, c]),
    prev: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
  };
}

export function Pager({
  page,
  hasNext,
  onPrev,
  onNext,
  count,
}: {
  page: number;
  hasNext: boolean;
  onPrev(): void;
  onNext(): void;
  count?: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <div className="pager">
      <span className="muted">{count ?? t("common.page", { n: page })}</span>
      <div className="pager-buttons">
        <Button size="sm" icon="chevronLeft" onClick={onPrev} disabled={page <= 1}>
          {t("common.prev")}
        </Button>
        <Button size="sm" onClick={onNext} disabled={!hasNext}>
          {t("common.next")}
          <Icon name="chevronRight" size={14} />
        </Button>
      </div>
    </div>
  );
}

interface Toast {
  id: number;
  message: string;
  tone: "success" | "danger" | "info";
}
const ToastCtx = createContext<(message: string, tone?: Toast["tone"]) => void>(() => undefined);

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const seq = useRef(0);
  const push = useCallback((message: string, tone: Toast["tone"] = "success") => {
    const id = ++seq.current;
    setToasts((ts) => [...ts, { id, message, tone }]);
    setTimeout(() => setToasts((ts) => ts.filter((x) => x.id !== id)), 4500);
  }, []);
  return (
    <ToastCtx.Provider value={push}>
      {children}
      <div className="toasts" aria-live="polite">
        {toasts.map((x) => (
          <div key={x.id} className={`toast toast-${x.tone}`} role={x.tone === "danger" ? "alert" : "status"}>
            <Icon name={x.tone === "danger" ? "alert" : "check"} />
            {x.message}
          </div>
        ))}
      </div>
    </ToastCtx.Provider>
  );
}

export const useToast = () => useContext(ToastCtx);

/** Runs an async action with a busy flag and a toast on failure. */
export function useAction() {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async <T,>(fn: () => Promise<T>, success?: string): Promise<T | undefined> => {
      setBusy(true);
      try {
        const r = await fn();
        if (success) toast(success);
        return r;
      } catch (e) {
        toast((e as Error).message, "danger");
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [toast],
  );
  return useMemo(() => ({ busy, run }), [busy, run]);
}

export function Money({ value, currency, className }: { value: string | null | undefined; currency?: string; className?: string }) {
  const { f } = useI18n();
  return <span className={`money${className ? ` ${className}` : ""}`}>{f.money(value, currency)}</span>;
}
