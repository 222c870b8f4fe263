// The AML queue, a tab of the platform console (docs/compliance.md, "Decisions"): alerts by
// state; opening one shows the ledger entries that caused it (postings per account) and its
// decisions; an admin clears or freezes an open alert (a freeze is a ledger hold on the shop's
// payable, optionally for less than the alert's amount) and releases a frozen one, always with a
// reason. The API allows each transition once, so the form offers only the ones the state allows.
import { useState } from "react";
import { answer, type Schemas } from "../api/client.ts";
import { EmptyState, ErrorNotice, Field, Spinner, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatDateTime, formatMoney, parseMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";

type Alert = Schemas["GetAdminAmlAlertsAlertIdResponse"];
type AlertState = Alert["state"];
type Decision = "clear" | "freeze" | "release";

const states: AlertState[] = ["open", "frozen", "cleared", "released"];
const decisionsFor = (state: AlertState): Decision[] => (state === "open" ? ["clear", "freeze"] : state === "frozen" ? ["release"] : []);

export default function AmlQueue() {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const [state, setState] = useState<AlertState>("open");
  const list = useAsync(async (signal) => answer(api.GET("/api/admin/aml/alerts", { params: { query: { state, limit: 50 } }, signal })), [api, state]);
  const [open, setOpen] = useState<string | undefined>(undefined);
  return (
    <div className="stack">
      <p className="muted">{t("aml.subtitle")}</p>
      <Field label={t("aml.stateFilter")} htmlFor="aml-state">
        <select id="aml-state" value={state} onChange={(event) => setState(event.target.value as AlertState)} data-testid="aml-state">
          {states.map((value) => (
            <option key={value} value={value}>
              {t(`aml.state.${value}` as MessageKey)}
            </option>
          ))}
        </select>
      </Field>
      {list.loading && !list.data && <Spinner />}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 && <EmptyState title={t("aml.empty")} testId="aml-empty" />}
      {list.data && list.data.items.length > 0 && (
        <TableScroll label={t("admin.tab.aml")}>
          <table className="table" data-testid="aml-table">
            <thead>
              <tr>
                <th scope="col">{t("aml.alert")}</th>
                <th scope="col">{t("aml.rule")}</th>
                <th scope="col">{t("aml.shop")}</th>
                <th scope="col">{t("aml.amount")}</th>
                <th scope="col">{t("aml.raised")}</th>
                <th scope="col">{t("kyc.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((item) => (
                <tr key={item.id} data-testid={`aml-row-${item.id}`}>
                  <td className="mono">#{item.id}</td>
                  <td>{t(`aml.rule.${item.rule}` as MessageKey)}</td>
                  <td className="mono">{subjectOf(t, item)}</td>
                  <td>{formatMoney(item.amountMinor, item.currency)}</td>
                  <td>{formatDateTime(item.createdAt, lang)}</td>
                  <td>
                    <button type="button" className="button" onClick={() => setOpen(item.id)} data-testid={`aml-open-${item.id}`}>
                      {t("aml.open")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {open && <AlertReview key={open} alertId={open} onDecided={list.reload} />}
    </div>
  );
}

/** Whose money the alert is about: a shop, or a distributor (an agent or referrer) paid out on its own. */
function subjectOf(t: ReturnType<typeof useI18n>["t"], alert: { shopId: string | null; distributorAccountId: string | null }): string {
  return alert.shopId !== null ? t("aml.subject.shop", { id: alert.shopId }) : t("aml.subject.distributor", { id: alert.distributorAccountId ?? "" });
}

function AlertReview(props: { alertId: string; onDecided(): void }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const alert = useAsync(async (signal) => answer(api.GET("/api/admin/aml/alerts/{alertId}", { params: { path: { alertId: props.alertId } }, signal })), [api]);
  if (alert.loading && !alert.data) return <Spinner />;
  if (!alert.data) return <ErrorNotice error={alert.error} onRetry={alert.reload} />;
  const data = alert.data;
  return (
    <section className="card stack" aria-label={t("aml.reviewTitle", { id: data.id })} data-testid="aml-review">
      <h2>{t("aml.reviewTitle", { id: data.id })}</h2>
      <dl className="definition-list">
        <dt>{t("aml.rule")}</dt>
        <dd>{t(`aml.rule.${data.rule}` as MessageKey)}</dd>
        <dt>{t("aml.stateLabel")}</dt>
        <dd data-testid="aml-review-state" data-state={data.state}>
          {t(`aml.state.${data.state}` as MessageKey)}
        </dd>
        <dt>{t("aml.shop")}</dt>
        <dd className="mono">{subjectOf(t, data)}</dd>
        <dt>{t("aml.amount")}</dt>
        <dd>{formatMoney(data.amountMinor, data.currency)}</dd>
        {data.payoutId && (
          <>
            <dt>{t("aml.payout")}</dt>
            <dd className="mono">{data.payoutId}</dd>
          </>
        )}
        {data.freezeHoldId && (
          <>
            <dt>{t("aml.freezeHold")}</dt>
            <dd className="mono">#{data.freezeHoldId}</dd>
          </>
        )}
      </dl>
      <h3>{t("aml.entries")}</h3>
      <TableScroll label={t("aml.entries")}>
        <table className="table" data-testid="aml-entries">
          <thead>
            <tr>
              <th scope="col">{t("aml.transaction")}</th>
              <th scope="col">{t("aml.kind")}</th>
              <th scope="col">{t("aml.reference")}</th>
              <th scope="col">{t("aml.postings")}</th>
              <th scope="col">{t("aml.raised")}</th>
            </tr>
          </thead>
          <tbody>
            {data.entries.map((entry) => (
              <tr key={entry.transactionId} data-testid={`aml-entry-${entry.transactionId}`}>
                <td className="mono">#{entry.transactionId}</td>
                <td>{entry.kind}</td>
                <td className="mono">
                  {entry.referenceType} {entry.referenceId}
                </td>
                <td>
                  <ul>
                    {entry.postings.map((posting) => (
                      <li key={`${posting.accountId}-${posting.amountMinor}`}>
                        {posting.ownerType} {posting.ownerId} · {posting.purpose}: {formatMoney(posting.amountMinor, posting.currency)}
                      </li>
                    ))}
                  </ul>
                </td>
                <td>{formatDateTime(entry.createdAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {data.decisions.length > 0 && (
        <ul className="stack" aria-label={t("aml.history")} data-testid="aml-history">
          {data.decisions.map((entry) => (
            <li key={entry.decidedAt + entry.decision}>
              {formatDateTime(entry.decidedAt, lang)} · {t(`aml.decision.${entry.decision}` as MessageKey)}: {entry.reason}
            </li>
          ))}
        </ul>
      )}
      {decisionsFor(data.state).length > 0 && (
        <DecisionForm
          alert={data}
          onDecided={() => {
            alert.reload();
            props.onDecided();
          }}
        />
      )}
    </section>
  );
}

function DecisionForm(props: { alert: Alert; onDecided(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const allowed = decisionsFor(props.alert.state);
  const [decision, setDecision] = useState<Decision>(allowed[0]!);
  const [reason, setReason] = useState("");
  const [amount, setAmount] = useState("");
  const [amountError, setAmountError] = useState<string | undefined>(undefined);
  const { busy, error, submit } = useFormSubmit(async () => {
    let amountMinor: string | undefined;
    if (decision === "freeze" && amount.trim() !== "") {
      const parsed = parseMoney(amount, props.alert.currency);
      if (parsed === undefined || parsed <= 0n) {
        setAmountError(t("aml.amountInvalid"));
        return;
      }
      amountMinor = parsed.toString();
    }
    setAmountError(undefined);
    await answer(
      api.POST("/api/admin/aml/alerts/{alertId}/decision", {
        params: { path: { alertId: props.alert.id } },
        body: { decision, reason, ...(amountMinor ? { amountMinor } : {}) },
      }),
    );
    setReason("");
    setAmount("");
    props.onDecided();
  });
  return (
    <form className="stack" onSubmit={(event) => void submit(event)} data-testid="aml-decision-form">
      <fieldset>
        <legend>{t("aml.decisionLegend")}</legend>
        {allowed.map((value) => (
          <label key={value} className="radio">
            <input type="radio" name="aml-decision" value={value} checked={decision === value} onChange={() => setDecision(value)} />{" "}
            {t(`aml.decision.${value}` as MessageKey)}
          </label>
        ))}
      </fieldset>
      {decision === "freeze" && (
        <Field label={t("aml.freezeAmount")} hint={t("aml.freezeAmountHint")} htmlFor="aml-amount" error={amountError}>
          <input id="aml-amount" inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} data-testid="aml-amount" />
        </Field>
      )}
      <Field label={t("aml.reason")} htmlFor="aml-reason">
        <textarea id="aml-reason" value={reason} onChange={(event) => setReason(event.target.value)} required maxLength={500} data-testid="aml-reason" />
      </Field>
      <ErrorNotice error={error} />
      <button type="submit" className="button button-primary" disabled={busy} data-testid="aml-decide">
        {busy ? t("common.working") : t("aml.decide")}
      </button>
    </form>
  );
}
