// The person's data rights (docs/compliance.md, "Data rights"): download everything the platform
// holds about them (GET /api/account/data-export, answered at once) and ask for erasure
// (POST /api/account/erasure with its confirmation phrase). A refusal (409 erasure_refused: a
// legal hold or an open dispute) is shown with its reason, since the person must know what to
// close first; after erasure the session is gone, so the page signs out.
import { useState } from "react";
import { answer, ApiError } from "../api/client.ts";
import { EmptyState, ErrorNotice, Notice, PageHeader } from "../components/ui.tsx";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { saveBlob } from "../receipts/downloads.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

/** The phrase the API requires, in its own words in every language (the API checks it verbatim). */
const confirmationPhrase = "erase my data";

function refusalReason(error: unknown): string | undefined {
  if (!(error instanceof ApiError) || error.code !== "erasure_refused") return undefined;
  const details = error.details as { reason?: unknown } | undefined;
  return typeof details?.reason === "string" ? details.reason : "unknown";
}

export default function MyDataPage() {
  const { t } = useI18n();
  const { api, account, signOut } = useSession();
  const [phrase, setPhrase] = useState("");
  const [erased, setErased] = useState<string | undefined>(undefined);
  const exportData = useFormSubmit(async () => {
    const data = await answer(api.GET("/api/account/data-export"));
    saveBlob(`keyledger-my-data-${account?.id ?? "account"}.json`, new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  });
  const erase = useFormSubmit(async () => {
    const result = await answer(api.POST("/api/account/erasure", { body: { confirm: confirmationPhrase } }));
    setErased(result.erasedAt);
    await signOut().catch(() => undefined);
  });
  if (erased) {
    return (
      <div className="narrow stack-lg">
        <PageHeader title={t("myData.title")} />
        <Notice tone="success" testId="my-data-erased" title={t("myData.erased")}>
          {t("myData.erasedDetail")}
        </Notice>
      </div>
    );
  }
  if (!account) {
    return (
      <EmptyState
        title={t("myData.signIn")}
        action={
          <Link className="button button-primary" to="/login?next=/me/data">
            {t("nav.signIn")}
          </Link>
        }
      />
    );
  }
  const refused = refusalReason(erase.error);
  return (
    <div className="narrow stack-lg">
      <PageHeader title={t("myData.title")} subtitle={t("myData.subtitle")} />
      <form className="card stack" onSubmit={(event) => void exportData.submit(event)} data-testid="my-data-export-form">
        <h2>{t("myData.exportTitle")}</h2>
        <p className="muted">{t("myData.exportHint")}</p>
        <ErrorNotice error={exportData.error} />
        <button type="submit" className="button button-primary" disabled={exportData.busy} data-testid="my-data-export">
          {exportData.busy ? t("common.working") : t("myData.export")}
        </button>
      </form>
      <form className="card stack" onSubmit={(event) => void erase.submit(event)} data-testid="my-data-erase-form">
        <h2>{t("myData.eraseTitle")}</h2>
        <p className="muted">{t("myData.eraseHint")}</p>
        <p className="muted">{t("myData.eraseKept")}</p>
        <div className="field">
          <label htmlFor="my-data-phrase">{t("myData.phraseLabel", { phrase: confirmationPhrase })}</label>
          <input id="my-data-phrase" autoComplete="off" value={phrase} onChange={(event) => setPhrase(event.target.value)} data-testid="my-data-phrase" />
        </div>
        {refused ? (
          <div className="notice notice-error" role="alert" data-testid="my-data-refused" data-reason={refused}>
            <strong>
              {t(refused === "legal_hold" ? "myData.refused.legal_hold" : refused === "dispute_open" ? "myData.refused.dispute_open" : "myData.refused.other")}
            </strong>
            <p className="notice-detail">{(erase.error as Error).message}</p>
          </div>
        ) : (
          <ErrorNotice error={erase.error} />
        )}
        <button
          type="submit"
          className="button button-danger"
          disabled={erase.busy || phrase.trim().toLowerCase() !== confirmationPhrase}
          data-testid="my-data-erase"
        >
          {erase.busy ? t("common.working") : t("myData.erase")}
        </button>
      </form>
    </div>
  );
}
