/**
 * The closed list of error codes, mapped once to an HTTP status (problem details,
 * RFC 9457) and to a CLI exit code (DESIGN §4: 1 unexpected, 2 usage, 3 invalid input).
 */
export const ERROR_CODES = {
  invalid_input: { status: 400, exit: 3, title: "Invalid input" },
  unauthenticated: { status: 401, exit: 1, title: "Authentication required" },
  forbidden: { status: 403, exit: 1, title: "Forbidden" },
  not_found: { status: 404, exit: 1, title: "Not found" },
  conflict: { status: 409, exit: 3, title: "Conflict" },
  usage: { status: 400, exit: 2, title: "Usage error" },
  unavailable: { status: 503, exit: 1, title: "Service unavailable" },
  internal: { status: 500, exit: 1, title: "Internal error" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface Problem {
  line?: number;
  field?: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = "AppError";
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);
export const invalid = (message: string, problems: Problem[] = []) => new AppError("invalid_input", message, problems);
export const forbidden = (message = "your role does not allow this action") => new AppError("forbidden", message);
export const conflict = (message: string) => new AppError("conflict", message);
