// A product's reviews: the rating (exact counters kept by the API), each visible review with its
// "verified purchase" link to the entitlement's issuance transaction, the merchant's reply, a
// reply form for the shop's merchant and a report button for signed-in readers.
import { useState } from "react";
import { answer, type Schemas } from "../api/client.ts";
import { EmptyState, ErrorNotice, Field, Notice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { Stars } from "./Stars.tsx";

type Review = Schemas["Review"];

export function ProductReviews(props: { productId: string; canReply: boolean }) {
  const { t } = useI18n();
  const { api } = useSession();
  const reviews = useAsync(
    (signal) => answer(api.GET("/api/products/{productId}/reviews", { params: { path: { productId: props.productId }, query: { limit: 20 } }, signal })),
    [api, props.productId],
  );
  return (
    <section className="card stack" aria-labelledby="reviews-title" data-testid="product-reviews">
      <div className="section-head">
        <h2 id="reviews-title" className="section-title">
          {t("reviews.title")}
        </h2>
        {reviews.data?.rating.average != null && (
          <span data-testid="rating-summary">
            <Stars stars={reviews.data.rating.average} />{" "}
            {t("reviews.summary", { average: reviews.data.rating.average.toFixed(2), count: reviews.data.rating.reviewsCount })}
          </span>
        )}
      </div>
      {reviews.loading && <Spinner />}
      <ErrorNotice error={reviews.error} onRetry={reviews.reload} />
      {reviews.data && reviews.data.items.length === 0 && <EmptyState title={t("reviews.none")}>{t("reviews.noneHint")}</EmptyState>}
      <ul className="review-list">
        {reviews.data?.items.map((review) => (
          <ReviewItem key={review.id} review={review} canReply={props.canReply} onChanged={reviews.reload} />
        ))}
      </ul>
    </section>
  );
}

function ReviewItem(props: { review: Review; canReply: boolean; onChanged(): void }) {
  const { t, lang } = useI18n();
  const { account } = useSession();
  const { review } = props;
  return (
    <li className="review" data-testid="review">
      <div className="review-head">
        <Stars stars={review.stars} />
        <span className="muted small">{review.authorName ?? t("reviews.anonymous")}</span>
        <Link to={`/tx/${review.verified.issueTx}`} className="chip chip-chain" data-testid="review-verified">
          {t("reviews.verified")}
        </Link>
        <span className="muted small">{formatDateTime(review.createdAt, lang)}</span>
      </div>
      <p className="pre-line" data-testid="review-body">
        {review.body}
      </p>
      {review.reply && (
        <blockquote className="review-reply" data-testid="review-reply">
          <strong>{t("reviews.merchantReply")}</strong> {review.reply.body}
        </blockquote>
      )}
      {!review.reply && props.canReply && <ReplyForm reviewId={review.id} onReplied={props.onChanged} />}
      {account && <ReportButton reviewId={review.id} />}
    </li>
  );
}

function ReplyForm(props: { reviewId: string; onReplied(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [body, setBody] = useState("");
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(api.POST("/api/reviews/{reviewId}/reply", { params: { path: { reviewId: props.reviewId } }, body: { body } }));
    props.onReplied();
  });
  const fieldId = `reply-${props.reviewId}`;
  return (
    <form className="stack-sm" onSubmit={submit}>
      <Field label={t("reviews.replyLabel")} htmlFor={fieldId}>
        <textarea id={fieldId} value={body} maxLength={2000} required onChange={(event) => setBody(event.target.value)} data-testid="reply-body" />
      </Field>
      <ErrorNotice error={error} />
      <button type="submit" className="button" disabled={busy || !body.trim()} data-testid="reply-submit">
        {t("reviews.replySubmit")}
      </button>
    </form>
  );
}

function ReportButton(props: { reviewId: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [done, setDone] = useState(false);
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(api.POST("/api/reviews/{reviewId}/reports", { params: { path: { reviewId: props.reviewId } }, body: { reason: t("reviews.reportReason") } }));
    setDone(true);
  });
  if (done) return <Notice tone="info">{t("reviews.reported")}</Notice>;
  return (
    <form onSubmit={submit}>
      <ErrorNotice error={error} />
      <button type="submit" className="button button-small button-quiet" disabled={busy} data-testid="review-report">
        {t("reviews.report")}
      </button>
    </form>
  );
}
