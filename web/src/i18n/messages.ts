// The message tables' key type, and their loading: each language's table (en.ts, zh.ts) is a
// lazy chunk of its own, so the first screen downloads only the strings of the language it
// shows (about half of the catalogue's bytes each).
import type { en } from "./en.ts";

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;
export type Lang = "zh" | "en";

/** Loads one language's table (a separate chunk per language). */
export async function loadMessages(lang: Lang): Promise<Messages> {
  return lang === "zh" ? (await import("./zh.ts")).zh : (await import("./en.ts")).en;
}
