// tsc compiles TypeScript only: copy the SQL migrations next to the compiled store.
import { cp } from "node:fs/promises";

await cp(new URL("../src/store/migrations/", import.meta.url), new URL("../dist/store/migrations/", import.meta.url), { recursive: true });
