// A dispute with its evidence (docs/disputes.md): what the chain, the view log and the ledger
// say about the order's keys, the dispute's state and deadlines, and what the caller's party may
// do next (escalate, answer; the merchant and an admin decide).
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { paths } from "../api/schema.d.ts";
import { ErrorNotice, Field, PageHeader, Spinner, StateBadge, TxLink, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";

type DisputePageData = paths["/api/disputes/{disputeId}"]["get"]["responses"][200]["content"]["application/json"];
type Evidence = DisputePageData["evidence"];

export default function DisputePage(props: { disputeId: string }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const { search } = useRouter();
  const token = search.get("token") ?? undefined;
  const page = useAsync(
    (signal) => answer(api.GET("/api/disputes/{disputeId}", { params: { path: { disputeId: props.disputeId }, query: { token } }, signal })),
    [api, props.disputeId, token],
  );
  if (page.loading && !page.data) return <Spinner />;
  if (!page.data) return <ErrorNotice error={page.error} onRetry={page.reload} />;
  const { dispute, evidence, party } = page.data;
  return (
    <div className="stack-lg" data-testid="dispute-page" data-dispute-state={dispute.state}>
      <PageHeader
        title={t("dispute.title", { id: dispute.id })}
        subtitle={`${t("order.number")} ${dispute.orderId} · ${t(`dispute.category.${dispute.category}` as MessageKey)}`}
        actions={<StateBadge state={`dispute_${dispute.state}`} testId="dispute-state" />}
      />
      <section className="card stack" aria-labelledby="dispute-facts-title">
        <h2 id="dispute-facts-title" className="section-title">
          {t("dispute.status")}
        </h2>
        <p>{dispute.statement}</p>
        <dl className="facts">
          <div>
            <dt>{t("dispute.openedAt")}</dt>
            <dd>{formatDateTime(dispute.openedAt, lang)}</dd>
          </div>
          <div>
            <dt>{t("dispute.escalationDeadline")}</dt>
            <dd>{formatDateTime(dispute.escalationDeadline, lang)}</dd>
          </div>
          {dispute.answerDeadline && (
            <div>
              <dt>{t("dispute.answerDeadline")}</dt>
              <dd>{formatDateTime(dispute.answerDeadline, lang)}</dd>
            </div>
          )}
          {dispute.outcome && (
            <div>
              <dt>{t("dispute.outcome")}</dt>
              <dd data-testid="dispute-outcome">
                {t(`dispute.outcome.${dispute.outcome}` as MessageKey)}
                {dispute.outcomeReason ? `: ${dispute.outcomeReason}` : ""}
              </dd>
            </div>
          )}
          {dispute.answer && (
            <div>
              <dt>{t("dispute.answer")}</dt>
              <dd>{dispute.answer}</dd>
            </div>
          )}
        </dl>
        {dispute.refunds.map((refund) => (
          <p key={refund.transactionId} className="small">
            {t("dispute.refunded", { amount: formatMoney(refund.amountMinor, refund.currency) })} · {t(`dispute.channel.${refund.channel}` as MessageKey)}
          </p>
        ))}
      </section>
      <EvidenceView evidence={evidence} />
      <Actions disputeId={dispute.id} state={dispute.state} escalatedBy={dispute.escalatedBy} party={party} token={token} onDone={page.reload} />
    </div>
  );
}

function EvidenceView(props: { evidence: Evidence }) {
  const { t, lang } = useI18n();
  const { evidence } = props;
  const yes = (value: boolean) => (value ? t("dispute.yes") : t("dispute.no"));
  return (
    <section className="stack" aria-labelledby="evidence-title" data-testid="dispute-evidence">
      <h2 id="evidence-title" className="section-title">
        {t("dispute.evidence")}
      </h2>
      <p className="muted small">{t("dispute.evidenceHint")}</p>
      <dl className="facts card">
        <div>
          <dt>{t("order.paidAt")}</dt>
          <dd>{formatDateTime(evidence.paidAt, lang)}</dd>
        </div>
        <div>
          <dt>{t("dispute.deliveredAt")}</dt>
          <dd>{formatDateTime(evidence.deliveredAt, lang)}</dd>
        </div>
      </dl>
      {evidence.keys.map((key) => (
        <article key={key.entitlementId} className="card stack" data-testid={`evidence-key-${key.entitlementId}`}>
          <h3 className="section-title">
            {t("dispute.key", { id: key.entitlementId })} <StateBadge state={key.state} />
          </h3>
          <dl className="facts">
            <div>
              <dt>{t("dispute.revealedAt")}</dt>
              <dd>{formatDateTime(key.revealedAt, lang)}</dd>
            </div>
            <div>
              <dt>{t("dispute.redeemedOnChain")}</dt>
              <dd data-testid="evidence-redeemed">{key.redeemedOnChain ? <TxLink hash={key.redeemedOnChain.transactionHash} /> : t("dispute.no")}</dd>
            </div>
            <div>
              <dt>{t("dispute.firstView")}</dt>
              <dd data-testid="evidence-first-view">
                {key.firstView
                  ? `${formatDateTime(key.firstView.viewedAt, lang)} · ${key.firstView.networkRegion ?? "—"} · ${t(`dispute.device.${key.firstView.deviceClass}` as MessageKey)}`
                  : "—"}
              </dd>
            </div>
            <div>
              <dt>{t("dispute.withdrawn")}</dt>
              <dd data-testid="evidence-withdrawn">{yes(key.withdrawn)}</dd>
            </div>
            <div>
              <dt>{t("dispute.transferred")}</dt>
              <dd>{yes(key.transferred)}</dd>
            </div>
            <div>
              <dt>{t("dispute.elsewhere")}</dt>
              <dd>{key.sameCodeElsewhere.length === 0 ? t("dispute.no") : key.sameCodeElsewhere.map((other) => `#${other.shopId}`).join(", ")}</dd>
            </div>
          </dl>
          <ol className="small">
            {key.timeline.map((step) => (
              // A step is one chain or platform fact: its kind, transaction and time name it.
              <li key={`${step.kind}-${step.transactionHash ?? ""}-${step.time ?? ""}`}>
                {t(`timeline.${step.kind}` as MessageKey)} · {formatDateTime(step.time, lang)} {step.transactionHash && <TxLink hash={step.transactionHash} />}
              </li>
            ))}
          </ol>
        </article>
      ))}
      <TableScroll>
        <table className="table" data-testid="evidence-ledger">
          <caption>{t("dispute.ledger")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dispute.entry")}</th>
              <th scope="col">{t("dispute.postings")}</th>
            </tr>
          </thead>
          <tbody>
            {evidence.ledger.map((entry) => (
              <tr key={entry.transactionId}>
                <td className="mono small">
                  {entry.kind} #{entry.transactionId}
                </td>
                <td className="small">
                  {entry.postings.map((posting) => `${posting.account} ${formatMoney(posting.amountMinor, posting.currency)}`).join("; ")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}

function Actions(props: {
  disputeId: string;
  state: string;
  escalatedBy: string | null;
  party: DisputePageData["party"];
  token: string | undefined;
  onDone(): void;
}) {
  const { party, state } = props;
  const canEscalate = (party === "buyer" || party === "merchant") && (state === "open" || state === "rejected");
  const canAnswer = (party === "buyer" || party === "merchant") && state === "escalated" && props.escalatedBy !== party;
  const canDecide = (party === "merchant" && state === "open") || (party === "admin" && state === "escalated");
  return (
    <div className="stack">
      {canEscalate && <EscalateButton {...props} />}
      {canAnswer && <AnswerForm {...props} />}
      {canDecide && <DecisionForm {...props} />}
    </div>
  );
}

function EscalateButton(props: { disputeId: string; token: string | undefined; onDone(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(
      api.POST("/api/disputes/{disputeId}/escalate", { params: { path: { disputeId: props.disputeId } }, body: props.token ? { token: props.token } : {} }),
    );
    props.onDone();
  });
  return (
    <form onSubmit={submit} className="stack">
      <p className="muted small">{t("dispute.escalateHint")}</p>
      <ErrorNotice error={error} />
      <div>
        <button type="submit" className="button" disabled={busy}>
          {t("dispute.escalate")}
        </button>
      </div>
    </form>
  );
}

function AnswerForm(props: { disputeId: string; token: string | undefined; onDone(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [text, setText] = useState("");
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(
      api.POST("/api/disputes/{disputeId}/answer", {
        params: { path: { disputeId: props.disputeId } },
        body: { answer: text, ...(props.token ? { token: props.token } : {}) },
      }),
    );
    props.onDone();
  });
  return (
    <form onSubmit={submit} className="card stack">
      <Field label={t("dispute.answer")} htmlFor="dispute-answer">
        <textarea id="dispute-answer" required maxLength={4000} rows={3} value={text} onChange={(event) => setText(event.target.value)} />
      </Field>
      <ErrorNotice error={error} />
      <div>
        <button type="submit" className="button" disabled={busy || text.trim() === ""}>
          {t("dispute.sendAnswer")}
        </button>
      </div>
    </form>
  );
}

function DecisionForm(props: { disputeId: string; onDone(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [outcome, setOutcome] = useState<"reject" | "refund" | "replace">("reject");
  const [reason, setReason] = useState("");
  const [amount, setAmount] = useState("");
  const { busy, error, submit } = useFormSubmit(async () => {
    const body = outcome === "reject" ? { outcome, reason } : outcome === "refund" ? { outcome, amountMinor: amount } : { outcome };
    await answer(api.POST("/api/disputes/{disputeId}/decision", { params: { path: { disputeId: props.disputeId } }, body }));
    props.onDone();
  });
  return (
    <form onSubmit={submit} className="card stack" data-testid="dispute-decision">
      <h2 className="section-title">{t("dispute.decide")}</h2>
      <Field label={t("dispute.outcome")} htmlFor="dispute-outcome-choice">
        <select id="dispute-outcome-choice" value={outcome} onChange={(event) => setOutcome(event.target.value as typeof outcome)}>
          <option value="reject">{t("dispute.decide.reject")}</option>
          <option value="refund">{t("dispute.decide.refund")}</option>
          <option value="replace">{t("dispute.decide.replace")}</option>
        </select>
      </Field>
      {outcome === "reject" && (
        <Field label={t("dispute.reason")} htmlFor="dispute-reason">
          <input id="dispute-reason" required maxLength={500} value={reason} onChange={(event) => setReason(event.target.value)} />
        </Field>
      )}
      {outcome === "refund" && (
        <Field label={t("dispute.amountMinor")} htmlFor="dispute-amount">
          <input id="dispute-amount" required inputMode="numeric" pattern="[0-9]{1,18}" value={amount} onChange={(event) => setAmount(event.target.value)} />
        </Field>
      )}
      <ErrorNotice error={error} />
      <div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {t("dispute.submitDecision")}
        </button>
      </div>
    </form>
  );
}
