#!/usr/bin/env node
import { Command, CommanderError, Option } from "commander";
import { AppError } from "../errors.js";
import { registerCommands } from "./commands.js";
import { registerChaseCommands } from "./dunning-commands.js";
import { registerImportCommands } from "./import-commands.js";
import { registerReportCommands } from "./report-commands.js";

const program = new Command();
program
  .name("relance")
  .description("Relance — accounts-receivable collections and DSO (recouvrement et DSO)")
  .version("0.1.0")
  .addOption(new Option("--data <dir>", "embedded database directory (env RELANCE_DATA_DIR, default ./data)"))
  .addOption(new Option("--org <slug>", "organisation, when several exist"))
  .showHelpAfterError()
  .exitOverride();

registerCommands(program);
registerChaseCommands(program);
registerImportCommands(program);
registerReportCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end here too; everything else is a usage error (exit 2).
    return error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help" ? 0 : 2;
  }
  if (error instanceof AppError) {
    process.stderr.write(`relance: ${error.message}\n`);
    for (const p of error.problems) {
      const where = [p.line !== undefined ? `line ${p.line}` : "", p.field ?? ""].filter(Boolean).join(", ");
      process.stderr.write(`  ${where ? `${where}: ` : ""}${p.message}\n`);
    }
    return error.exitCode;
  }
  process.stderr.write(`relance: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}
