import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface CliResult {
  /** Exit code; null only when the process was killed (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = "src/cli/main.ts";

/**
 * Runs `relance ARGS` as a real child process (`node --import tsx src/cli/main.ts`), the way a
 * user would, with a clean database environment: DATABASE_URL and RELANCE_DATA_DIR come only
 * from `env`, never from the environment running the tests.
 */
export function runCli(args: string[], env: Record<string, string> = {}, options: { timeoutMs?: number } = {}): Promise<CliResult> {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.RELANCE_DATA_DIR;
  delete base.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
      cwd: ROOT,
      env: { ...base, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `--json` prints exactly one JSON object on stdout: parse it, failing loudly when it is not. */
export function jsonOf<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}
