// Money: the shop's payable balance (available and held), the statement (newest first,
// paginated), and payout requests (held until an admin approves them).
import { useState, type FormEvent } from "react";
import type { Shop } from "../api/types.ts";
import { answer, ApiError, type Schemas } from "../api/client.ts";
import { EmptyState, ErrorNotice, Field, Notice, Spinner, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime, formatMoney, parseMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { MonthlyStatementDownload } from "../receipts/downloads.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";
import { useShopBalance } from "./shopData.ts";

export type Balance = Schemas["GetLedgerShopsShopIdBalanceResponse"]["balances"][number];
export type FeePosition = NonNullable<Schemas["GetLedgerShopsShopIdBalanceResponse"]["fees"]>[number];

/** The ledger's routes are mounted by the ledger part; until then they answer 404. */
export function LedgerUnavailable(props: { error: unknown; onRetry(): void }) {
  const { t } = useI18n();
  if (props.error instanceof ApiError && props.error.status === 404)
    return (
      <Notice tone="info" title={t("money.unavailable")}>
        {t("money.unavailableHint")}
      </Notice>
    );
  return <ErrorNotice error={props.error} onRetry={props.onRetry} />;
}

export function MoneyTab(props: { shop: Shop }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const balance = useShopBalance(props.shop.id);
  const currency = balance.data?.balances[0]?.currency ?? "CNY";
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const statement = useAsync(
    (signal) =>
      answer(api.GET("/api/ledger/shops/{shopId}/statement", { params: { path: { shopId: props.shop.id }, query: { currency, limit: 20, cursor } }, signal })),
    [api, props.shop.id, currency, cursor],
  );
  if (balance.loading && !balance.data) return <Spinner />;
  if (balance.error) return <LedgerUnavailable error={balance.error} onRetry={balance.reload} />;
  return (
    <div className="stack">
      <div className="stat-grid">
        {(balance.data?.balances.length ? balance.data.balances : [{ currency: "CNY", availableMinor: "0", heldMinor: "0" }]).map((entry) => (
          <div className="stat" key={entry.currency} data-testid="balance">
            <span className="stat-label">{t("money.available")}</span>
            <span className="stat-value">{formatMoney(entry.availableMinor, entry.currency)}</span>
            <span className="muted small">{t("money.held", { amount: formatMoney(entry.heldMinor, entry.currency) })}</span>
          </div>
        ))}
      </div>
      <PayoutForm shop={props.shop} currency={currency} onRequested={balance.reload} />
      <FeesPanel shop={props.shop} fees={balance.data?.fees ?? []} />
      <MonthlyStatementDownload shopId={props.shop.id} />
      <section className="stack">
        <h2 className="section-title">{t("money.statement")}</h2>
        {statement.error !== undefined && <LedgerUnavailable error={statement.error} onRetry={statement.reload} />}
        {statement.data?.items.length === 0 && <EmptyState title={t("money.noLines")}>{t("money.noLinesHint")}</EmptyState>}
        {statement.data && statement.data.items.length > 0 && (
          <TableScroll>
            <table className="table" data-testid="statement">
              <thead>
                <tr>
                  <th scope="col">{t("money.time")}</th>
                  <th scope="col">{t("money.kind")}</th>
                  <th scope="col">{t("money.reference")}</th>
                  <th scope="col" className="num">
                    {t("orders.amount")}
                  </th>
                  <th scope="col" className="num">
                    {t("money.balanceAfter")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {statement.data.items.map((line) => (
                  <tr key={`${line.transactionId}-${line.kind}`}>
                    <td className="small">{formatDateTime(line.createdAt, lang)}</td>
                    <td>{t(`ledgerKind.${line.kind}` as MessageKey) === `ledgerKind.${line.kind}` ? line.kind : t(`ledgerKind.${line.kind}` as MessageKey)}</td>
                    <td className="mono small">
                      {line.referenceType}:{line.referenceId}
                    </td>
                    <td className={`num ${BigInt(line.amountMinor) < 0n ? "negative" : "positive"}`}>
                      {formatMoney(line.amountMinor, statement.data!.currency)}
                    </td>
                    <td className="num">{formatMoney(line.balanceAfterMinor, statement.data!.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
        {statement.data?.nextCursor && (
          <button type="button" className="button" onClick={() => setCursor(statement.data!.nextCursor!)}>
            {t("common.loadMore")}
          </button>
        )}
      </section>
    </div>
  );
}

/** Fees of sales on the shop's own gateway, and a top-up of the prepaid balance they are paid from (docs/ledger.md). */
function FeesPanel(props: { shop: Shop; fees: FeePosition[] }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [amount, setAmount] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const currency = "CNY";
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const amountMinor = parseMoney(amount, currency);
    if (amountMinor === undefined || amountMinor <= 0n) {
      setError(new Error(t("money.amountInvalid")));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const topup = await answer(
        api.POST("/api/ledger/shops/{shopId}/topups", { params: { path: { shopId: props.shop.id } }, body: { amountMinor: amountMinor.toString(), currency } }),
      );
      // The platform's gateway takes the payment; its notification credits the prepaid balance.
      if (topup.paymentUrl) window.location.assign(topup.paymentUrl);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card stack" data-testid="fees">
      <h2 className="section-title">{t("money.fees")}</h2>
      {props.fees.map((fee) => (
        <p
          key={fee.currency}
          className="small"
          data-testid="fee-position"
          data-currency={fee.currency}
          data-owed={fee.owedMinor}
          data-prepaid={fee.prepaidMinor}
        >
          {t("money.feesOwed", { amount: formatMoney(fee.owedMinor, fee.currency) })} ·{" "}
          {t("money.prepaid", { amount: formatMoney(fee.prepaidMinor, fee.currency) })} ·{" "}
          {t("money.collected", { amount: formatMoney(fee.collectedMinor, fee.currency) })}
        </p>
      ))}
      <form className="inline-form" onSubmit={(event) => void submit(event)} data-testid="topup-form">
        <Field label={t("money.topup")} htmlFor="topup-amount" hint={t("money.topupHint")}>
          <input id="topup-amount" inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} placeholder="100.00" />
        </Field>
        <button type="submit" className="button" disabled={busy}>
          {t("money.topupSubmit")}
        </button>
      </form>
      <ErrorNotice error={error} />
    </section>
  );
}

function PayoutForm(props: { shop: Shop; currency: string; onRequested(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [amount, setAmount] = useState("");
  const [requestId, setRequestId] = useState(() => crypto.randomUUID());
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const amountMinor = parseMoney(amount, props.currency);
    if (amountMinor === undefined || amountMinor <= 0n) {
      setError(new Error(t("money.amountInvalid")));
      return;
    }
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      await answer(
        api.POST("/api/ledger/shops/{shopId}/payouts", {
          params: { path: { shopId: props.shop.id } },
          body: { amountMinor: amountMinor.toString(), currency: props.currency, requestId },
        }),
      );
      setDone(true);
      setAmount("");
      setRequestId(crypto.randomUUID());
      props.onRequested();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card inline-form" onSubmit={(event) => void submit(event)} data-testid="payout-form">
      <Field label={t("money.payout", { currency: props.currency })} htmlFor="payout-amount" hint={t("money.payoutHint")}>
        <input id="payout-amount" inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} placeholder="100.00" />
      </Field>
      <button type="submit" className="button button-primary" disabled={busy}>
        {t("money.request")}
      </button>
      <ErrorNotice error={error} />
      {done && <Notice tone="success">{t("money.requested")}</Notice>}
    </form>
  );
}
