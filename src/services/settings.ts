/**
 * Organisation settings: typed keys validated with zod, stored flat in orgs.settings
 * (jsonb, {"company.name": "…", …}). One definition per key serves the CLI
 * (`relance settings set KEY VALUE | get [KEY]`), the API (GET/PATCH /api/settings) and the
 * code that reads them (`readSettings`). Secrets are masked when read back.
 */
import { Cron } from "croner";
import { sql } from "kysely";
import { z } from "zod";
import { formatRate, isHalfYear, parseRatePercent } from "../domain/penalties.js";
import { AppError, invalid, type Problem } from "../errors.js";
import type { Db } from "../store/connect.js";
import { type Actor, requirePermission } from "./actor.js";
import { audit } from "./audit.js";

const email = z.string().trim().email("not an email address");
/** `Name <address>` or a bare address. */
const mailbox = z
  .string()
  .trim()
  .refine(
    (s) => /^[^<>]*<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>$/.test(s) || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s),
    "expected an address or Name <address>",
  );
const httpUrl = z
  .string()
  .trim()
  .url("not a URL")
  .refine((s) => /^https?:\/\//.test(s), "http or https URL expected")
  .transform((s) => s.replace(/\/+$/, ""));

/** IBAN: letters and digits, checked with ISO 13616 mod 97; stored without spaces. */
export function isValidIban(input: string): boolean {
  const s = input.replace(/\s+/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(s)) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const v = ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest === 1;
}

const iban = z
  .string()
  .transform((s) => s.replace(/\s+/g, "").toUpperCase())
  .refine(isValidIban, "invalid IBAN (check digits)");
const bic = z
  .string()
  .transform((s) => s.replace(/\s+/g, "").toUpperCase())
  .refine((s) => /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(s), "invalid BIC (8 or 11 characters)");
const cron = z
  .string()
  .trim()
  .refine((s) => {
    try {
      new Cron(s, { paused: true, timezone: "Europe/Paris" }).stop();
      return true;
    } catch {
      return false;
    }
  }, 'invalid cron expression (e.g. "0 9 * * 1-5")');
const timeZone = z
  .string()
  .trim()
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "unknown time zone");
const window = z
  .string()
  .trim()
  .refine((s) => {
    const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/.exec(s);
    return Boolean(m && `${m[1]}:${m[2]}` < `${m[3]}:${m[4]}`);
  }, 'expected a window such as "08:00-19:00"');
/** {"2026-H2": "12.15"}: late-payment rates (ECB + 10 points) for half-years after the shipped table. */
const rates = z.union([z.string(), z.record(z.string(), z.union([z.string(), z.number()]))]).transform((v, ctx) => {
  let obj: unknown = v;
  if (typeof v === "string") {
    try {
      obj = JSON.parse(v);
    } catch {
      ctx.addIssue({ code: "custom", message: 'expected JSON such as {"2026-H2":"12.15"}' });
      return z.NEVER;
    }
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) {
    ctx.addIssue({ code: "custom", message: 'expected an object such as {"2026-H2":"12.15"}' });
    return z.NEVER;
  }
  const out: Record<string, string> = {};
  for (const [k, r] of Object.entries(obj as Record<string, unknown>)) {
    if (!isHalfYear(k)) {
      ctx.addIssue({ code: "custom", message: `"${k}" is not a half-year such as 2026-H2` });
      return z.NEVER;
    }
    try {
      const bp = parseRatePercent(String(r));
      out[k] = `${Math.trunc(bp / 100)}.${String(bp % 100).padStart(2, "0")}`;
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  }
  return out;
});
/** A percentage such as "15.00" or "15,5" → "15.50" (two decimals, above 0, at most 100). */
const percent = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    const bp = parseRatePercent(v);
    if (bp > 0) return formatRate(bp);
    ctx.addIssue({ code: "custom", message: "must be above 0 %" });
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
  return z.NEVER;
});
/** Largest logo accepted: it travels in every letter. */
export const LOGO_MAX_BYTES = 256 * 1024;
const LOGO_URL = /^data:(image\/png|image\/jpeg);base64,([A-Za-z0-9+/=\s]+)$/;

