// An entitlement's public provenance: anchored, sold, issued, each resale and transfer,
// redeemed or revoked, each with its transaction. Anyone can open it (no codes, no identities).
import { answer } from "../api/client.ts";
import { ErrorNotice, PageHeader, Spinner, StateBadge, TxLink } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";

export default function TimelinePage(props: { entitlementId: string }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const timeline = useAsync(
    (signal) => answer(api.GET("/api/entitlements/{entitlementId}/timeline", { params: { path: { entitlementId: props.entitlementId } }, signal })),
    [api, props.entitlementId],
  );
  if (timeline.loading && !timeline.data) return <Spinner />;
  if (!timeline.data) return <ErrorNotice error={timeline.error} onRetry={timeline.reload} />;
  const data = timeline.data;
  return (
    <div className="narrow stack-lg">
      <PageHeader
        title={t("timeline.title")}
        subtitle={data.tokenId ? t("verify.t.issued", { token: data.tokenId }) : t("verify.t.notIssued")}
        actions={<StateBadge state={data.state} />}
      />
      <ol className="timeline card" data-testid="entitlement-timeline">
        {data.steps.map((step, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a fixed history in chain order; a kind can repeat, so its position tells the steps apart
          <li key={`${step.kind}-${index}`} data-kind={step.kind}>
            <strong>{t(`timeline.${step.kind}` as MessageKey)}</strong>
            <span className="small muted">
              {formatDateTime(step.time, lang)}{" "}
              {step.transactionHash && (
                <>
                  · <TxLink hash={step.transactionHash} />
                </>
              )}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}
