// The settings tab: the shop itself (ShopSetup) and the currencies it accepts. One module, so
// the console loads both as one lazy chunk (MerchantPage.tsx).
import type { Shop } from "../api/types.ts";
import { CurrenciesSection } from "./CurrenciesSection.tsx";
import { ShopSetup } from "./ShopSetup.tsx";

export function SettingsTab(props: { shop: Shop; onChanged(): void }) {
  return (
    <>
      <ShopSetup shop={props.shop} onCreated={props.onChanged} />
      <CurrenciesSection shop={props.shop} />
    </>
  );
}
