// Simplified Chinese and English. The default follows the browser's languages; a choice made
// with the switch is kept in localStorage and wins from then on. Messages live in en.ts and
// zh.ts, one lazy chunk per language (messages.ts): main.tsx loads the first one before the
// first render, and the switch loads the other before it changes the page's language.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { readStored, writeStored } from "../storage.ts";
import { loadMessages, type Lang, type MessageKey, type Messages } from "./messages.ts";

export type { Lang };
export const langs: Lang[] = ["zh", "en"];
const langStorageKey = "kl.lang";

type I18nValue = {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: MessageKey, params?: Record<string, string | number>): string;
  /** Whether `key` names a message (for keys built from data, such as column names). */
  has(key: string): key is MessageKey;
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

export function translate(messages: Messages, key: MessageKey, params?: Record<string, string | number>): string {
  const template = messages[key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** `<html lang>` for a language: screen readers and search engines read it. */
export function htmlLang(lang: Lang): string {
  return lang === "zh" ? "zh-CN" : "en";
}

export function I18nProvider(props: { children: ReactNode; lang: Lang; messages: Messages }) {
  const [current, setCurrent] = useState({ lang: props.lang, messages: props.messages });
  useEffect(() => {
    document.documentElement.lang = htmlLang(current.lang);
  }, [current.lang]);
  const setLang = useCallback((next: Lang) => {
    writeStored(langStorageKey, next);
    void loadMessages(next).then((messages) => setCurrent({ lang: next, messages }));
  }, []);
  const value = useMemo<I18nValue>(
    () => ({
      lang: current.lang,
      setLang,
      t: (key, params) => translate(current.messages, key, params),
      has: (key): key is MessageKey => key in current.messages,
    }),
    [current, setLang],
  );
  return <I18nContext.Provider value={value}>{props.children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n needs an I18nProvider above it.");
  return value;
}
