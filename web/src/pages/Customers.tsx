import { useEffect, useRef, useState } from "react";
import { Link } from "wouter";
import { Icon } from "../components/Icon";
import { RiskScore } from "../components/Risk";
import { Badge, Card, Empty, ErrorBox, Pager, Skeleton, SortHeader, usePager } from "../components/ui";
import type { ListPage } from "../lib/api";
import { isPositive } from "../lib/decimal";
import { useI18n } from "../lib/i18n";
import { memberName, useMembers } from "../lib/members";
import type { MsgKey } from "../lib/messages";
import { PAGE_ROUTES } from "../lib/pages";
import { useSession } from "../lib/session";
import type { CustomerListItem } from "../lib/types";
import { useUrlState } from "../lib/url";
import { useApi, useDebounced } from "../lib/useApi";

type Sort = "name" | "ref" | "outstanding" | "overdue" | "risk";
type Filter = "all" | "overdue" | "mine" | "disputed" | "risk" | "rising";
const ROUTE = "GET /api/customers";

export default function Customers() {
  const { t, f } = useI18n();
  const { hasParam, has } = useSession();
  const members = useMembers();
  const [params, setParams] = useUrlState<"q" | "sort" | "dir" | "filter" | "status">();
  const [q, setQ] = useState(params.q ?? "");
  const dq = useDebounced(q.trim(), 250);
  const sort = (params.sort as Sort) ?? "name";
  const dir = (params.dir as "asc" | "desc") ?? (sort === "name" || sort === "ref" ? "asc" : "desc");
  const filter = (params.filter as Filter) ?? "all";
  const status = params.status ?? "";
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if ((params.q ?? "") !== dq) setParams({ q: dq || null });
  }, [dq, params.q, setParams]);

  const filters: { value: Filter; label: MsgKey; available: boolean }[] = [
    { value: "all", label: "customers.filter.all", available: true },
    { value: "overdue", label: "customers.filter.overdue", available: hasParam(ROUTE, "overdue") },
    { value: "mine", label: "customers.filter.mine", available: hasParam(ROUTE, "assigned") },
    { value: "disputed", label: "customers.filter.disputed", available: hasParam(ROUTE, "disputed") },
    { value: "risk", label: "customers.filter.risk", available: hasParam(ROUTE, "risk") },
    { value: "rising", label: "customers.filter.rising", available: hasParam(ROUTE, "risk") },
  ];
  const query = {
    q: dq || undefined,
    sort,
    dir,
    limit: 50,
    status: status || undefined,
    overdue: filter === "overdue" ? "true" : undefined,
    assigned: filter === "mine" ? "me" : undefined,
    disputed: filter === "disputed" ? "true" : undefined,
    risk: filter === "risk" ? "high" : filter === "rising" ? "rising" : undefined,
  };
  const resetKey = JSON.stringify(query);
  const pager = usePager(resetKey);
  const { data, error, loading, reload } = useApi<ListPage<CustomerListItem>>("/api/customers", { ...query, cursor: pager.cursor });

  const onSort = (key: Sort) => {
    if (key === sort) setParams({ dir: dir === "asc" ? "desc" : "asc" });
    else setParams({ sort: key, dir: null });
  };

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>{t("customers.title")}</h1>
          <p className="page-sub">{t("customers.subtitle")}</p>
        </div>
      </header>
      <div className="toolbar">
        <div className="input-icon">
          <Icon name="search" />
          <input
            ref={searchRef}
            type="search"
            aria-label={t("customers.search")}
            placeholder={t("customers.search")}
            value={q}
            onChange={(e) => setQ(e.target.value)}
            data-testid="customer-search"
          />
        </div>
        <fieldset className="chips">
          <legend className="sr-only">{t("common.filters")}</legend>
          {filters
            .filter((x) => x.available)
            .map((x) => (
              <button
                key={x.value}
                type="button"
                className={`chip${filter === x.value ? " on" : ""}`}
                aria-pressed={filter === x.value}
                onClick={() => setParams({ filter: x.value === "all" ? null : x.value })}
              >
                {t(x.label)}
              </button>
            ))}
        </fieldset>
        <select aria-label={t("customers.status")} value={status} onChange={(e) => setParams({ status: e.target.value || null })}>
          <option value="">{t("customers.status.any")}</option>
          {["active", "do_not_chase", "defaulted", "archived"].map((s) => (
            <option key={s} value={s}>
              {t(`customerStatus.${s}` as MsgKey)}
            </option>
          ))}
        </select>
      </div>
      <Card flush>
        <ErrorBox error={error} onRetry={reload} />
        <div className="table-wrap">
          <table className="table" data-testid="customers-table">
            <thead>
              <tr>
                <SortHeader label={t("customers.col.name")} sortKey="name" sort={sort} dir={dir} onSort={onSort} />
                <SortHeader label={t("customers.col.ref")} sortKey="ref" sort={sort} dir={dir} onSort={onSort} />
                <th>{t("customers.col.assigned")}</th>
                <th className="num">{t("customers.col.open")}</th>
                <SortHeader
                  label={t("customers.col.outstanding")}
                  sortKey="outstanding"
                  sort={sort}
                  dir={dir}
                  onSort={onSort}
                  align="right"
                />
                <SortHeader label={t("customers.col.overdue")} sortKey="overdue" sort={sort} dir={dir} onSort={onSort} align="right" />
                {hasParam(ROUTE, "risk") ? (
                  <SortHeader label={t("customers.col.risk")} sortKey="risk" sort={sort} dir={dir} onSort={onSort} align="right" />
                ) : null}
              </tr>
            </thead>
            <tbody>
              {data?.items.map((c) => (
                <tr key={c.id} className={loading ? "stale" : undefined}>
                  <td>
                    <Link href={`/customers/${c.id}`} className="row-link">
                      {c.name}
                    </Link>
                    {c.status !== "active" ? (
                      <>
                        {" "}
                        <Badge tone={c.status === "defaulted" ? "danger" : "neutral"}>{t(`customerStatus.${c.status}` as MsgKey)}</Badge>
                      </>
                    ) : null}
                  </td>
                  <td className="mono muted">{c.ref}</td>
                  <td className="muted">{memberName(members, c.assignedUserId) ?? "—"}</td>
                  <td className="num">{c.openDocuments}</td>
                  <td className="num">{f.money(c.outstanding)}</td>
                  <td className={`num${isPositive(c.overdue) ? " tone-danger" : " muted"}`}>{f.money(c.overdue)}</td>
                  {hasParam(ROUTE, "risk") ? (
                    <td className="num">
                      {c.risk === null ? (
                        <span className="muted" title={t("customers.riskNotComputed")}>
                          —
                        </span>
                      ) : (
                        <>
                          <RiskScore score={c.risk} />
                          {c.riskRose ? (
                            <span className="tone-danger small" title={t("customers.riskRose")}>
                              {" "}
                              ↑
                            </span>
                          ) : null}
                        </>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
          {!data && loading ? <Skeleton rows={10} /> : null}
          {data && data.items.length === 0 ? (
            <Empty
              title={t("customers.none")}
              hint={
                dq ? (
                  t("customers.noneHint", { q: dq })
                ) : filter === "all" && !status && has(PAGE_ROUTES.imports) ? (
                  <Link href="/imports">{t("customers.importHint")}</Link>
                ) : undefined
              }
              icon="users"
            />
          ) : null}
        </div>
        <Pager
          page={pager.page}
          hasNext={Boolean(data?.nextCursor)}
          onPrev={pager.prev}
          onNext={() => data?.nextCursor && pager.next(data.nextCursor)}
        />
      </Card>
    </div>
  );
}
