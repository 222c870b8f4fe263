// The merchant's email confirmation (docs/saas.md, "Onboarding"): the mailed link carries the
// token in the fragment; signed in without one, the page sends a new link.
import { useState } from "react";
import { answer } from "../api/client.ts";
import { ErrorNotice, Notice, PageHeader } from "../components/ui.tsx";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

export default function ConfirmEmailPage() {
  const { t } = useI18n();
  const { api, account } = useSession();
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "";
  const [state, setState] = useState<"idle" | "confirmed" | "sent" | "already">("idle");
  const confirm = useFormSubmit(async () => {
    await answer(api.POST("/api/auth/confirm-email", { body: { token } }));
    setState("confirmed");
  });
  const send = useFormSubmit(async () => {
    const sent = await answer(api.POST("/api/account/email-confirmation"));
    setState(sent.sent ? "sent" : "already");
  });
  return (
    <div className="narrow stack-lg">
      <PageHeader title={t("confirmEmail.title")} subtitle={t("confirmEmail.subtitle")} />
      {state === "confirmed" && (
        <Notice tone="success" testId="confirm-email-done">
          {t("confirmEmail.done")} <Link to="/merchant">{t("confirmEmail.openShop")}</Link>
        </Notice>
      )}
      {state === "sent" && (
        <Notice tone="success" testId="confirm-email-sent">
          {t("confirmEmail.sent")}
        </Notice>
      )}
      {state === "already" && <Notice testId="confirm-email-already">{t("confirmEmail.already")}</Notice>}
      {state === "idle" && token !== "" && (
        <form className="card stack" onSubmit={(event) => void confirm.submit(event)} data-testid="confirm-email-form">
          <ErrorNotice error={confirm.error} />
          <button type="submit" className="button button-primary button-block" disabled={confirm.busy} data-testid="confirm-email-submit">
            {confirm.busy ? t("common.working") : t("confirmEmail.confirm")}
          </button>
        </form>
      )}
      {state === "idle" && token === "" && account && (
        <form className="card stack" onSubmit={(event) => void send.submit(event)} data-testid="confirm-email-send-form">
          <p className="muted">{t("confirmEmail.sendHint")}</p>
          <ErrorNotice error={send.error} />
          <button type="submit" className="button button-primary button-block" disabled={send.busy} data-testid="confirm-email-send">
            {send.busy ? t("common.working") : t("confirmEmail.send")}
          </button>
        </form>
      )}
    </div>
  );
}
