// "My balance" on My subscriptions (docs/subscriptions.md, "Balance"): the buyer's platform balance
// per currency (renewals and upgrades are charged from it; dispute refunds land in it) and a
// top-up, paid through the platform's EPay merchant. The top-up request carries an idempotency
// key made once per amount, so a retry after a lost answer (or a second click) is answered with
// the same top-up, never a second one; the buyer then goes to the cashier URL the API returns,
// which sends them back here. The top-up started last is remembered on this device and shown
// with its state until it is paid.
import { useRef, useState } from "react";
import { answer } from "../api/client.ts";
import { ErrorNotice, Field, Notice, Spinner, StateBadge } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatMoney, parseMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";
import { readStored, writeStored } from "../storage.ts";

/** Top-ups go through EPay, which takes CNY only (the API refuses any other currency). */
const topupCurrency = "CNY";
const pendingTopupKey = "kl.pendingTopup";
/** While the top-up started last awaits payment, its state is asked for this often, this many times. */
const topupPollMs = 2000;
const topupPollsMax = 30;

function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `topup-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

export function BalancePanel(props: { version: number }) {
  const { t } = useI18n();
  const { api, account } = useSession();
  const balance = useAsync((signal) => answer(api.GET("/api/balance", { signal })), [api, account?.id, props.version]);
  const balances = balance.data?.balances.length ? balance.data.balances : [{ currency: topupCurrency, balanceMinor: "0" }];
  return (
    <section className="card stack" aria-labelledby="balance-title" data-testid="my-balance">
      <h2 id="balance-title">{t("balance.title")}</h2>
      <p className="muted">{t("balance.hint")}</p>
      {balance.loading && !balance.data && <Spinner />}
      <ErrorNotice error={balance.error} onRetry={balance.reload} />
      {balance.data && (
        <div className="stat-grid">
          {balances.map((entry) => (
            <div className="stat" key={entry.currency} data-testid="balance-amount" data-currency={entry.currency} data-minor={entry.balanceMinor}>
              <span className="stat-label">{t("balance.available", { currency: entry.currency })}</span>
              <span className="stat-value">{formatMoney(entry.balanceMinor, entry.currency)}</span>
            </div>
          ))}
        </div>
      )}
      <PendingTopup onPaid={balance.reload} />
      <TopupForm />
    </section>
  );
}

function TopupForm() {
  const { t } = useI18n();
  const { api } = useSession();
  const [amount, setAmount] = useState("");
  // One key per amount typed: retrying the same amount is the same top-up; another amount is a new one.
  const [idempotencyKey, setIdempotencyKey] = useState(newIdempotencyKey);
  const amountMinor = parseMoney(amount, topupCurrency);
  const valid = amountMinor !== undefined && amountMinor > 0n;
  const start = useFormSubmit(async () => {
    if (!valid) return;
    const topup = await answer(api.POST("/api/balance/topups", { body: { amountMinor: String(amountMinor), currency: topupCurrency, idempotencyKey } }));
    writeStored(pendingTopupKey, topup.id);
    if (topup.paymentUrl) window.location.assign(topup.paymentUrl);
  });
  return (
    <form className="stack" onSubmit={(event) => void start.submit(event)} data-testid="topup-form" noValidate>
      <h3>{t("balance.topupTitle")}</h3>
      <Field
        label={t("balance.amount", { currency: topupCurrency })}
        hint={t("balance.amountHint")}
        error={amount !== "" && !valid ? t("balance.amountInvalid") : undefined}
        htmlFor="topup-amount"
      >
        <input
          id="topup-amount"
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          aria-invalid={amount !== "" && !valid}
          onChange={(event) => {
            setAmount(event.target.value);
            setIdempotencyKey(newIdempotencyKey());
          }}
        />
      </Field>
      <ErrorNotice error={start.error} />
      <button type="submit" className="button button-primary" disabled={start.busy || !valid} data-testid="topup-submit">
        {start.busy ? t("common.working") : t("balance.topup")}
      </button>
    </form>
  );
}

/** The top-up started last on this device, with its state, asked for again while it awaits payment. */
function PendingTopup(props: { onPaid(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [topupId] = useState(() => readStored<string>(pendingTopupKey));
  const polls = useRef(0);
  const topup = useAsync(
    async (signal) => {
      if (!topupId || !/^BT[0-9A-Z]{8,32}$/.test(topupId)) return undefined;
      polls.current += 1;
      const found = await answer(api.GET("/api/balance/topups/{topupId}", { params: { path: { topupId } }, signal }));
      if (found.state === "paid") {
        // Shown for this visit; the next one starts clean.
        writeStored(pendingTopupKey, undefined);
        props.onPaid();
      }
      return found;
    },
    [api, topupId],
    { pollMs: topupPollMs, poll: (data) => data?.state === "awaiting_payment" && polls.current < topupPollsMax },
  );
  if (!topup.data) return null;
  const amount = formatMoney(topup.data.amountMinor, topup.data.currency);
  return (
    <Notice tone={topup.data.state === "paid" ? "success" : "info"} testId="topup-status">
      <StateBadge state={topup.data.state} testId="topup-state" />{" "}
      {topup.data.state === "paid" ? t("balance.topupPaid", { amount }) : t("balance.topupAwaiting", { amount })}
      {topup.data.state === "awaiting_payment" && topup.data.paymentUrl && (
        <>
          {" "}
          <a href={topup.data.paymentUrl}>{t("balance.payNow")}</a>
        </>
      )}
    </Notice>
  );
}
