import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { type Format, makeFormat } from "./format";
import { type Lang, type MsgKey, messages } from "./messages";

const STORAGE_KEY = "relance.lang";

export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === "fr" || saved === "en") return saved;
  } catch {
    // private mode: no storage
  }
  const nav = (navigator.languages?.[0] ?? navigator.language ?? "fr").toLowerCase();
  return nav.startsWith("fr") ? "fr" : nav.startsWith("en") ? "en" : "fr";
}

export type Vars = Record<string, string | number>;
export type T = (key: MsgKey, vars?: Vars) => string;

interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t: T;
  /** A key built at run time (a status from the API): its text, or the fallback when the dictionary has none. */
  tOr(key: string, fallback: string): string;
  f: Format;
}

const Ctx = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // ignore
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo<I18n>(() => {
    const dict = messages[lang];
    const t: T = (key, vars) => {
      let s: string = dict[key] ?? key;
      if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
      return s;
    };
    const tOr = (key: string, fallback: string) => (key in dict ? dict[key as MsgKey] : fallback);
    return { lang, setLang, t, tOr, f: makeFormat(lang) };
  }, [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error("useI18n outside I18nProvider");
  return v;
}