/** The image of a `company.logo` data URL, or null. PNG and JPEG only: an SVG can carry scripts. */
export function logoImage(value: string | undefined): { type: "image/png" | "image/jpeg"; bytes: Buffer } | null {
  const m = value ? LOGO_URL.exec(value) : null;
  if (!m) return null;
  const bytes = Buffer.from(m[2] as string, "base64");
  const png = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const jpeg = bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]));
  if (m[1] === "image/png" ? !png : !jpeg) return null;
  return { type: m[1] as "image/png" | "image/jpeg", bytes };
}

const logo = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const image = logoImage(s);
    if (!image) {
      ctx.addIssue({ code: "custom", message: "a PNG or JPEG image, as data:image/png;base64,… (the file's content matching its type)" });
      return z.NEVER;
    }
    if (image.bytes.length > LOGO_MAX_BYTES) {
      ctx.addIssue({
        code: "custom",
        message: `at most ${LOGO_MAX_BYTES / 1024} KB (this one: ${Math.ceil(image.bytes.length / 1024)} KB)`,
      });
      return z.NEVER;
    }
    return `data:${image.type};base64,${image.bytes.toString("base64")}`;
  });
const bool = z
  .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])])
  .transform((v) => v === true || v === "true" || v === "1" || v === "yes");

export const SETTINGS = {
  "company.name": { schema: z.string().trim().min(1).max(200), help: "legal name shown on reminders and letters" },
  "company.address": { schema: z.string().trim().max(500), help: 'postal address, lines separated by "\\n" or ","' },
  "company.siren": { schema: z.string().regex(/^\d{9}$/, "9 digits"), help: "SIREN number" },
  "company.vat_number": { schema: z.string().trim().max(20), help: "intra-community VAT number" },
  "company.phone": { schema: z.string().trim().max(40), help: "phone shown in signatures" },
  "company.email": { schema: email, help: "accounts receivable contact address" },
  "company.logo": { schema: logo, help: "logo on letters and in the app: PNG or JPEG, at most 256 KB (CLI: a file path)" },
  "bank.iban": { schema: iban, help: "IBAN for transfers" },
  "bank.bic": { schema: bic, help: "BIC of the bank" },
  "bank.beneficiary": { schema: z.string().trim().min(1).max(140), help: "account holder" },
  "mail.from": { schema: mailbox, help: "sender of reminders, e.g. Comptabilité <compta@example.fr>" },
  "mail.reply_to": { schema: email, help: "reply-to when the customer has no assigned collector" },
  "mail.test_redirect": { schema: email, help: "test mode: every email goes to this address instead" },
  base_url: { schema: httpUrl, help: "public URL of Relance (payment links)" },
  "dunning.enabled": { schema: bool, help: "scheduled runs on/off", default: true },
  "dunning.schedule": { schema: cron, help: "cron of scheduled runs", default: "0 9 * * 1-5" },
  "dunning.timezone": { schema: timeZone, help: "time zone of the schedule and of dates", default: "Europe/Paris" },
  "dunning.window": { schema: window, help: "hours when scheduled sending is allowed", default: "08:00-19:00" },
  "dunning.alsace_moselle": { schema: bool, help: "Good Friday and 26 December are holidays too", default: false },
  "webhook.url": { schema: httpUrl, help: "URL receiving webhook-channel steps (POST JSON)" },
  "webhook.secret": { schema: z.string().min(16, "at least 16 characters"), help: "HMAC-SHA256 key of webhook signatures", secret: true },
  "penalties.rates": { schema: rates, help: 'extra late-payment rates per half-year, e.g. {"2026-H2":"12.15"}', default: {} },
  "penalties.contractual_rate": {
    schema: percent,
    help: "late-payment rate set by your terms of sale, in percent (e.g. 15.00), instead of the ECB rate + 10 points; never below 3 × the legal interest rate (applied per half-year); a customer's own rate overrides it",
  },
  "portal.secret": { schema: z.string().min(32, "at least 32 characters"), help: "key signing payment links", secret: true },
} as const satisfies Record<string, { schema: z.ZodType; help: string; default?: unknown; secret?: boolean }>;

export type SettingKey = keyof typeof SETTINGS;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
export type Settings = {
  [K in SettingKey]: z.output<(typeof SETTINGS)[K]["schema"]> | ("default" extends keyof (typeof SETTINGS)[K] ? never : undefined);
};

const MASK = "********";

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

