// The KYC review queue, a tab of the platform console (docs/saas.md, "KYC and limits"): pending
// submissions; opening one decrypts its details (the API audits each view); approve, reject or
// ask for more, always with a reason. Only admins with the reviewer right get answers.
import { useState } from "react";
import { answer, type Schemas } from "../api/client.ts";
import { EmptyState, ErrorNotice, Field, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";

type Submission = Schemas["KycSubmission"];

export default function KycQueue() {
  const { t } = useI18n();
  const { api } = useSession();
  const list = useAsync(async (signal) => answer(api.GET("/api/admin/kyc", { params: { query: { status: "pending", limit: 50 } }, signal })), [api]);
  const [open, setOpen] = useState<string | undefined>(undefined);
  return (
    <div className="stack">
      <p className="muted">{t("kyc.subtitle")}</p>
      {list.loading && <Spinner />}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 && <EmptyState title={t("kyc.empty")} testId="kyc-empty" />}
      {list.data && list.data.items.length > 0 && (
        <table className="table" data-testid="kyc-table">
          <thead>
            <tr>
              <th scope="col">{t("kyc.shop")}</th>
              <th scope="col">{t("kyc.level")}</th>
              <th scope="col">{t("kyc.documents")}</th>
              <th scope="col">{t("kyc.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((item) => (
              <tr key={item.id}>
                <td>{item.shopSlug}</td>
                <td>{t(`kyc.level.${item.levelRequested}` as MessageKey)}</td>
                <td>{item.documents.length}</td>
                <td>
                  <button type="button" className="button" onClick={() => setOpen(item.id)} data-testid={`kyc-open-${item.id}`}>
                    {t("kyc.open")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && (
        <KycReview
          key={open}
          submissionId={open}
          onDecided={() => {
            setOpen(undefined);
            list.reload();
          }}
        />
      )}
    </div>
  );
}

function KycReview(props: { submissionId: string; onDecided(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const review = useAsync(
    async (signal) => answer(api.GET("/api/admin/kyc/{submissionId}", { params: { path: { submissionId: props.submissionId } }, signal })),
    [api],
  );
  const [reason, setReason] = useState("");
  const [decision, setDecision] = useState<"approve" | "reject" | "request_more">("approve");
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(api.POST("/api/admin/kyc/{submissionId}/decision", { params: { path: { submissionId: props.submissionId } }, body: { decision, reason } }));
    props.onDecided();
  });
  if (review.loading) return <Spinner />;
  if (!review.data) return <ErrorNotice error={review.error} onRetry={review.reload} />;
  const details = review.data.details;
  return (
    <section className="card stack" aria-label={t("kyc.reviewTitle")} data-testid="kyc-review">
      <h2>{t("kyc.reviewTitle")}</h2>
      <dl className="definition-list">
        <dt>{t("kyc.legalName")}</dt>
        <dd data-testid="kyc-legal-name">{details.legalName}</dd>
        <dt>{t("kyc.idNumber")}</dt>
        <dd>{details.idNumber}</dd>
        <dt>{t("kyc.country")}</dt>
        <dd>{details.country}</dd>
        <dt>{t("kyc.address")}</dt>
        <dd>{details.address}</dd>
      </dl>
      <History submission={review.data} />
      <form className="stack" onSubmit={(event) => void submit(event)} data-testid="kyc-decision-form">
        <fieldset>
          <legend>{t("kyc.decision")}</legend>
          {(["approve", "reject", "request_more"] as const).map((value) => (
            <label key={value} className="radio">
              <input type="radio" name="kyc-decision" value={value} checked={decision === value} onChange={() => setDecision(value)} />{" "}
              {t(`kyc.decision.${value}` as MessageKey)}
            </label>
          ))}
        </fieldset>
        <Field label={t("kyc.reason")} htmlFor="kyc-reason">
          <textarea id="kyc-reason" value={reason} onChange={(event) => setReason(event.target.value)} required maxLength={2000} data-testid="kyc-reason" />
        </Field>
        <ErrorNotice error={error} />
        <button type="submit" className="button button-primary" disabled={busy} data-testid="kyc-decide">
          {busy ? t("common.working") : t("kyc.decide")}
        </button>
      </form>
    </section>
  );
}

function History(props: { submission: Submission }) {
  const { t } = useI18n();
  if (props.submission.decisions.length === 0) return null;
  return (
    <ul className="stack" aria-label={t("kyc.history")}>
      {props.submission.decisions.map((entry) => (
        <li key={entry.createdAt}>
          {t(`kyc.decision.${entry.decision}` as MessageKey)}: {entry.reason}
        </li>
      ))}
    </ul>
  );
}
