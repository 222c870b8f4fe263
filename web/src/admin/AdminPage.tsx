// The platform console (a lazy chunk) for admins: the shared blacklist that applies to every
// shop, the disputes queue (arbitration) and review moderation. Admin routes need a session signed in with the second factor (docs/accounts.md), so a
// session without it sees the API's refusal with what to do. Tabs are named in the URL
// (/admin/<tab>) so that each list can be linked to and new ones added beside it.
import { EmptyState, PageHeader } from "../components/ui.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import DisputesQueue from "../disputes/DisputesQueuePage.tsx";
import ModerationQueue from "../reviews/ModerationPage.tsx";
import { BlacklistEditor } from "../risk/BlacklistEditor.tsx";
import KycQueue from "../saas/KycQueue.tsx";
import AmlQueue from "../compliance/AmlQueue.tsx";
import PlanEditor from "../saas/PlanEditor.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

const adminTabs = ["disputes", "moderation", "blacklist", "kyc", "aml", "plans"] as const;
type AdminTab = (typeof adminTabs)[number];

export default function AdminPage(props: { tab: string }) {
  const { t } = useI18n();
  const { account, hasRole } = useSession();
  const tab: AdminTab = (adminTabs as readonly string[]).includes(props.tab) ? (props.tab as AdminTab) : "disputes";
  if (!account || !hasRole("admin")) {
    return (
      <EmptyState
        title={t("admin.signIn")}
        action={
          <Link className="button button-primary" to="/login?next=/admin">
            {t("nav.signIn")}
          </Link>
        }
      >
        {t("admin.signInHint")}
      </EmptyState>
    );
  }
  return (
    <div className="stack-lg console">
      <PageHeader title={t("admin.title")} subtitle={t("admin.subtitle")} />
      <nav className="tabs" aria-label={t("admin.title")}>
        {adminTabs.map((name) => (
          <Link
            key={name}
            to={`/admin/${name}`}
            className={`tab${tab === name ? " tab-active" : ""}`}
            aria-current={tab === name ? "page" : undefined}
            data-testid={`admin-tab-${name}`}
          >
            {t(`admin.tab.${name}` as MessageKey)}
          </Link>
        ))}
      </nav>
      {tab === "disputes" && <DisputesQueue />}
      {tab === "moderation" && <ModerationQueue />}
      {tab === "blacklist" && <BlacklistEditor scope={{ shopId: null }} hint={t("admin.blacklistHint")} />}
      {tab === "kyc" && <KycQueue />}
      {tab === "aml" && <AmlQueue />}
      {tab === "plans" && <PlanEditor />}
    </div>
  );
}
