// The shop's products and balance, which the overview and several tabs load. A module of their
// own, so the overview (the console's first screen) does not import the products and money
// tabs, which are lazy chunks (MerchantPage.tsx).
import { answer } from "../api/client.ts";
import { useAsync } from "../components/useAsync.ts";
import { useSession } from "../session.tsx";

export function useShopProducts(shopId: string) {
  const { api } = useSession();
  return useAsync(
    (signal) =>
      answer(api.GET("/api/shops/{shopId}/products", { params: { path: { shopId }, query: { includePaused: "true" } }, signal })).then((page) => page.items),
    [api, shopId],
  );
}

export function useShopBalance(shopId: string) {
  const { api } = useSession();
  return useAsync((signal) => answer(api.GET("/api/ledger/shops/{shopId}/balance", { params: { path: { shopId } }, signal })), [api, shopId]);
}
