import { describe, expect, it } from "vitest";
import { buildPortalLink, signPortalToken, verifyPortalToken } from "./link.js";

describe("signed portal links", () => {
  const secret = "k".repeat(43);
  it("verifies its own tokens and rejects tampered, foreign or expired ones", () => {
    const now = new Date("2026-03-03T10:00:00Z");
    const link = buildPortalLink("https://relance.example/", secret, 7, 42, { now, expiresDays: 30 });
    expect(link).toMatch(/^https:\/\/relance\.example\/p\/[\w-]+\.[\w-]+$/);
    const token = link.split("/p/")[1] as string;
    expect(verifyPortalToken(secret, token, now)).toEqual({ o: 7, c: 42, e: Date.UTC(2026, 3, 3) / 1000 }); // 31 days after 3 March 00:00
    expect(verifyPortalToken("x".repeat(43), token, now)).toBeNull();
    const forged = signPortalToken("x".repeat(43), { o: 7, c: 43, e: 2e9 });
    expect(verifyPortalToken(secret, `${token.split(".")[0]}.${forged.split(".")[1]}`, now)).toBeNull();
    expect(verifyPortalToken(secret, token, new Date("2026-04-03T00:00:01Z"))).toBeNull();
    // The same link all day long.
    expect(buildPortalLink("https://relance.example", secret, 7, 42, { now: new Date("2026-03-03T23:59:00Z"), expiresDays: 30 })).toBe(
      link,
    );
  });
});
