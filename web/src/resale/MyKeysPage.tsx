// My keys: every entitlement the account owns (in custody or in a linked wallet), sealed or
// revealed. A sealed one in custody can be revealed (redemption), listed for resale, or
// withdrawn to a linked wallet; wallets are linked with Sign-In With Ethereum, and tokens sent
// back to the custodian are credited with the deposit's transaction hash.
import { answer } from "../api/client.ts";
import { useState, type FormEvent } from "react";
import type { Product } from "../api/types.ts";
import { CopyButton, EmptyState, ErrorNotice, Field, Hash, Notice, PageHeader, Spinner, StateBadge } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime, parseMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import type { LinkedWallet, OwnedEntitlement, RevealedEntitlement } from "./types.ts";

export default function MyKeysPage() {
  const { t } = useI18n();
  const { api, account } = useSession();
  const owned = useAsync(
    (signal) =>
      account ? answer(api.GET("/api/me/entitlements", { params: { query: { limit: 50 } }, signal })).then((page) => page.items) : Promise.resolve([]),
    [api, account?.id],
  );
  const wallets = useAsync(
    (signal) => (account ? answer(api.GET("/api/me/wallets", { signal })).then((page) => page.items) : Promise.resolve([])),
    [api, account?.id],
  );
  const productIds = [...new Set((owned.data ?? []).map((item) => item.productId))].join(",");
  const products = useAsync(
    async (signal) =>
      new Map(
        (
          await Promise.all(
            productIds
              .split(",")
              .filter(Boolean)
              .map((id) => answer(api.GET("/api/products/{productId}", { params: { path: { productId: id } }, signal }))),
          )
        ).map((product) => [product.id, product]),
      ),
    [api, productIds],
  );
  if (!account) {
    return (
      <EmptyState
        title={t("myOrders.signIn")}
        action={
          <Link className="button button-primary" to="/login?next=/me/keys">
            {t("nav.signIn")}
          </Link>
        }
      >
        {t("keys.signInHint")}
      </EmptyState>
    );
  }
  return (
    <div className="stack-lg">
      <PageHeader title={t("nav.myKeys")} subtitle={t("keys.subtitle")} />
      <ErrorNotice error={owned.error} onRetry={owned.reload} />
      {owned.loading && !owned.data && <Spinner />}
      {owned.data?.length === 0 && (
        <EmptyState
          title={t("keys.empty")}
          action={
            <Link className="button button-primary" to="/shop/demo">
              {t("home.browse")}
            </Link>
          }
        >
          {t("keys.emptyHint")}
        </EmptyState>
      )}
      <div className="stack">
        {owned.data?.map((item) => (
          <EntitlementCard key={item.id} item={item} product={products.data?.get(item.productId)} wallets={wallets.data ?? []} onChanged={owned.reload} />
        ))}
      </div>
      <WalletsSection wallets={wallets.data} error={wallets.error} onChanged={wallets.reload} />
    </div>
  );
}

