import { type ReactNode, useEffect, useRef, useState } from "react";
import { Link, useLocation } from "wouter";
import { api, type ListPage } from "../lib/api";
import { useI18n } from "../lib/i18n";
import type { MsgKey } from "../lib/messages";
import { PAGE_ROUTES } from "../lib/pages";
import { useSession } from "../lib/session";
import { useDebounced } from "../lib/useApi";
import { Icon, type IconName } from "./Icon";
import { Segmented } from "./ui";

interface NavItem {
  href: string;
  label: MsgKey;
  icon: IconName;
  needs?: string;
}

const NAV: NavItem[] = [
  { href: "/", label: "nav.dashboard", icon: "home", needs: PAGE_ROUTES.dashboard },
  { href: "/customers", label: "nav.customers", icon: "users" },
  { href: "/invoices", label: "nav.invoices", icon: "file" },
  { href: "/dunning", label: "nav.dunning", icon: "send", needs: PAGE_ROUTES.dunning },
  { href: "/imports", label: "nav.imports", icon: "upload", needs: PAGE_ROUTES.imports },
  { href: "/reconciliation", label: "nav.reconciliation", icon: "link", needs: PAGE_ROUTES.reconciliation },
  { href: "/settings", label: "nav.settings", icon: "settings" },
];

export function Shell({ children }: { children: ReactNode }) {
  const { t, lang, setLang } = useI18n();
  const { me, has, logout } = useSession();
  const [location] = useLocation();
  const items = NAV.filter((n) => !n.needs || has(n.needs));
  const isActive = (href: string) => (href === "/" ? location === "/" : location === href || location.startsWith(`${href}/`));
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <aside className="sidebar">
        <div className="brand">
          {me?.org.hasLogo ? (
            <img className="brand-logo" src="/api/settings/logo" alt="" />
          ) : (
            <span className="brand-mark" aria-hidden="true">
              R
            </span>
          )}
          <div className="brand-text">
            <span className="brand-name">Relance</span>
            <span className="brand-org" title={me?.org.name}>
              {me?.org.name}
            </span>
          </div>
        </div>
        <nav aria-label={t("nav.main")}>
          <ul>
            {items.map((n) => (
              <li key={n.href}>
                <Link
                  href={n.href}
                  className={`nav-link${isActive(n.href) ? " active" : ""}`}
                  aria-current={isActive(n.href) ? "page" : undefined}
                >
                  <Icon name={n.icon} />
                  <span>{t(n.label)}</span>
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-foot">
          <div className="me">
            <span className="avatar" aria-hidden="true">
              {(me?.user?.name || me?.user?.email || "?").slice(0, 1).toUpperCase()}
            </span>
            <div className="me-text">
              <span className="me-name">{me?.user?.name || me?.user?.email}</span>
              <span className="me-role">{me ? t(`role.${me.role}` as MsgKey) : ""}</span>
            </div>
            <button type="button" className="icon-btn" onClick={() => void logout()} aria-label={t("nav.logout")} title={t("nav.logout")}>
              <Icon name="logout" />
            </button>
          </div>
        </div>
      </aside>
      <div className="main-col">
        <header className="topbar">
          <GlobalSearch />
          <div className="topbar-right">
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
        </header>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}

interface Hit {
  id: number;
  ref: string;
  name: string;
  overdue: string;
  outstanding: string;
}

/** "/" focuses the search; arrows move, Enter opens the customer, Escape clears. */
function GlobalSearch() {
  const { t, f } = useI18n();
  const [, navigate] = useLocation();
  const [q, setQ] = useState("");
  const [open, setOpen] = useState(false);
  const [hits, setHits] = useState<Hit[]>([]);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const dq = useDebounced(q.trim(), 150);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing =
        target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
      if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    if (!dq) {
      setHits([]);
      return;
    }
    const controller = new AbortController();
    api
      .get<ListPage<Hit>>("/api/customers", { q: dq, limit: 8, sort: "outstanding", dir: "desc" }, { signal: controller.signal })
      .then((page) => {
        setHits(page.items);
        setActive(0);
      })
      .catch(() => undefined);
    return () => controller.abort();
  }, [dq]);

  const go = (hit: Hit | undefined) => {
    if (hit) navigate(`/customers/${hit.id}`);
    else if (q.trim()) navigate(`/customers?q=${encodeURIComponent(q.trim())}`);
    setOpen(false);
    setQ("");
    input.current?.blur();
  };

  const showList = open && dq.length > 0;
  return (
    <div className="search">
      <Icon name="search" className="search-icon" />
      <input
        ref={input}
        type="search"
        role="combobox"
        aria-expanded={showList}
        aria-controls="search-results"
        aria-activedescendant={showList && hits[active] ? `hit-${hits[active].id}` : undefined}
        aria-label={t("search.label")}
        placeholder={t("search.placeholder")}
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive((a) => Math.min(a + 1, hits.length - 1));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === "Enter") {
            e.preventDefault();
            go(hits[active]);
          } else if (e.key === "Escape") {
            setQ("");
            setOpen(false);
            input.current?.blur();
          }
        }}
      />
      <span className="search-kbd" aria-hidden="true">
        /
      </span>
      {showList ? (
        <div className="search-results" id="search-results" role="listbox" aria-label={t("search.results")}>
          {hits.length === 0 ? (
            <div className="search-empty">{t("search.none")}</div>
          ) : (
            hits.map((h, i) => (
              <div
                key={h.id}
                id={`hit-${h.id}`}
                role="option"
                tabIndex={-1}
                aria-selected={i === active}
                className={`search-hit${i === active ? " active" : ""}`}
                onMouseDown={(e) => {
                  e.preventDefault();
                  go(h);
                }}
                onMouseEnter={() => setActive(i)}
              >
                <span className="hit-name">{h.name}</span>
                <span className="hit-ref">{h.ref}</span>
                <span className="hit-amount">{f.money(h.outstanding)}</span>
              </div>
            ))
          )}
        </div>
      ) : null}
    </div>
  );
}
