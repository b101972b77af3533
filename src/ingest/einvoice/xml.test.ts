import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AppError } from "../../errors.js";
import { readEInvoice } from "./index.js";
import { DTD_REFUSED, decodeXml, parseXml, path, sniffRoot, textAt } from "./xml.js";

const PASSWD = (() => {
  try {
    return readFileSync("/etc/passwd", "utf8");
  } catch {
    return "root:x:0:0:";
  }
})();
const PASSWD_MARKER = PASSWD.split("\n")[0] ?? "root:x:0:0";

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

async function caughtAsync(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

/** Everything an error could leak: message, problems, stack. */
function everything(e: unknown): string {
  const err = e as AppError;
  return `${err.message}\n${JSON.stringify(err.problems ?? [])}\n${err.stack ?? ""}`;
}

const XXE_CII = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
  <rsm:ExchangedDocument><ram:ID>&e;</ram:ID></rsm:ExchangedDocument>
</rsm:CrossIndustryInvoice>`;

describe("parseXml security (XXE, DTD)", () => {
  it("rejects a document declaring an external entity, with a clear error that leaks no file content", () => {
    const e = caught(() => parseXml(new TextEncoder().encode(XXE_CII)));
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe("invalid_input");
    expect((e as AppError).message).toContain(DTD_REFUSED);
    expect(everything(e)).not.toContain(PASSWD_MARKER);
  });

  it("rejects the same XXE through readEInvoice, and the passwd text appears nowhere", async () => {
    const e = await caughtAsync(() => readEInvoice(new TextEncoder().encode(XXE_CII), "xxe.xml"));
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).message).toContain("DTD/entity declarations are not allowed");
    expect((e as AppError).problems[0]?.field).toBe("XML");
    expect(everything(e)).not.toContain(PASSWD_MARKER);
  });

  it("rejects parameter entities, internal entity bombs and a bare DOCTYPE", () => {
    const variants = [
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><Invoice/>`,
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><Invoice>&lol2;</Invoice>`,
      `<!doctype Invoice SYSTEM "http://example.invalid/evil.dtd"><Invoice/>`,
    ];
    for (const v of variants) {
      const e = caught(() => parseXml(v));
      expect((e as AppError).message).toContain(DTD_REFUSED);
    }
  });
});

describe("parseXml", () => {
  it("matches local names whatever the namespace prefix or a default namespace", () => {
    const prefixed = parseXml(`<a:Root xmlns:a="urn:x" xmlns:b="urn:y"><b:Party><b:Name>Dupont &amp; Fils</b:Name></b:Party></a:Root>`);
    const defaulted = parseXml(`<Root xmlns="urn:x"><Party xmlns="urn:y"><Name>Dupont &amp; Fils</Name></Party></Root>`);
    expect(prefixed.rootName).toBe("Root");
    expect(prefixed.rootNamespace).toBe("urn:x");
    expect(defaulted.rootNamespace).toBe("urn:x");
    expect(textAt(prefixed.root, "Party", "Name")).toBe("Dupont & Fils");
    expect(textAt(defaulted.root, "Party", "Name")).toBe("Dupont & Fils");
  });

  it("decodes numeric character references and keeps values as written (no number parsing)", () => {
    const doc = parseXml(`<R><N>Soci&#233;t&#xE9;</N><A>00123.45000</A></R>`);
    expect(textAt(doc.root, "N")).toBe("Société");
    expect(textAt(doc.root, "A")).toBe("00123.45000");
  });

  it("reports malformed XML as invalid input with its line", () => {
    const e = caught(() => parseXml("<R>\n<A></B>\n</R>")) as AppError;
    expect(e.code).toBe("invalid_input");
    expect(e.message).toMatch(/malformed XML/);
    expect(e.problems[0]?.line).toBe(2);
  });

  it("reads attributes by local name", () => {
    const doc = parseXml(`<R xmlns:x="urn:x"><A x:schemeID="0002">732829320</A></R>`);
    expect(path(doc.root, "A")?.["@_schemeID"]).toBe("0002");
  });
});

describe("decodeXml", () => {
  it("strips a UTF-8 BOM", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("<R>é</R>")]);
    expect(decodeXml(bytes).text).toBe("<R>é</R>");
  });

  it("honours a declared ISO-8859-1 encoding", () => {
    const head = new TextEncoder().encode('<?xml version="1.0" encoding="ISO-8859-1"?><R>');
    const bytes = new Uint8Array([...head, 0xe9, ...new TextEncoder().encode("</R>")]);
    expect(decodeXml(bytes).text.endsWith("<R>é</R>")).toBe(true);
  });

  it("reads an invalid UTF-8 label (UTF-8-W/O-BOM) as UTF-8 with a warning", () => {
    const r = decodeXml(new TextEncoder().encode('<?xml version="1.0" encoding="UTF-8-W/O-BOM"?><R>é</R>'));
    expect(r.text).toContain("<R>é</R>");
    expect(r.warnings[0]).toMatch(/invalid encoding/);
  });

  it("refuses an unknown encoding", () => {
    const e = caught(() => decodeXml(new TextEncoder().encode('<?xml version="1.0" encoding="EBCDIC-XYZ"?><R/>'))) as AppError;
    expect(e.code).toBe("invalid_input");
    expect(e.message).toMatch(/unsupported XML encoding/);
  });

  it("falls back to Windows-1252 for bytes that are not UTF-8, with a warning", () => {
    const r = decodeXml(new Uint8Array([...new TextEncoder().encode("<R>"), 0xe9, 0x80, ...new TextEncoder().encode("</R>")]));
    expect(r.text).toBe("<R>é€</R>");
    expect(r.warnings).toHaveLength(1);
  });
});

describe("sniffRoot", () => {
  it("finds the root element after the prolog and comments", () => {
    const r = sniffRoot(
      new TextEncoder().encode('<?xml version="1.0"?>\n<!-- note <x> -->\n<cbc:Invoice xmlns:cbc="urn:a"><x/></cbc:Invoice>'),
    );
    expect(r).toEqual({ name: "Invoice", namespace: "urn:a" });
  });
});
