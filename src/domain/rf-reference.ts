/**
 * ISO 11649 structured creditor references ("RF references"): `RF` + 2 check digits + a
 * reference of 1 to 21 letters or digits, 25 characters at most. Check (ISO 7064 MOD 97-10):
 * move the first four characters to the end, replace letters by numbers (A = 10 … Z = 35), and
 * the result modulo 97 must be 1. Written electronically without spaces (`RF18539007547034`),
 * printed in groups of four (`RF18 5390 0754 7034`).
 *
 * References Relance issues for its own documents (`rfForDocument`) — the scheme, fixed so that
 * the reference of a document never changes:
 *   reference = orgTag + documentPart
 *   orgTag    = L + T, T = the organisation id in base 36 (upper case), L = its length, written
 *               as a digit (1–9) when documentPart is readable, as a letter (A = 1 … I = 9)
 *               when it is hashed — so both forms never collide;
 *   documentPart (readable) = the document number in upper case with spaces and the separators
 *               `- / . _` removed, when that leaves only A–Z 0–9 and fits (21 − orgTag length);
 *   documentPart (hashed)   = otherwise, 10–11 base-36 characters of a 52-bit FNV-1a hash of
 *               the document number as written (accents, long numbers).
 * Example: org 1, invoice "FA-2024-0042" → base "11FA20240042" → `RF75 11FA 2024 0042`. Two document numbers that differ only by separators ("FA-1" and "FA1") get
 * the same reference: the matcher then sees two documents for one reference and only suggests.
 */

const MAX_LENGTH = 25;

/** Removes spaces and upper-cases: the electronic form. */
export function compactRf(s: string): string {
  return s.replace(/\s+/g, "").toUpperCase();
}

/** Remainder modulo 97 of an alphanumeric string read with A = 10 … Z = 35, computed piecewise. */
function mod97(s: string): number {
  let r = 0;
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    const v = code >= 48 && code <= 57 ? code - 48 : code - 55; // '0'..'9' or 'A'..'Z'
    r = v >= 10 ? (r * 100 + v) % 97 : (r * 10 + v) % 97;
  }
  return r;
}

/** True for a well-formed ISO 11649 reference (spaces allowed, any case); false otherwise. */
export function isValidRfReference(s: string): boolean {
  const c = compactRf(s);
  if (c.length < 5 || c.length > MAX_LENGTH) return false;
  if (!/^RF\d{2}[A-Z0-9]+$/.test(c)) return false;
  return mod97(c.slice(4) + c.slice(0, 4)) === 1;
}

/** `RF` + check digits + base. The base: 1 to 21 letters or digits (spaces ignored, any case). */
export function makeRfReference(base: string): string {
  const b = compactRf(base);
  if (!/^[A-Z0-9]{1,21}$/.test(b)) {
    throw new RangeError(`RF reference base must be 1 to 21 letters or digits, got "${base}"`);
  }
  const check = 98 - mod97(`${b}RF00`);
  return `RF${String(check).padStart(2, "0")}${b}`;
}

/** Printed form: groups of four characters (`RF18 5390 0754 7034`). */
export function formatRf(s: string): string {
  return (
    compactRf(s)
      .match(/.{1,4}/g)
      ?.join(" ") ?? ""
  );
}

/** Every valid RF reference written in a free text (with or without its printed spaces), in order. */
export function findRfReferences(text: string): string[] {
  const found: string[] = [];
  const upper = text.toUpperCase();
  const re = /(?<![A-Z0-9])RF\d{2}(?:[ ]?[A-Z0-9]){1,21}/g;
  for (let m = re.exec(upper); m; m = re.exec(upper)) {
    // The printed form may be followed by another word: try the longest valid prefix (whole groups first).
    const candidate = m[0];
    let accepted: string | null = null;
    for (let end = candidate.length; end >= 5; end--) {
      const piece = candidate.slice(0, end);
      const next = upper[m.index + end];
      if (piece.endsWith(" ") || (next !== undefined && /[A-Z0-9]/.test(next))) continue; // cut inside a word
      if (isValidRfReference(piece)) {
        accepted = compactRf(piece);
        break;
      }
    }
    if (accepted && !found.includes(accepted)) found.push(accepted);
  }
  return found;
}

/** 64-bit FNV-1a over UTF-16 code units, keeping its top 52 bits (exact in a JS number). */
function hash52(s: string): number {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (let i = 0; i < s.length; i++) {
    h ^= BigInt(s.charCodeAt(i));
    h = (h * prime) & 0xffffffffffffffffn;
  }
  return Number(h >> 12n);
}

/**
 * The RF reference Relance prints on a document (payment slip, EPC QR code) — deterministic,
 * so it never needs storing: see the module comment for the scheme.
 */
export function rfForDocument(orgId: string | number | bigint, documentNumber: string): string {
  const tag = BigInt(orgId).toString(36).toUpperCase();
  if (tag.length > 9 || tag.startsWith("-")) throw new RangeError(`organisation id out of range: ${orgId}`);
  const readable = documentNumber
    .trim()
    .toUpperCase()
    .replace(/[\s\-/._]+/g, "");
  const room = 21 - 1 - tag.length;
  if (readable !== "" && /^[A-Z0-9]+$/.test(readable) && readable.length <= room) {
    return makeRfReference(`${tag.length}${tag}${readable}`);
  }
  const hashed = hash52(documentNumber.trim()).toString(36).toUpperCase().padStart(10, "0");
  return makeRfReference(`${String.fromCharCode(64 + tag.length)}${tag}${hashed}`);
}
