import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import multipart from "@fastify/multipart";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../../errors.js";
import {
  IMPORT_FORMATS,
  IMPORT_KINDS,
  type ImportFormat,
  type ImportKind,
  importFile,
  listImports,
  presentSummary,
} from "../../services/import-file.js";
import { listUnmatchedPayments } from "../../services/match-payments.js";
import { actorOf } from "../auth.js";

/** Largest file accepted by upload (the import itself streams: memory stays bounded). */
export const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

const Fields = z.object({
  kind: z.enum(IMPORT_KINDS),
  format: z.enum(IMPORT_FORMATS).default("auto"),
  dryRun: z
    .enum(["true", "false", "1", "0", "on", ""])
    .default("false")
    .transform((v) => v === "true" || v === "1" || v === "on"),
});

function presentBatch(b: Awaited<ReturnType<typeof listImports>>["items"][number]) {
  return {
    id: b.id,
    kind: b.kind,
    format: b.format,
    file: b.file_name,
    sha256: b.file_hash,
    size: b.file_size,
    inserted: b.inserted,
    updated: b.updated,
    skipped: b.skipped,
    details: b.details,
    warnings: b.warnings,
    by: b.actor_label,
    createdAt: b.created_at,
    updatedAt: b.updated_at,
  };
}

export async function importRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, parts: 20 } });

  r.post(
    "/api/imports",
    {
      schema: {
        tags: ["imports"],
        summary: "Import a file (multipart: file, kind, format, dryRun) — same summary as `relance import --json`",
        description:
          "kind: customers | invoices | payments; format: auto (default) | csv | xlsx | fec | facturx | ubl | cii | camt | cfonb | mt940; " +
          "dryRun: true to check and count without writing. An invalid file answers 400 with every problem (line, field, message) and writes nothing.",
        consumes: ["multipart/form-data"],
      },
    },
    async (request) => {
      const actor = actorOf(request, "ledger:write");
      if (!request.isMultipart())
        throw new AppError("invalid_input", "send the file as multipart/form-data", [
          { field: "file", message: "multipart/form-data expected" },
        ]);
      const dir = await mkdtemp(path.join(tmpdir(), "relance-upload-"));
      try {
        const fields: Record<string, string> = {};
        let file: { path: string; name: string } | null = null;
        for await (const part of request.parts()) {
          if (part.type === "file") {
            if (file) throw new AppError("invalid_input", "one file per import", [{ field: "file", message: "only one file is accepted" }]);
            const name = path.basename(part.filename || "upload");
            const target = path.join(dir, randomBytes(8).toString("hex"));
            await pipeline(part.file, createWriteStream(target));
            if (part.file.truncated)
              throw new AppError("invalid_input", `the file is larger than ${MAX_UPLOAD_BYTES / 1048576} MB`, [
                { field: "file", message: "too large" },
              ]);
            file = { path: target, name };
          } else fields[part.fieldname] = String(part.value ?? "");
        }
        if (!file) throw new AppError("invalid_input", "no file in the request", [{ field: "file", message: "missing file part" }]);
        const parsed = Fields.safeParse(fields);
        if (!parsed.success) {
          throw new AppError(
            "invalid_input",
            "invalid import fields",
            parsed.error.issues.map((i) => ({ field: i.path.join(".") || "body", message: i.message })),
          );
        }
        const summary = await importFile(app.store, actor, {
          kind: parsed.data.kind as ImportKind,
          format: parsed.data.format as ImportFormat,
          dryRun: parsed.data.dryRun,
          path: file.path,
          filename: file.name,
        });
        return presentSummary(summary);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  r.get(
    "/api/imports",
    {
      schema: {
        tags: ["imports"],
        summary: "History of imported files, newest first",
        querystring: z.object({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(200).optional() }),
      },
    },
    async (request) => {
      const page = await listImports(app.store, actorOf(request), request.query);
      return { items: page.items.map(presentBatch), nextCursor: page.nextCursor };
    },
  );

  r.get(
    "/api/payments/unmatched",
    {
      schema: {
        tags: ["payments"],
        summary: "Payments to reconcile (not fully allocated), with the invoices they could pay",
        querystring: z.object({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).optional() }),
      },
    },
    async (request) => listUnmatchedPayments(app.store.db, actorOf(request), request.query),
  );
}
