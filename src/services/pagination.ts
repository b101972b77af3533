import { invalid } from "../errors.js";

/** Opaque keyset cursor: the sort value and id of the last row of the previous page. */
export function encodeCursor(value: string | number | null, id: number): string {
  return Buffer.from(JSON.stringify([value, id])).toString("base64url");
}

export function decodeCursor(cursor: string): { value: string | number | null; id: number } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === "number") {
      return { value: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw invalid("invalid cursor", [{ field: "cursor", message: "use the nextCursor of a previous page" }]);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
