// Simplified Chinese and English. The default follows the browser's languages; a choice made
// with the switch is kept in localStorage and wins from then on. Messages live in
// messages.ts; the Chinese table is typed against the English one, so a missing translation
// is a type error.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { readStored, writeStored } from "../storage.ts";
import { messages, type MessageKey } from "./messages.ts";

export type Lang = "zh" | "en";
export const langs: Lang[] = ["zh", "en"];
const langStorageKey = "kl.lang";

type I18nValue = {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: MessageKey, params?: Record<string, string | number>): string;
};

const I18nContext = createContext<I18nValue | undefined>(undefined);

/** The stored choice, else the first browser language we have, else Chinese (our first audience). */
export function initialLang(browserLanguages: readonly string[]): Lang {
  const stored = readStored<Lang>(langStorageKey);
  if (stored && langs.includes(stored)) return stored;
  for (const language of browserLanguages) {
    const primary = language.toLowerCase().split("-")[0];
    if (primary === "zh") return "zh";
    if (primary === "en") return "en";
  }
  return "zh";
}

export function translate(lang: Lang, key: MessageKey, params?: Record<string, string | number>): string {
  const template = messages[lang][key] ?? messages.en[key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function I18nProvider(props: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => initialLang(navigator.languages ?? [navigator.language]));
  useEffect(() => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }, [lang]);
  const setLang = useCallback((next: Lang) => {
    writeStored(langStorageKey, next);
    setLangState(next);
  }, []);
  const value = useMemo<I18nValue>(() => ({ lang, setLang, t: (key, params) => translate(lang, key, params) }), [lang, setLang]);
  return <I18nContext.Provider value={value}>{props.children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n needs an I18nProvider above it.");
  return value;
}