function isSecret(key: SettingKey): boolean {
  return "secret" in SETTINGS[key] && Boolean((SETTINGS[key] as { secret?: boolean }).secret);
}

/** Typed settings with defaults; stored values that no longer validate fall back to the default. */
export function parseSettings(stored: Record<string, unknown>): Settings {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const def = SETTINGS[key] as { schema: z.ZodType; default?: unknown };
    const raw = stored[key];
    const parsed = raw === undefined || raw === null ? null : def.schema.safeParse(raw);
    out[key] = parsed?.success ? parsed.data : def.default;
  }
  return out as Settings;
}

/** Settings for internal use (no permission check: callers are services acting for the org). */
export async function readSettings(db: Db, orgId: number): Promise<Settings> {
  const row = await db.selectFrom("orgs").select("settings").where("id", "=", orgId).executeTakeFirst();
  return parseSettings(row?.settings ?? {});
}

/** Settings as shown to a user: secrets masked, unset keys null. */
export async function getSettings(db: Db, actor: Actor): Promise<Record<SettingKey, unknown>> {
  requirePermission(actor, "read");
  const row = await db.selectFrom("orgs").select("settings").where("id", "=", actor.orgId).executeTakeFirst();
  const stored = row?.settings ?? {};
  const typed = parseSettings(stored);
  const out = {} as Record<SettingKey, unknown>;
  for (const key of SETTING_KEYS) {
    const value = typed[key];
    out[key] = isSecret(key) ? (stored[key] ? MASK : null) : (value ?? null);
  }
  return out;
}

/** Parses one value as typed on a command line (JSON for objects, "true"/"false"…). */
function validate(key: string, value: unknown, problems: Problem[]): unknown {
  if (!isSettingKey(key)) {
    problems.push({ field: key, message: `unknown setting; known: ${SETTING_KEYS.join(", ")}` });
    return undefined;
  }
  if (value === null || value === "") return null;
  const parsed = SETTINGS[key].schema.safeParse(value);
  if (!parsed.success) {
    problems.push({ field: key, message: parsed.error.issues[0]?.message ?? "invalid value" });
    return undefined;
  }
  return parsed.data;
}

/**
 * Sets several keys at once (null or "" clears a key), in one transaction with its audit
 * row; secrets are not written to the audit log.
 */
export async function updateSettings(db: Db, actor: Actor, changes: Record<string, unknown>): Promise<Record<SettingKey, unknown>> {
  requirePermission(actor, "admin");
  const problems: Problem[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) values[key] = validate(key, value, problems);
  if (problems.length) throw invalid("invalid settings", problems);
  if (Object.keys(values).length === 0) throw invalid("no setting to change");
  await db.transaction().execute(async (trx) => {
    const set = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null));
    const unset = Object.entries(values)
      .filter(([, v]) => v === null)
      .map(([k]) => k);
    const updated = await trx
      .updateTable("orgs")
      .set({ settings: sql`(settings - ${sql.val(unset)}::text[]) || ${JSON.stringify(set)}::jsonb` as never })
      .where("id", "=", actor.orgId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new AppError("not_found", "organisation not found");
    const logged = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, isSettingKey(k) && isSecret(k) && v !== null ? MASK : v]));
    await audit(trx, actor, "update", "settings", actor.orgId, { changes: logged });
  });
  return getSettings(db, actor);
}

/** Internal: stores a generated value (e.g. the portal signing key) if none is set yet; returns the value in force. */
export async function ensureSetting(db: Db, orgId: number, key: SettingKey, make: () => string): Promise<string> {
  const current = (await readSettings(db, orgId))[key];
  if (typeof current === "string" && current) return current;
  const value = make();
  await db
    .updateTable("orgs")
    .set({
      settings: sql`case when settings ? ${key} then settings else settings || ${JSON.stringify({ [key]: value })}::jsonb end` as never,
    })
    .where("id", "=", orgId)
    .execute();
  return String((await readSettings(db, orgId))[key]);
}

export function settingsHelp(): { key: SettingKey; help: string; default: unknown; secret: boolean }[] {
  return SETTING_KEYS.map((key) => ({
    key,
    help: SETTINGS[key].help,
    default: (SETTINGS[key] as { default?: unknown }).default ?? null,
    secret: isSecret(key),
  }));
}
