// After a purchase, on the order page: a review form for each of the buyer's keys whose issuance
// is on the chain and that has no review yet (the API refuses the rest with a reason).
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { Order } from "../api/types.ts";
import { ErrorNotice, Field, Notice } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

export function OrderReviews(props: { order: Order }) {
  const { t } = useI18n();
  const { api, account } = useSession();
  // Kept here, not in the form: the form goes away once the list of reviews reloads without it.
  const [thanked, setThanked] = useState(false);
  const mine = useAsync(
    async (signal) => (account ? answer(api.GET("/api/account/reviews", { params: { query: { limit: 100 } }, signal })) : undefined),
    [api, account?.id],
  );
  if (!account || !mine.data) return null;
  const reviewed = new Set(mine.data.items.map((review) => review.entitlementId));
  const open = props.order.items.filter((item) => item.issueTx && !reviewed.has(item.entitlementId));
  if (open.length === 0 && !thanked) return null;
  return (
    <section className="card stack" aria-labelledby="review-form-title">
      <h2 id="review-form-title" className="section-title">
        {t("reviews.write")}
      </h2>
      <p className="muted small">{t("reviews.writeHint")}</p>
      {thanked && <Notice tone="success">{t("reviews.thanks")}</Notice>}
      {open.slice(0, 1).map((item) => (
        <ReviewForm
          key={item.entitlementId}
          entitlementId={item.entitlementId}
          productId={props.order.productId}
          onDone={() => {
            setThanked(true);
            mine.reload();
          }}
        />
      ))}
    </section>
  );
}

function ReviewForm(props: { entitlementId: string; productId: string; onDone(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [stars, setStars] = useState(5);
  const [body, setBody] = useState("");
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(api.POST("/api/reviews", { body: { entitlementId: props.entitlementId, productId: props.productId, stars, body } }));
    props.onDone();
  });
  const bodyId = `review-body-${props.entitlementId}`;
  return (
    <form className="stack-sm" onSubmit={submit} data-testid="review-form">
      <fieldset className="star-picker">
        <legend>{t("reviews.starsLabel")}</legend>
        {[1, 2, 3, 4, 5].map((value) => (
          <label key={value} className="star-choice">
            <input type="radio" name={`stars-${props.entitlementId}`} value={value} checked={stars === value} onChange={() => setStars(value)} />
            {t("reviews.starsOf", { stars: value })}
          </label>
        ))}
      </fieldset>
      <Field label={t("reviews.bodyLabel")} htmlFor={bodyId}>
        <textarea id={bodyId} value={body} maxLength={2000} required onChange={(event) => setBody(event.target.value)} data-testid="review-text" />
      </Field>
      <ErrorNotice error={error} />
      <button type="submit" className="button button-primary" disabled={busy || !body.trim()} data-testid="review-submit">
        {t("reviews.submit")}
      </button>
    </form>
  );
}
