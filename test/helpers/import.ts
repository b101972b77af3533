import type { Store } from "../../src/store/connect.js";
import "../../src/store/import-schema.js";

const TABLES = [
  "customers",
  "documents",
  "payments",
  "allocations",
  "import_batches",
  "audit_log",
  "customer_bank_accounts",
  "document_files",
] as const;

/** Row counts of the tables an import may write, for one organisation (all-or-nothing checks). */
export async function tableCounts(store: Store, orgId: number): Promise<Record<(typeof TABLES)[number], number>> {
  const out = {} as Record<(typeof TABLES)[number], number>;
  for (const t of TABLES) {
    const r = await store.db
      .selectFrom(t)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("org_id", "=", orgId)
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
}