function EntitlementCard(props: { item: OwnedEntitlement; product: Product | undefined; wallets: LinkedWallet[]; onChanged(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { item, product } = props;
  const [revealed, setRevealed] = useState<RevealedEntitlement | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  const [price, setPrice] = useState("");
  const [wallet, setWallet] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const currency = product?.currency ?? "CNY";
  const sealedInCustody = item.state === "sealed" && item.inCustody;

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const reveal = () =>
    run(async () => {
      setRevealed(await answer(api.POST("/api/entitlements/{entitlementId}/reveal", { params: { path: { entitlementId: item.id } } })));
      setConfirming(false);
    });
  const list = (event: FormEvent) => {
    event.preventDefault();
    const priceMinor = parseMoney(price, currency);
    if (priceMinor === undefined || priceMinor <= 0n) {
      setError(new Error(t("products.priceInvalid")));
      return;
    }
    void run(async () => {
      await answer(api.POST("/api/resale/listings", { body: { entitlementId: item.id, priceMinor: priceMinor.toString(), currency } }));
      setPrice("");
      props.onChanged();
    });
  };
  const cancel = () =>
    run(async () => {
      await answer(api.POST("/api/resale/listings/{listingId}/cancel", { params: { path: { listingId: item.listingId! } } }));
      props.onChanged();
    });
  const withdraw = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await answer(api.POST("/api/wallets/withdrawals", { body: { entitlementId: item.id, wallet: (wallet || props.wallets[0]?.address)! } }));
      props.onChanged();
    });
  };

  const state = revealed ? "redeemed" : item.state;
  return (
    <article
      className="card key-card"
      data-testid="owned-entitlement"
      data-entitlement-id={item.id}
      data-state={state}
      data-listed={item.listingId ? "yes" : "no"}
    >
      <div className="key-card-head">
        <strong className="clamp-1">{product?.name ?? `#${item.productId}`}</strong>
        <StateBadge state={state} />
      </div>
      {revealed && (
        <div className="key-code-row">
          <code className="key-code" data-testid="owned-code">
            {revealed.code}
          </code>
          <CopyButton value={revealed.code} />
        </div>
      )}
      <dl className="key-facts">
        <div>
          <dt>{t("order.token")}</dt>
          <dd>
            {item.tokenId ? `#${item.tokenId}` : "—"} <StateBadge state={item.issueState} />
          </dd>
        </div>
        <div>
          <dt>{t("keys.where")}</dt>
          <dd>{item.inCustody ? t("keys.custody") : <Hash value={item.wallet} />}</dd>
        </div>
        <div>
          <dt>{t("keys.listing")}</dt>
          <dd>{item.listingId ? t("keys.listed", { id: item.listingId }) : "—"}</dd>
        </div>
      </dl>
      {!revealed && sealedInCustody && !item.listingId && (
        <div className="stack">
          {!confirming ? (
            <div className="button-row">
              <button type="button" className="button button-primary" onClick={() => setConfirming(true)} data-testid="owned-reveal">
                {t("order.reveal")}
              </button>
            </div>
          ) : (
            <div className="confirm-box">
              <p>
                <strong>{t("order.revealConfirmTitle")}</strong> {t("order.revealConfirmBody")}
              </p>
              <div className="button-row">
                <button type="button" className="button button-primary" disabled={busy} onClick={() => void reveal()} data-testid="owned-reveal-confirm">
                  {t("order.revealConfirm")}
                </button>
                <button type="button" className="button button-ghost" onClick={() => setConfirming(false)}>
                  {t("common.cancel")}
                </button>
              </div>
            </div>
          )}
          {product?.resaleAllowed && (
            <form className="inline-form" onSubmit={list} data-testid="list-form">
              <Field
                label={t("keys.listPrice", { currency })}
                htmlFor={`list-price-${item.id}`}
                hint={t("keys.listHint", { royalty: (product.royaltyBps / 100).toString() })}
              >
                <input
                  id={`list-price-${item.id}`}
                  inputMode="decimal"
                  value={price}
                  onChange={(event) => setPrice(event.target.value)}
                  placeholder="88.00"
                  data-testid="list-price"
                />
              </Field>
              <button type="submit" className="button" disabled={busy} data-testid="list-submit">
                {t("keys.list")}
              </button>
            </form>
          )}
          {props.wallets.length > 0 && (
            <form className="inline-form" onSubmit={withdraw}>
              <Field label={t("keys.withdrawTo")} htmlFor={`withdraw-${item.id}`} hint={t("keys.withdrawHint")}>
                <select id={`withdraw-${item.id}`} value={wallet || props.wallets[0]!.address} onChange={(event) => setWallet(event.target.value)}>
                  {props.wallets.map((entry) => (
                    <option key={entry.address} value={entry.address}>
                      {entry.address}
                    </option>
                  ))}
                </select>
              </Field>
              <button type="submit" className="button" disabled={busy}>
                {t("keys.withdraw")}
              </button>
            </form>
          )}
        </div>
      )}
      {item.listingId && (
        <div className="button-row">
          <button type="button" className="button button-small" disabled={busy} onClick={() => void cancel()} data-testid="listing-cancel">
            {t("keys.cancelListing")}
          </button>
        </div>
      )}
      <div className="button-row">
        <Link className="small" to={`/entitlements/${item.id}`}>
          {t("market.provenance")}
        </Link>
      </div>
      <ErrorNotice error={error} />
    </article>
  );
}

function WalletsSection(props: { wallets: LinkedWallet[] | undefined; error: unknown; onChanged(): void }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [depositTx, setDepositTx] = useState("");
  const [deposited, setDeposited] = useState(false);
  const hasWallet = typeof window !== "undefined" && "ethereum" in window;
  const connect = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const { connectWallet } = await import("./connectWallet.ts");
      await connectWallet(api, t("keys.siweStatement"));
      props.onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const deposit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setDeposited(false);
    try {
      await answer(api.POST("/api/wallets/deposits", { body: { transactionHash: depositTx.trim() } }));
      setDeposited(true);
      setDepositTx("");
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card stack" aria-labelledby="wallets-title" data-testid="wallets">
      <h2 id="wallets-title" className="section-title">
        {t("keys.wallets")}
      </h2>
      <p className="muted small">{t("keys.walletsIntro")}</p>
      <ErrorNotice error={props.error ?? error} />
      {props.wallets?.length === 0 && <p className="muted">{t("keys.noWallets")}</p>}
      {props.wallets && props.wallets.length > 0 && (
        <ul className="list">
          {props.wallets.map((wallet) => (
            <li key={wallet.address} className="list-row">
              <span className="mono break">{wallet.address}</span>
              <span className="muted small">{formatDateTime(wallet.linkedAt, lang)}</span>
            </li>
          ))}
        </ul>
      )}
      {hasWallet ? (
        <button type="button" className="button" disabled={busy} onClick={() => void connect()}>
          {t("keys.connect")}
        </button>
      ) : (
        <Notice tone="info">{t("keys.noBrowserWallet")}</Notice>
      )}
      <form className="inline-form" onSubmit={(event) => void deposit(event)}>
        <Field label={t("keys.deposit")} htmlFor="deposit-tx" hint={t("keys.depositHint")}>
          <input
            id="deposit-tx"
            className="mono"
            value={depositTx}
            onChange={(event) => setDepositTx(event.target.value)}
            placeholder="0x…"
            pattern="0x[0-9a-fA-F]{64}"
          />
        </Field>
        <button type="submit" className="button" disabled={busy || !depositTx.trim()}>
          {t("keys.credit")}
        </button>
      </form>
      {deposited && <Notice tone="success">{t("keys.deposited")}</Notice>}
    </section>
  );
}
