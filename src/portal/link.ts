/**
 * Signed payment links to the customer portal: `{base_url}/p/{token}` (DESIGN §4).
 * The token is `base64url(payload).base64url(HMAC-SHA256(payload))` with the organisation's
 * `portal.secret` (generated on first use); the payload holds the org, the customer and an
 * expiry. Built here for the reminders; the portal verifies it with `verifyPortalToken`.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ensureSetting, readSettings } from "../services/settings.js";
import type { Db } from "../store/connect.js";

export interface PortalTokenPayload {
  /** organisation id */
  o: number;
  /** customer id */
  c: number;
  /** expiry, seconds since the epoch */
  e: number;
}

const sign = (secret: string, data: string) => createHmac("sha256", secret).update(data).digest("base64url");

export function signPortalToken(secret: string, payload: PortalTokenPayload): string {
  const data = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${data}.${sign(secret, data)}`;
}

/** The payload of a valid, unexpired token; null otherwise. */
export function verifyPortalToken(secret: string, token: string, now = new Date()): PortalTokenPayload | null {
  const [data, mac] = token.split(".");
  if (!data || !mac) return null;
  const expected = Buffer.from(sign(secret, data));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const p = JSON.parse(Buffer.from(data, "base64url").toString("utf8")) as PortalTokenPayload;
    if (typeof p.o !== "number" || typeof p.c !== "number" || typeof p.e !== "number") return null;
    return p.e * 1000 >= now.getTime() ? p : null;
  } catch {
    return null;
  }
}

export const portalSecret = (db: Db, orgId: number) =>
  ensureSetting(db, orgId, "portal.secret", () => randomBytes(32).toString("base64url"));

/** Base URL of links: the org's base_url setting, else RELANCE_BASE_URL, else the local default. */
export async function portalBaseUrl(db: Db, orgId: number): Promise<string> {
  const settings = await readSettings(db, orgId);
  return (settings.base_url ?? process.env.RELANCE_BASE_URL ?? "http://127.0.0.1:3000").replace(/\/+$/, "");
}

/** The link itself, from a base URL and the signing key (no database access). */
export function buildPortalLink(
  base: string,
  secret: string,
  orgId: number,
  customerId: number,
  options: { expiresDays?: number; now?: Date } = {},
): string {
  // Expiry at a day boundary: the same link all day long (a resent message is identical).
  const day = Math.floor((options.now ?? new Date()).getTime() / 86_400_000);
  const token = signPortalToken(secret, { o: orgId, c: customerId, e: (day + 1 + (options.expiresDays ?? 60)) * 86_400 });
  return `${base.replace(/\/+$/, "")}/p/${token}`;
}

/** `{base}/p/{token}` for a customer, valid `expiresDays` days (default 60) after today. */
export async function portalLink(
  db: Db,
  org: { id: number },
  customer: { id: number },
  options: { expiresDays?: number; now?: Date } = {},
): Promise<string> {
  const secret = await portalSecret(db, org.id);
  return buildPortalLink(await portalBaseUrl(db, org.id), secret, org.id, customer.id, options);
}
