import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { AppError } from "../errors.js";
import { getSettings, isSettingKey, SETTING_KEYS, settingsHelp, updateSettings } from "../services/settings.js";
import { type GlobalOptions, printJson, withOrg } from "./context.js";

const show = (v: unknown) =>
  v === null || v === undefined
    ? "(not set)"
    : typeof v === "object"
      ? JSON.stringify(v)
      : typeof v === "string" && v.startsWith("data:image/")
        ? `(image, ${Math.ceil((v.length * 3) / 4 / 1024)} KB)`
        : String(v);

/** The logo is given as a file on the command line; the setting holds it as a data: URL. */
async function settingValue(key: string, value: string): Promise<string> {
  if (key !== "company.logo" || value === "" || value.startsWith("data:")) return value;
  const bytes = await readFile(value).catch((error: NodeJS.ErrnoException) => {
    throw new AppError("invalid_input", `cannot read ${value}: ${error.code === "ENOENT" ? "no such file" : error.message}`);
  });
  const type = /\.png$/i.test(value) ? "image/png" : "image/jpeg";
  return `data:${type};base64,${bytes.toString("base64")}`;
}

/** `relance settings set KEY VALUE | get [KEY] [--json]`. */
export function registerSettingsCommands(program: Command): void {
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
  const settings = program
    .command("settings")
    .description("organisation settings (company, bank, mail, base_url, dunning schedule, webhook, penalty rates)")
    .addHelpText(
      "after",
      `\nKeys:\n${settingsHelp()
        .map((h) => `  ${h.key.padEnd(22)} ${h.help}${h.default !== null ? ` (default ${JSON.stringify(h.default)})` : ""}`)
        .join("\n")}\n`,
    );

  settings
    .command("set <key> <value>")
    .description('set a setting ("" clears it); JSON for penalties.rates, e.g. \'{"2026-H2":"12.15"}\'')
    .option("--json", "print the settings as JSON")
    .action(async (key: string, value: string, _o, cmd: Command) => {
      const o = globals(cmd);
      const after = await withOrg(o, async (store, actor) => updateSettings(store.db, actor, { [key]: await settingValue(key, value) }));
      if (o.json) return printJson({ [key]: after[key as keyof typeof after] ?? null });
      console.log(`${key} = ${show(after[key as keyof typeof after])}`);
    });

  settings
    .command("get [key]")
    .description("print one setting, or all of them (secrets masked)")
    .option("--json", "print as JSON")
    .action(async (key: string | undefined, _o, cmd: Command) => {
      const o = globals(cmd);
      if (key !== undefined && !isSettingKey(key))
        throw new AppError("usage", `unknown setting "${key}"; known: ${SETTING_KEYS.join(", ")}`);
      const all = await withOrg(o, (store, actor) => getSettings(store.db, actor));
      const picked = key ? { [key]: all[key as keyof typeof all] } : all;
      if (o.json) return printJson(picked);
      for (const [k, v] of Object.entries(picked)) console.log(`${k} = ${show(v)}`);
    });
}
