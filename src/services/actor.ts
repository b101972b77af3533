import { forbidden } from "../errors.js";
import type { Role } from "../store/schema.js";

/** Who is acting, in which organisation, with which role: every service call receives one. */
export interface Actor {
  orgId: number;
  role: Role;
  userId: number | null;
  apiKeyId: number | null;
  /** For the audit log: the user's email, `apikey:NAME`, or `cli`. */
  label: string;
}

export const ROLES: readonly Role[] = ["owner", "admin", "collector", "accountant", "viewer"];

/**
 * What each role may do. Viewers read; collectors chase (customers, notes, tasks, promises);
 * accountants keep the books (documents, payments, allocations, imports); admins do all of
 * that plus users, keys and settings; owners are admins who cannot be demoted by admins.
 */
const PERMISSIONS = {
  read: ["owner", "admin", "collector", "accountant", "viewer"],
  "customers:write": ["owner", "admin", "collector", "accountant"],
  "collect:write": ["owner", "admin", "collector"],
  "ledger:write": ["owner", "admin", "accountant"],
  admin: ["owner", "admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

export function requirePermission(actor: Actor, permission: Permission): void {
  if (!can(actor.role, permission)) throw forbidden(`the ${actor.role} role cannot do this (${permission})`);
}

/** The actor of CLI commands run by whoever has access to the server's data. */
export function cliActor(orgId: number): Actor {
  return { orgId, role: "owner", userId: null, apiKeyId: null, label: "cli" };
}
