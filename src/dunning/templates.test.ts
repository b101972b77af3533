import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleContext } from "./context.js";
import { SHIPPED_POLICIES } from "./shipped-policies.js";
import { renderStep, renderTemplate, validateTemplates } from "./templates.js";

describe("sandboxed Liquid templates", () => {
  let dir: string;
  let secret: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "relance-tpl-"));
    secret = path.join(dir, "secret.liquid");
    await writeFile(secret, "TOP-SECRET-CONTENT");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses {% include %}, {% render %} and {% layout %} with a clear error, reading no file", async () => {
    for (const source of [`{% include '${secret}' %}`, `{% render '${secret}' %}`, `{% layout '${secret}' %}x`, `{% include 'secret' %}`]) {
      const error = await renderTemplate(source, {}).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/tag is not allowed in reminder templates \(no file access\)/);
      expect((error as Error).message).not.toContain("TOP-SECRET");
    }
  });

  it("fails on an unknown filter or an unknown variable instead of printing a blank", async () => {
    await expect(renderTemplate("{{ customer.name | shout }}", { customer: { name: "A" } })).rejects.toThrow(/undefined filter: shout/);
    await expect(renderTemplate("{{ customer.nmae }}", { customer: { name: "A" } })).rejects.toThrow(/undefined variable: customer\.nmae/);
    await expect(renderTemplate("{{ customer.constructor }}", { customer: { name: "A" } })).rejects.toThrow(/undefined variable/);
  });

  it("keeps the standard filters and tags", async () => {
    expect(
      await renderTemplate("{% for i in list %}{{ i | upcase }}{% unless forloop.last %}, {% endunless %}{% endfor %}", {
        list: ["a", "b"],
      }),
    ).toBe("A, B");
  });

  it("reports every invalid template with its field", async () => {
    const error = await validateTemplates(
      [
        { field: "steps.0.templates.fr.subject", source: "ok {{ customer.name }}" },
        { field: "steps.1.templates.fr.body", source: "{{ customer.name | nope }}" },
      ],
      sampleContext("fr"),
    ).catch((e) => e);
    expect(error.code).toBe("invalid_input");
    expect(error.problems).toEqual([{ field: "steps.1.templates.fr.body", message: expect.stringMatching(/undefined filter: nope/) }]);
  });

  it("renders every shipped template in French and English", async () => {
    for (const p of SHIPPED_POLICIES) {
      for (const s of p.steps) {
        for (const lang of ["fr", "en"] as const) {
          const r = await renderStep(s.templates[lang], sampleContext(lang));
          expect(r.subject.length, `${p.key} ${s.name} ${lang}`).toBeGreaterThan(5);
          expect(r.body).toContain("FA-2026-0001");
          expect(r.body).not.toMatch(/\n{3,}/);
        }
      }
    }
    const notice = SHIPPED_POLICIES[0]?.steps.find((s) => s.channel === "letter");
    const body = (await renderStep(notice?.templates.fr as { subject: string; body: string }, sampleContext("fr"))).body;
    expect(body).toContain("article L441-10 du Code de commerce");
    expect(body).toContain("D441-5");
    expect(body).toContain("mise en demeure");
  });
});
