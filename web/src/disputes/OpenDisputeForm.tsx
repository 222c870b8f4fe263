// The buyer opens a dispute from the order page (docs/disputes.md): a category and what went
// wrong. The evidence is gathered by the platform from facts; the buyer only says what happened.
import { useState } from "react";
import { answer } from "../api/client.ts";
import { ErrorNotice, Field } from "../components/ui.tsx";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";

export const disputeCategories = ["key_invalid", "key_already_used", "wrong_product", "not_received", "other"] as const;

export function OpenDisputeForm(props: { orderId: string; token: string | undefined }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { navigate } = useRouter();
  const [category, setCategory] = useState<(typeof disputeCategories)[number]>("key_invalid");
  const [statement, setStatement] = useState("");
  const { busy, error, submit } = useFormSubmit(async () => {
    const opened = await answer(
      api.POST("/api/orders/{orderId}/disputes", {
        params: { path: { orderId: props.orderId } },
        body: { category, statement, ...(props.token ? { token: props.token } : {}) },
      }),
    );
    navigate(`/disputes/${opened.id}${props.token ? `?token=${encodeURIComponent(props.token)}` : ""}`);
  });
  return (
    <section className="card stack" aria-labelledby="dispute-open-title">
      <h2 id="dispute-open-title" className="section-title">
        {t("dispute.openTitle")}
      </h2>
      <p className="muted small">{t("dispute.openHint")}</p>
      <form className="stack" onSubmit={submit} data-testid="open-dispute">
        <Field label={t("dispute.category")} htmlFor="dispute-category">
          <select id="dispute-category" value={category} onChange={(event) => setCategory(event.target.value as typeof category)}>
            {disputeCategories.map((value) => (
              <option key={value} value={value}>
                {t(`dispute.category.${value}` as MessageKey)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("dispute.statement")} htmlFor="dispute-statement">
          <textarea id="dispute-statement" required maxLength={4000} rows={3} value={statement} onChange={(event) => setStatement(event.target.value)} />
        </Field>
        <ErrorNotice error={error} />
        <div>
          <button type="submit" className="button" disabled={busy || statement.trim() === ""}>
            {t("dispute.open")}
          </button>
        </div>
      </form>
    </section>
  );
}
