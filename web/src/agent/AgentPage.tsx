// The agent console (docs/distribution.md), a lazy chunk: joining a shop by an invitation link
// (/agent/join?token=…), then the caller's referral link, balances, earnings, referred buyers
// (masked by the API), a payout request of what is payable, and each sub-store with the products
// it carries and their markups; for a reseller who is not a merchant, its API keys (a merchant
// has them in the merchant console).
import { useState } from "react";
import { answer } from "../api/client.ts";
import { CopyButton, EmptyState, ErrorNotice, PageHeader, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatDateTime, formatMoney, parseMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link, useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";
import { ApiKeysTab } from "../merchant/ApiKeysTab.tsx";
import { EarningsBalances } from "../distribution/EarningsBalances.tsx";

export default function AgentPage() {
  const { t, lang } = useI18n();
  const { api, account, hasRole } = useSession();
  const { search } = useRouter();
  const overview = useAsync((signal) => (account ? answer(api.GET("/api/agent/overview", { signal })) : Promise.resolve(undefined)), [api, account?.id]);
  if (!account) {
    const next = encodeURIComponent(`/agent${search.get("token") ? `/join?token=${search.get("token")}` : ""}`);
    return (
      <EmptyState
        title={t("agent.signIn")}
        action={
          <Link className="button button-primary" to={`/login?next=${next}`}>
            {t("nav.signIn")}
          </Link>
        }
      />
    );
  }
  const token = search.get("token");
  const data = overview.data;
  return (
    <div className="stack-lg console">
      <PageHeader title={t("agent.title")} subtitle={account.email} />
      {token && <JoinForm token={token} onJoined={overview.reload} />}
      <ErrorNotice error={overview.error} onRetry={overview.reload} />
      {overview.loading && !data && <Spinner />}
      {data && (
        <>
          <section className="card stack" aria-labelledby="agent-referral">
            <h2 id="agent-referral">{t("agent.referral")}</h2>
            <p className="muted">{t("agent.referralHint")}</p>
            <p>
              <span className="mono" data-testid="agent-referral-code">
                {data.referralCode}
              </span>{" "}
              <CopyButton value={`?ref=${data.referralCode}`} label={t("agent.copyLink")} />
            </p>
          </section>
          <EarningsBalances data={data} prefix="agent" emptyText={t("agent.noEarnings")} payableLabel={t("agent.payable")} saleLabel={(orderId) => orderId} />
          {data.balances.length > 0 && <PayoutForm balances={data.balances} onRequested={overview.reload} />}
          <section className="card stack" aria-labelledby="agent-referred">
            <h2 id="agent-referred">{t("agent.referred")}</h2>
            {data.referredBuyers.length === 0 ? (
              <p className="muted">{t("agent.noReferred")}</p>
            ) : (
              <ul className="list" data-testid="agent-referred">
                {data.referredBuyers.map((referred) => (
                  <li key={`${referred.shopId}-${referred.buyer}-${referred.attachedAt}`} className="list-row">
                    <span className="mono">{referred.buyer}</span>
                    <span className="muted small">{t("agent.until", { date: formatDateTime(referred.expiresAt, lang) })}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {data.substores.map((substore) => (
            <section key={substore.id} className="card stack" aria-labelledby={`substore-${substore.id}`} data-testid="agent-substore">
              <h2 id={`substore-${substore.id}`} style={{ borderLeft: `0.4rem solid ${substore.colour}`, paddingLeft: "0.5rem" }}>
                {substore.name} <span className="muted small mono">/{substore.slug}</span>
              </h2>
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t("agent.product")}</th>
                    <th scope="col">{t("agent.merchantPrice")}</th>
                    <th scope="col">{t("agent.bounds")}</th>
                    <th scope="col">{t("agent.markup")}</th>
                  </tr>
                </thead>
                <tbody>
                  {substore.products.map((product) => (
                    <tr key={product.productId}>
                      <td>{product.name}</td>
                      <td>{formatMoney(product.priceMinor, product.currency)}</td>
                      <td className="small">
                        {product.markupMinMinor !== null && product.markupMaxMinor !== null
                          ? `${formatMoney(product.markupMinMinor, product.currency)} – ${formatMoney(product.markupMaxMinor, product.currency)}`
                          : "—"}
                      </td>
                      <td>
                        <MarkupForm substoreId={substore.id} product={product} onSaved={overview.reload} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <CarryForm substoreId={substore.id} onSaved={overview.reload} />
            </section>
          ))}
        </>
      )}
      {hasRole("reseller") && !hasRole("merchant") && <ApiKeysTab />}
    </div>
  );
}

function JoinForm(props: { token: string; onJoined(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { navigate } = useRouter();
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const [colour, setColour] = useState("#1a7f5a");
  const form = useFormSubmit(async () => {
    await answer(api.POST("/api/agent-invitations/accept", { body: { token: props.token, slug: slug.trim(), name: name.trim(), colour } }));
    navigate("/agent", { replace: true });
    props.onJoined();
  });
  return (
    <form className="card stack" onSubmit={(event) => void form.submit(event)} aria-labelledby="agent-join" data-testid="agent-join">
      <h2 id="agent-join">{t("agent.join")}</h2>
      <label className="field">
        <span>{t("agent.slug")}</span>
        <input value={slug} onChange={(event) => setSlug(event.target.value)} required pattern="[a-z0-9][a-z0-9\-]{2,39}" />
      </label>
      <label className="field">
        <span>{t("agent.name")}</span>
        <input value={name} onChange={(event) => setName(event.target.value)} required maxLength={60} />
      </label>
      <label className="field">
        <span>{t("agent.colour")}</span>
        <input type="color" value={colour} onChange={(event) => setColour(event.target.value)} />
      </label>
      <button type="submit" className="button button-primary" disabled={form.busy}>
        {t("agent.joinSubmit")}
      </button>
      <ErrorNotice error={form.error} />
    </form>
  );
}

function MarkupForm(props: { substoreId: string; product: { productId: string; currency: string; markupMinor: string; name: string }; onSaved(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [text, setText] = useState(formatMoney(props.product.markupMinor, props.product.currency).replace(/[^\d.]/g, ""));
  const form = useFormSubmit(async () => {
    const markupMinor = parseMoney(text, props.product.currency);
    if (markupMinor === undefined) throw new Error(t("agent.badAmount"));
    await answer(
      api.PUT("/api/substores/{substoreId}/products/{productId}", {
        params: { path: { substoreId: props.substoreId, productId: props.product.productId } },
        body: { markupMinor: String(markupMinor) },
      }),
    );
    props.onSaved();
  });
  return (
    <form className="inline-form" onSubmit={(event) => void form.submit(event)}>
      <label className="field">
        <span className="visually-hidden">{t("agent.markupOf", { name: props.product.name })}</span>
        <input value={text} onChange={(event) => setText(event.target.value)} inputMode="decimal" size={8} />
      </label>
      <button type="submit" className="button button-small" disabled={form.busy}>
        {t("agent.save")}
      </button>
      <ErrorNotice error={form.error} />
    </form>
  );
}

function CarryForm(props: { substoreId: string; onSaved(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [productId, setProductId] = useState("");
  const [text, setText] = useState("");
  const form = useFormSubmit(async () => {
    // Markups are in the product's currency; the bounds check in the API names the range on a miss.
    const markupMinor = parseMoney(text, "CNY");
    if (markupMinor === undefined) throw new Error(t("agent.badAmount"));
    await answer(
      api.POST("/api/substores/{substoreId}/products", {
        params: { path: { substoreId: props.substoreId } },
        body: { productId: productId.trim(), markupMinor: String(markupMinor) },
      }),
    );
    setProductId("");
    setText("");
    props.onSaved();
  });
  return (
    <form className="inline-form" onSubmit={(event) => void form.submit(event)} data-testid="agent-carry">
      <label className="field">
        <span>{t("agent.productId")}</span>
        <input value={productId} onChange={(event) => setProductId(event.target.value)} required pattern="\d{1,18}" inputMode="numeric" />
      </label>
      <label className="field">
        <span>{t("agent.markup")}</span>
        <input value={text} onChange={(event) => setText(event.target.value)} required inputMode="decimal" />
      </label>
      <button type="submit" className="button button-primary" disabled={form.busy}>
        {t("agent.carry")}
      </button>
      <ErrorNotice error={form.error} />
    </form>
  );
}

function PayoutForm(props: { balances: { currency: string; payableMinor: string }[]; onRequested(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const currencies = props.balances.map((balance) => balance.currency);
  const [currency, setCurrency] = useState(currencies[0] ?? "CNY");
  const [text, setText] = useState("");
  const [requested, setRequested] = useState<{ id: string; amount: string } | undefined>(undefined);
  // One request id per intended payout: a retried submit of the same amount is the same payout.
  const [requestId, setRequestId] = useState(() => crypto.randomUUID());
  const form = useFormSubmit(async () => {
    setRequested(undefined);
    const amountMinor = parseMoney(text, currency);
    if (amountMinor === undefined || amountMinor <= 0n) throw new Error(t("agent.badAmount"));
    const payout = await answer(api.POST("/api/agent/payouts", { body: { amountMinor: String(amountMinor), currency, requestId } }));
    setRequested({ id: payout.payoutId, amount: formatMoney(String(amountMinor), currency) });
    setRequestId(crypto.randomUUID());
    setText("");
    props.onRequested();
  });
  return (
    <form className="card stack" onSubmit={(event) => void form.submit(event)} aria-labelledby="agent-payout" data-testid="agent-payout">
      <h2 id="agent-payout">{t("agent.payout")}</h2>
      <p className="muted">{t("agent.payoutHint")}</p>
      <label className="field">
        <span>{t("agent.payoutCurrency")}</span>
        <select value={currency} onChange={(event) => setCurrency(event.target.value)}>
          {currencies.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{t("agent.payoutAmount")}</span>
        <input value={text} onChange={(event) => setText(event.target.value)} required inputMode="decimal" />
      </label>
      <button type="submit" className="button button-primary" disabled={form.busy}>
        {t("agent.payoutSubmit")}
      </button>
      <ErrorNotice error={form.error} />
      {requested && (
        <p role="status" data-testid="agent-payout-requested">
          {t("agent.payoutRequested", { id: requested.id, amount: requested.amount })}
        </p>
      )}
    </form>
  );
}
