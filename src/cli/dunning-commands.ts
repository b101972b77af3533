import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { isIsoDate } from "../domain/dates.js";
import { AppError } from "../errors.js";
import { type GlobalOptions, printJson, withOrg } from "./context.js";
import { progressBar } from "./progress.js";
import { registerSettingsCommands } from "./settings-commands.js";

// Delivery (nodemailer, PDF letters, templates) is loaded by these commands only, not by
// every `relance` command that registers them.
const loadRunDunning = async () => (await import("../services/run-dunning.js")).runDunning;
const loadRecordBounce = async () => (await import("../services/record-bounce.js")).recordBounce;

/** Chase commands: `relance dunning run …` and `relance settings …`. */
export function registerChaseCommands(program: Command): void {
  registerSettingsCommands(program);
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
  const dunning = program.command("dunning").description("reminders (relances): plan and send what is due");

  dunning
    .command("run")
    .description("plan the reminders due at a date and deliver them; a second run for the same date sends nothing new")
    .option("--as-of <date>", "date of the run, YYYY-MM-DD (default today, Europe/Paris)")
    .option("--dry-run", "print what would be sent; write nothing")
    .option("--json", "print the result as JSON")
    .action(async (_o, cmd: Command) => {
      const o = globals(cmd);
      const asOf = o.asOf as string | undefined;
      if (asOf !== undefined && !isIsoDate(asOf)) throw new AppError("usage", `--as-of must be a date YYYY-MM-DD, got "${asOf}"`);
      const runDunning = await loadRunDunning();
      // A first run over a large ledger records and sends thousands of messages.
      const bar = await progressBar({
        labels: { record: "recording / enregistrement", send: "sending / envoi" },
        unit: "messages",
        minTotal: 200,
      });
      let report: Awaited<ReturnType<typeof runDunning>>;
      try {
        report = await withOrg(o, (store, actor) =>
          runDunning(store, actor, { asOf, dryRun: Boolean(o.dryRun), onProgress: bar ? (p) => bar.update(p) : undefined }),
        );
      } finally {
        bar?.stop();
      }
      const { result, delivery } = report;
      const notes: string[] = [];
      if (delivery?.transport.kind === "file" && delivery.outcomes.some((x) => x.channel === "email" && x.status === "sent")) {
        notes.push(`SMTP_URL is not set: emails were written as .eml files in ${delivery.transport.description}`);
      }
      const letters = delivery?.outcomes.filter((x) => x.channel === "letter" && x.status === "sent").length ?? 0;
      if (letters > 0)
        notes.push(`${letters} letter(s) to print: PDF files in the outbox's letters directory and in the API (/api/dunning/messages)`);
      for (const x of delivery?.outcomes ?? []) {
        if (x.status === "failed") notes.push(`message ${x.outboxId} failed: ${x.error}`);
        for (const w of x.warnings ?? []) notes.push(`warning (message ${x.outboxId}): ${w}`);
      }
      if (o.json) {
        printJson(result);
        for (const n of notes) process.stderr.write(`relance: ${n}\n`);
        return;
      }
      const s = result.skipped;
      console.log(
        `${o.dryRun ? "Dry run — nothing written. " : ""}Dunning as of ${result.asOf}: ${result.planned} message(s) planned, ${result.sent} sent, ${result.failed} failed.`,
      );
      console.log(
        `Held back (documents): ${s.dispute} disputed, ${s.promise} under a promise to pay, ${s.hold} on hold, ${s.minimum} below the minimum.`,
      );
      for (const m of result.messages) {
        console.log(`  ${m.customer} ${m.customerName} — ${m.step} (${m.channel}): ${m.documents.join(", ")} — ${m.total} — ${m.status}`);
      }
      for (const n of notes) console.log(n);
    });

  dunning
    .command("bounce")
    .description(
      "read bounces (.eml: RFC 3464 delivery reports or plain-text bounces) and mark the reminders they name as failed, with a task for the collector",
    )
    .argument("<files...>", "bounce messages as .eml files")
    .option("--json", "print the result as JSON")
    .action(async (files: string[], _o, cmd: Command) => {
      const o = globals(cmd);
      // Every file is read before anything is recorded: a missing file changes nothing.
      const messages = await Promise.all(
        files.map(async (file) => {
          try {
            return { file, raw: await readFile(file) };
          } catch (error) {
            throw new AppError(
              "invalid_input",
              `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
            );
          }
        }),
      );
      const recordBounce = await loadRecordBounce();
      const results = await withOrg(o, async (store, actor) => {
        const out = [];
        for (const m of messages) out.push({ file: m.file, ...(await recordBounce(store.db, actor, m.raw)) });
        return out;
      });
      if (o.json) {
        printJson({ changed: results.filter((r) => r.changed).length, results });
        return;
      }
      for (const r of results) console.log(`${r.file}: ${r.detail}`);
      console.log(`${results.filter((r) => r.changed).length} of ${results.length} bounce(s) changed something.`);
    });
}
