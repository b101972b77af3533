import { afterEach, describe, expect, it } from "vitest";
import { login } from "../src/services/auth.js";
import { addMember } from "../src/services/orgs.js";
import { BACKENDS, openTestDb, type TestDb } from "./helpers/db.js";
import { makeOrg, PASSWORD } from "./helpers/factories.js";

describe.each(BACKENDS)("adding members on %s", (backend) => {
  let t: TestDb;
  afterEach(async () => {
    await t?.dispose();
  });

  it("adds a person who already has an account without changing their password, and says so", async () => {
    t = await openTestDb(backend);
    const a = await makeOrg(t.store, "alpha");
    const b = await makeOrg(t.store, "beta");
    const first = await addMember(t.store.db, a.owner, { email: "expert@cabinet.example", password: PASSWORD, role: "accountant" });
    expect(first.existingAccount).toBe(false);
    const second = await addMember(t.store.db, b.owner, {
      email: "Expert@Cabinet.example",
      password: "another long password",
      role: "viewer",
    });
    expect(second).toMatchObject({ id: first.id, existingAccount: true, role: "viewer" });
    await expect(login(t.store.db, { email: "expert@cabinet.example", password: "another long password" })).rejects.toThrow(
      /wrong email or password/,
    );
    const session = await login(t.store.db, { email: "expert@cabinet.example", password: PASSWORD, org: "beta" });
    expect(session.role).toBe("viewer");
  });
});
