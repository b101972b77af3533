import { lazy, Suspense, useEffect } from "react";
import { Redirect, Route, Switch } from "wouter";
import { Shell } from "./components/Shell";
import { Spinner, ToastProvider } from "./components/ui";
import { useI18n } from "./lib/i18n";
import { PAGE_ROUTES } from "./lib/pages";
import { useSession } from "./lib/session";
import { LoginPage } from "./pages/Login";

const Dashboard = lazy(() => import("./pages/Dashboard"));
const Customers = lazy(() => import("./pages/Customers"));
const CustomerPage = lazy(() => import("./pages/Customer"));
const Invoices = lazy(() => import("./pages/Invoices"));
const InvoicePage = lazy(() => import("./pages/Invoice"));
const Dunning = lazy(() => import("./pages/Dunning"));
const Imports = lazy(() => import("./pages/Imports"));
const Reconciliation = lazy(() => import("./pages/Reconciliation"));
const Settings = lazy(() => import("./pages/Settings"));

export function App() {
  const { state, has, routesLoaded } = useSession();
  const { t } = useI18n();
  useEffect(() => {
    document.title = "Relance";
  }, []);
  if (state.status === "loading") return <Spinner label={t("common.loading")} />;
  if (state.status === "anonymous") return <LoginPage needsSetup={state.needsSetup} />;
  const fallback = <Spinner />;
  return (
    <ToastProvider>
      <Shell>
        {!routesLoaded ? (
          fallback
        ) : (
          <Suspense fallback={fallback}>
            <Switch>
              <Route path="/">{has(PAGE_ROUTES.dashboard) ? <Dashboard /> : <Redirect to="/customers" replace />}</Route>
              <Route path="/customers" component={Customers} />
              <Route path="/customers/:id">{(p) => <CustomerPage id={Number(p.id)} />}</Route>
              <Route path="/invoices" component={Invoices} />
              <Route path="/invoices/:id">{(p) => <InvoicePage id={Number(p.id)} />}</Route>
              {has(PAGE_ROUTES.dunning) ? <Route path="/dunning" component={Dunning} /> : null}
              {has(PAGE_ROUTES.imports) ? <Route path="/imports" component={Imports} /> : null}
              {has(PAGE_ROUTES.reconciliation) ? <Route path="/reconciliation" component={Reconciliation} /> : null}
              <Route path="/settings" component={Settings} />
              <Route path="/login">
                <Redirect to="/" replace />
              </Route>
              <Route>
                <NotFound />
              </Route>
            </Switch>
          </Suspense>
        )}
      </Shell>
    </ToastProvider>
  );
}

function NotFound() {
  const { t } = useI18n();
  return (
    <div className="page">
      <div className="empty">
        <p className="empty-title">{t("common.notFound")}</p>
      </div>
    </div>
  );
}
