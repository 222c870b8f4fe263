// Platform admins' review moderation (a tab of the platform console): reviews with open reports (hide), hidden ones (restore).
// Each action is audited by the API and moves the product's rating in the same transaction.
import { useState } from "react";
import { answer, type Schemas } from "../api/client.ts";
import { EmptyState, ErrorNotice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { Stars } from "./Stars.tsx";

type Reported = Schemas["ReportedReviewPage"]["items"][number];

export default function ModerationPage() {
  const { t } = useI18n();
  const { api, hasRole } = useSession();
  const [status, setStatus] = useState<"open" | "hidden">("open");
  const list = useAsync(
    async (signal) => (hasRole("admin") ? answer(api.GET("/api/admin/reviews", { params: { query: { status, limit: 50 } }, signal })) : undefined),
    [api, status],
  );
  if (!hasRole("admin")) return <EmptyState title={t("moderation.adminsOnly")} />;
  return (
    <div className="stack">
      <p className="muted">{t("moderation.subtitle")}</p>
      <div className="tabs">
        {(["open", "hidden"] as const).map((value) => (
          <button
            key={value}
            type="button"
            className={`button${status === value ? " button-primary" : ""}`}
            aria-pressed={status === value}
            onClick={() => setStatus(value)}
          >
            {t(`moderation.${value}`)}
          </button>
        ))}
      </div>
      {list.loading && <Spinner />}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 && <EmptyState title={t("moderation.empty")} />}
      <ul className="review-list">
        {list.data?.items.map((review) => (
          <ModeratedReview key={review.id} review={review} onChanged={list.reload} />
        ))}
      </ul>
    </div>
  );
}

function ModeratedReview(props: { review: Reported; onChanged(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { review } = props;
  const action = review.status === "visible" ? "hide" : "restore";
  const { busy, error, submit } = useFormSubmit(async () => {
    const path = action === "hide" ? "/api/admin/reviews/{reviewId}/hide" : "/api/admin/reviews/{reviewId}/restore";
    await answer(api.POST(path, { params: { path: { reviewId: review.id } }, body: { reason: t(`moderation.${action}Reason`) } }));
    props.onChanged();
  });
  return (
    <li className="review card" data-testid="moderated-review">
      <div className="review-head">
        <Stars stars={review.stars} />
        <Link to={`/product/${review.productId}`}>{t("moderation.product", { id: review.productId })}</Link>
        {review.openReports > 0 && <span className="chip">{t("moderation.reports", { count: review.openReports })}</span>}
      </div>
      <p className="pre-line">{review.body}</p>
      {review.reasons.length > 0 && <p className="muted small">{review.reasons.join(" · ")}</p>}
      <form onSubmit={submit}>
        <ErrorNotice error={error} />
        <button type="submit" className="button" disabled={busy} data-testid={`moderation-${action}`}>
          {t(`moderation.${action}`)}
        </button>
      </form>
    </li>
  );
}
