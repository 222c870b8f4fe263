import { EmptyState } from "../components/ui.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <EmptyState
      title={t("notFound.title")}
      action={
        <Link className="button" to="/">
          {t("notFound.home")}
        </Link>
      }
    >
      {t("notFound.body")}
    </EmptyState>
  );
}
