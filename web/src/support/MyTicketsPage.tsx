// The signed-in buyer's tickets, newest first (guests see theirs on the order page).
import { answer } from "../api/client.ts";
import { EmptyState, ErrorNotice, PageHeader, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { TicketList } from "./TicketList.tsx";

export default function MyTicketsPage() {
  const { t } = useI18n();
  const { api, account } = useSession();
  const page = useAsync(
    (signal) => (account ? answer(api.GET("/api/me/tickets", { params: { query: { limit: 50 } }, signal })) : Promise.resolve(undefined)),
    [api, account?.id],
  );
  if (!account) {
    return (
      <EmptyState
        title={t("myOrders.signIn")}
        action={
          <Link className="button button-primary" to="/login?next=/me/tickets">
            {t("nav.signIn")}
          </Link>
        }
      />
    );
  }
  return (
    <div className="stack-lg">
      <PageHeader title={t("tickets.mine")} subtitle={account.email} />
      <ErrorNotice error={page.error} onRetry={page.reload} />
      {page.loading && !page.data && <Spinner />}
      {page.data?.items.length === 0 && <EmptyState title={t("tickets.none")}>{t("tickets.noneHint")}</EmptyState>}
      {page.data && page.data.items.length > 0 && <TicketList items={page.data.items} testId="my-tickets" />}
    </div>
  );
}
