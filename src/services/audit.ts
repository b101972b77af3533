import type { Kysely, Transaction } from "kysely";
import type { Database } from "../store/schema.js";
import type { Actor } from "./actor.js";

/** Writes one audit row; call it inside the transaction of the write it records. */
export async function audit(
  trx: Kysely<Database> | Transaction<Database>,
  actor: Actor,
  action: string,
  entity: string,
  entityId: number | string | null,
  data: Record<string, unknown> = {},
): Promise<void> {
  await trx
    .insertInto("audit_log")
    .values({
      org_id: actor.orgId,
      actor_user_id: actor.userId,
      actor_api_key_id: actor.apiKeyId,
      actor_label: actor.label,
      action,
      entity,
      entity_id: entityId === null ? null : String(entityId),
      data: JSON.stringify(data),
    })
    .execute();
}
