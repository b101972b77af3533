import { fromCents, toCents } from "./decimal.js";

export interface SuggestedDoc {
  id: number;
  number: string;
  dueDate: string;
  outstanding: string;
}

const minBig = (a: bigint, b: bigint) => (a < b ? a : b);

/** Amounts to allocate to each document, oldest due first, never more than the payment has left. */
export function planAllocation(unallocated: string, docs: SuggestedDoc[]): { documentId: number; amount: string }[] {
  let left = toCents(unallocated);
  const out: { documentId: number; amount: string }[] = [];
  for (const d of [...docs].sort((a, b) => a.dueDate.localeCompare(b.dueDate))) {
    if (left <= 0n) break;
    const owed = toCents(d.outstanding);
    if (owed <= 0n) continue;
    const amount = minBig(owed, left);
    out.push({ documentId: d.id, amount: fromCents(amount) });
    left -= amount;
  }
  return out;
}
