import { z } from "zod";
import { isIsoDate } from "../domain/dates.js";
import { parseMoney, toDecimalString } from "../domain/money.js";

/** Shared zod pieces of the route schemas, so the OpenAPI document says the same everywhere. */
export const IdParam = z.object({ id: z.coerce.number().int().positive() });
export const IsoDateSchema = z.string().refine(isIsoDate, "expected a date YYYY-MM-DD");
/** Money in: a decimal string such as "1234.56" (also "1234,56"); out: always "1234.56". */
export const MoneyIn = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseMoney(String(v));
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});
export const money = (cents: number | null | undefined) => (cents === null || cents === undefined ? null : toDecimalString(cents));
export const BoolQuery = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
export const Limit = z.coerce.number().int().min(1).max(500).optional();
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  code: z.string(),
  detail: z.string(),
  instance: z.string().optional(),
  problems: z.array(z.object({ field: z.string().optional(), line: z.number().optional(), message: z.string() })).optional(),
});
