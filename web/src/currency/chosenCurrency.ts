// The currency a buyer chose to see prices in: one choice for the whole site, kept in
// localStorage so it outlives the visit, and shared by every component that shows a price (the
// pickers and the prices re-render together when it changes).
import { useSyncExternalStore } from "react";
import { readStored, writeStored } from "../storage.ts";

const storageKey = "kl.currency";
const listeners = new Set<() => void>();

function read(): string | undefined {
  const stored = readStored<unknown>(storageKey);
  return typeof stored === "string" && /^[A-Z]{3,5}$/.test(stored) ? stored : undefined;
}

let current = typeof window === "undefined" ? undefined : read();

export function chooseCurrency(currency: string): void {
  current = currency;
  writeStored(storageKey, currency);
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The stored choice, or undefined when the buyer never chose. */
export function useChosenCurrency(): string | undefined {
  return useSyncExternalStore(
    subscribe,
    () => current,
    () => undefined,
  );
}

/**
 * The currency a product's price is shown in: the buyer's choice when the product is priced in it
 * or its shop accepts it, otherwise the product's own (the shop's pricing currency). The stored
 * choice is kept, so another shop that accepts it shows it again.
 */
export function displayCurrency(chosen: string | undefined, productCurrency: string, accepted: readonly string[]): string {
  return chosen !== undefined && (chosen === productCurrency || accepted.includes(chosen)) ? chosen : productCurrency;
}
