// Orders placed on this device, so a guest can come back to them (order number and access
// token; the token only opens that one order). Bounded: the newest recentOrdersMax are kept.
import { readStored, writeStored } from "./storage.ts";

export type RecentOrder = { id: string; token: string; productName: string; createdAt: string; paymentUrl?: string };

const recentOrdersKey = "kl.recentOrders";
export const recentOrdersMax = 20;

export function listRecentOrders(): RecentOrder[] {
  const stored = readStored<RecentOrder[]>(recentOrdersKey);
  return Array.isArray(stored) ? stored : [];
}

export function rememberOrder(order: RecentOrder): void {
  const others = listRecentOrders().filter((entry) => entry.id !== order.id);
  const previous = listRecentOrders().find((entry) => entry.id === order.id);
  writeStored(recentOrdersKey, [{ ...previous, ...order }, ...others].slice(0, recentOrdersMax));
}

export function findRecentOrder(id: string): RecentOrder | undefined {
  return listRecentOrders().find((entry) => entry.id === id);
}
