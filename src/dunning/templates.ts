/**
 * Liquid templates of reminders, sandboxed (DESIGN §1, §6):
 * - no file access: the `include`, `render` and `layout` tags are replaced by tags that
 *   refuse to parse, and the engine's file system is one that reads nothing;
 * - unknown filters are errors (strictFilters), and so are unknown variables
 *   (strictVariables), so a typo fails at validation instead of sending a blank;
 * - only the context's own properties are reachable (ownPropertyOnly), never prototypes;
 * - parse size, render time and memory are bounded;
 * - no network: Liquid has no tag or filter that reaches one, and none is registered.
 * Output is plain text (emails are sent as text, their HTML part is the escaped text).
 */
import { Liquid } from "liquidjs";
import { invalid, type Problem } from "../errors.js";

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

const NO_FILES = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file: string): Promise<string> => {
    throw new TemplateError(`templates cannot read files (${file})`);
  },
  readFileSync: (file: string): string => {
    throw new TemplateError(`templates cannot read files (${file})`);
  },
  resolve: (_dir: string, file: string) => file,
  contains: async () => false,
  containsSync: () => false,
};

const FORBIDDEN_TAGS = ["include", "render", "layout"];

function createEngine(): Liquid {
  const engine = new Liquid({
    fs: NO_FILES,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    dynamicPartials: false,
    strictFilters: true,
    strictVariables: true,
    lenientIf: true,
    ownPropertyOnly: true,
    cache: false,
    parseLimit: 200_000,
    renderLimit: 2_000,
    memoryLimit: 50_000_000,
  });
  for (const name of FORBIDDEN_TAGS) {
    engine.registerTag(name, {
      parse() {
        throw new TemplateError(`the {% ${name} %} tag is not allowed in reminder templates (no file access)`);
      },
      render() {
        throw new TemplateError(`the {% ${name} %} tag is not allowed in reminder templates (no file access)`);
      },
    });
  }
  return engine;
}

const engine = createEngine();

/** Short, user-facing message of a liquidjs error (without its source excerpt). */
function describe(error: unknown): string {
  const e = error as Error & { originalError?: Error };
  const root = e.originalError instanceof TemplateError ? e.originalError : e;
  const first = (root.message || String(root)).split("\n")[0] ?? "invalid template";
  return first.replace(/^(ParseError|RenderError|TokenizationError|UndefinedVariableError):\s*/, "");
}

/** Renders one template against a context; throws TemplateError with a clear message. */
export async function renderTemplate(source: string, context: Record<string, unknown>): Promise<string> {
  let parsed: ReturnType<Liquid["parse"]>;
  try {
    parsed = engine.parse(source);
  } catch (error) {
    throw new TemplateError(describe(error));
  }
  try {
    return await engine.render(parsed, context);
  } catch (error) {
    throw new TemplateError(describe(error));
  }
}

export interface StepTemplateSource {
  subject: string;
  body: string;
}

export interface RenderedTemplate {
  subject: string;
  body: string;
}

export async function renderStep(t: StepTemplateSource, context: Record<string, unknown>): Promise<RenderedTemplate> {
  const subject = (await renderTemplate(t.subject, context)).replace(/[ \t\r\n]+/g, " ").trim();
  const body = tidy(await renderTemplate(t.body, context));
  return { subject, body };
}

/** Trailing spaces off, at most one blank line in a row, no leading/trailing blank lines. */
export function tidy(text: string): string {
  return text
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/**
 * Checks templates against a sample context before they are saved; every problem is
 * reported with its field (e.g. `steps.2.templates.fr.body`).
 */
export async function validateTemplates(
  templates: { field: string; source: string }[],
  sampleContext: Record<string, unknown>,
): Promise<void> {
  const problems: Problem[] = [];
  for (const t of templates) {
    try {
      await renderTemplate(t.source, sampleContext);
    } catch (error) {
      problems.push({ field: t.field, message: (error as Error).message });
    }
  }
  if (problems.length) throw invalid("invalid template", problems);
}
