// The product page's group offer (docs/groupbuy.md): "Start a group at ¥X (N people, T h)" when
// the product has an active offer below its price. Opening a group needs an account; the group is
// paid through the platform (a wallet, like any on-chain checkout), then its page has the link to share.
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { Product } from "../api/types.ts";
import { ErrorNotice } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link, useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";

export function GroupOfferBanner(props: { product: Product }) {
  const { t } = useI18n();
  const { api, account } = useSession();
  const { navigate } = useRouter();
  const { product } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const offer = useAsync(
    (signal) => answer(api.GET("/api/products/{productId}/group-offer", { params: { path: { productId: product.id } }, signal })),
    [api, product.id],
  );
  const current = offer.data?.offer;
  if (!current?.active || BigInt(current.priceMinor) >= BigInt(current.listPriceMinor)) return null;
  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const opened = await answer(api.POST("/api/products/{productId}/groups", { params: { path: { productId: product.id } }, body: {} }));
      if (opened.payment.method === "chain") {
        const { payWithWallet } = await import("../verify/payWithWallet.ts");
        await payWithWallet(opened.payment);
      }
      navigate(opened.group.sharePath);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <div className="notice notice-info stack" data-testid="group-offer">
      <strong data-testid="group-offer-text">
        {t("groupbuy.startAt", { price: formatMoney(current.priceMinor, current.currency), size: current.size, hours: current.windowHours })}
      </strong>
      {account ? (
        <button type="button" className="button button-primary" disabled={busy} onClick={() => void start()} data-testid="group-start">
          {t("groupbuy.start")}
        </button>
      ) : (
        <Link to="/login">{t("groupbuy.signInToStart")}</Link>
      )}
      <ErrorNotice error={error} />
    </div>
  );
}
