import type { Kysely, Transaction } from "kysely";
import type { Actor } from "../services/actor.js";
import type { Database } from "../store/schema.js";
import { type ActivityKind, chaseDb } from "./schema.js";

export interface ActivityInput {
  customerId: number;
  documentId?: number | null;
  kind: ActivityKind;
  data?: Record<string, unknown>;
  /** A user/API key (its label), or a system actor such as "dunning" or "portal". */
  actor: Actor | string;
}

/** One row on the customer's timeline; call it inside the transaction of the action it records. */
export async function recordActivity(trx: Kysely<Database> | Transaction<Database>, orgId: number, input: ActivityInput): Promise<number> {
  const actor = input.actor;
  const row = await chaseDb(trx)
    .insertInto("activities")
    .values({
      org_id: orgId,
      customer_id: input.customerId,
      document_id: input.documentId ?? null,
      kind: input.kind,
      data: JSON.stringify(input.data ?? {}),
      actor: typeof actor === "string" ? actor : actor.label,
      actor_user_id: typeof actor === "string" ? null : actor.userId,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}
