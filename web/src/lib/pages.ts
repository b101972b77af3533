/** Which API route each optional page needs: when the server does not offer it, the page is not shown. */
export const PAGE_ROUTES = {
  dashboard: "GET /api/reports/dso",
  dunning: "GET /api/dunning/policies",
  imports: "GET /api/imports",
  reconciliation: "GET /api/payments/unmatched",
} as const;
