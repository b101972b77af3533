import { Argument, type Command, Option } from "commander";
import {
  IMPORT_FORMATS,
  IMPORT_KINDS,
  type ImportFormat,
  type ImportKind,
  ImportRejected,
  type ImportSummary,
  importFile,
  presentSummary,
} from "../services/import-file.js";
import { listUnmatchedPayments } from "../services/match-payments.js";
import { type GlobalOptions, printJson, withOrg } from "./context.js";
import { progressBar } from "./progress.js";

/** Files above this size get a progress bar on a terminal. */
const PROGRESS_FROM_BYTES = 4 * 1024 * 1024;

async function importProgress(path: string) {
  if (!process.stderr.isTTY) return null;
  const { stat } = await import("node:fs/promises");
  const size = await stat(path)
    .then((s) => s.size)
    .catch(() => 0);
  if (size < PROGRESS_FROM_BYTES) return null;
  return progressBar({
    labels: { validate: "checking / vérification", write: "writing / écriture" },
    unit: "MB",
    scale: (n) => Math.round(n / 1048576),
  });
}

export function registerImportCommands(program: Command): void {
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();

  program
    .command("import")
    .description("import customers, invoices or payments from a file (CSV, Excel, FEC, Factur-X, UBL, CII, camt, CFONB, MT940)")
    .addArgument(new Argument("<kind>", "what the file holds").choices(IMPORT_KINDS))
    .argument("<file>", "the file to import")
    .addOption(new Option("--format <format>", "file format (default: detected from the content)").choices(IMPORT_FORMATS).default("auto"))
    .option("--dry-run", "check and count without writing anything")
    .option("--json", "print the summary as JSON")
    .action(async (kind: ImportKind, file: string, _o, cmd: Command) => {
      const o = globals(cmd);
      const bar = await importProgress(file);
      let summary: ImportSummary;
      try {
        summary = await withOrg(o, (store, actor) =>
          importFile(store, actor, {
            kind,
            path: file,
            format: o.format as ImportFormat,
            dryRun: o.dryRun === true,
            onProgress: bar ? (p) => bar.update(p) : undefined,
          }),
        );
      } catch (error) {
        bar?.stop();
        if (error instanceof ImportRejected && o.json) printJson(presentSummary(error.summary));
        throw error;
      }
      bar?.stop();
      if (o.json) return printJson(presentSummary(summary));
      const d = summary.details;
      const what = summary.kind === "customers" ? "customers" : summary.kind === "invoices" ? "documents" : "payments";
      console.log(
        `${summary.dryRun ? "Dry run (nothing written): " : ""}${summary.file} (${summary.format}): ${summary.inserted} ${what} inserted, ${summary.updated} updated, ${summary.skipped} unchanged.`,
      );
      const extra: string[] = [];
      if (summary.kind !== "customers" && d.customers.inserted + d.customers.updated > 0)
        extra.push(`customers: ${d.customers.inserted} created, ${d.customers.updated} updated`);
      if (summary.kind !== "invoices" && d.documents.inserted + d.documents.updated > 0)
        extra.push(`documents: ${d.documents.inserted} inserted, ${d.documents.updated} updated`);
      if (summary.kind !== "payments" && d.payments.inserted + d.payments.updated > 0)
        extra.push(`payments: ${d.payments.inserted} inserted, ${d.payments.updated} updated`);
      if (d.allocations.inserted + d.allocations.updated > 0)
        extra.push(`allocations: ${d.allocations.inserted} created, ${d.allocations.updated} changed`);
      if (d.attachments > 0) extra.push(`${d.attachments} original file(s) attached`);
      if (extra.length > 0) console.log(`  ${extra.join("; ")}`);
      if (summary.matching)
        console.log(
          `  matching: ${summary.matching.matched} payment(s) matched, ${summary.matching.unmatched} to reconcile (relance payments unmatched)`,
        );
      for (const w of summary.warnings) console.log(`  warning: ${w}`);
    });

  const payments = program.command("payments").description("payments received");
  payments
    .command("unmatched")
    .description("payments not (fully) allocated, with the invoices they could pay / encaissements à rapprocher")
    .option("--limit <n>", "how many, newest first", (v) => Number(v), 100)
    .option("--json", "print as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const page = await withOrg(o, (store, actor) => listUnmatchedPayments(store.db, actor, { limit: o.limit as number }));
      if (o.json) return printJson(page);
      if (page.items.length === 0) {
        console.log("No payment to reconcile. / Aucun encaissement à rapprocher.");
        return;
      }
      for (const p of page.items) {
        const who = p.customer ? `${p.customer.name} (${p.customer.ref})` : (p.payerName ?? "unknown payer / payeur inconnu");
        const left = p.unallocated === p.amount ? p.amount : `${p.unallocated} of ${p.amount}`;
        console.log(`#${p.id}  ${p.date}  ${left} ${p.currency}  ${who}  ${p.reference ?? ""}`.trimEnd());
        for (const s of p.suggestions)
          console.log(
            `    → ${s.documents.map((d) => `${d.number} (${d.outstanding})`).join(" + ")}  [${s.score}] ${s.reasons.map((r) => r.message).join("; ")}`,
          );
      }
      if (page.nextCursor) console.log(`… more: --limit ${(o.limit as number) * 2}`);
    });
}
