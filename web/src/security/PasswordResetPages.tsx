// Forgot password (ask for a reset mail) and reset password (the mail's link, whose token is
// in the URL fragment so it never reaches a server log or a Referer header).
import { useState } from "react";
import { answer } from "../api/client.ts";
import { ErrorNotice, Field, Notice, PageHeader } from "../components/ui.tsx";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

export function ForgotPasswordPage() {
  const { t } = useI18n();
  const { api } = useSession();
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(api.POST("/api/auth/password-reset", { body: { email } }));
    setSent(true);
  });
  return (
    <div className="narrow stack-lg">
      <PageHeader title={t("reset.forgotTitle")} subtitle={t("reset.forgotSubtitle")} />
      {sent ? (
        <Notice tone="success" testId="reset-requested">
          {t("reset.requested")}
        </Notice>
      ) : (
        <form className="card stack" onSubmit={(event) => void submit(event)} data-testid="forgot-form">
          <Field label={t("login.email")} htmlFor="forgot-email">
            <input
              id="forgot-email"
              type="email"
              autoComplete="email"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              required
              data-testid="forgot-email"
            />
          </Field>
          <ErrorNotice error={error} />
          <button type="submit" className="button button-primary button-block" disabled={busy} data-testid="forgot-submit">
            {busy ? t("common.working") : t("reset.send")}
          </button>
        </form>
      )}
    </div>
  );
}

export function ResetPasswordPage() {
  const { t } = useI18n();
  const { api } = useSession();
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "";
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(api.POST("/api/auth/password-reset/confirm", { body: { token, password } }));
    setDone(true);
  });
  return (
    <div className="narrow stack-lg">
      <PageHeader title={t("reset.title")} subtitle={t("reset.subtitle")} />
      {done ? (
        <Notice tone="success" testId="reset-done">
          {t("reset.done")} <Link to="/login">{t("nav.signIn")}</Link>
        </Notice>
      ) : (
        <form className="card stack" onSubmit={(event) => void submit(event)} data-testid="reset-form">
          <Field label={t("reset.newPassword")} htmlFor="reset-password" hint={t("login.passwordHint")}>
            <input
              id="reset-password"
              type="password"
              autoComplete="new-password"
              minLength={10}
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              required
              data-testid="reset-password"
            />
          </Field>
          <ErrorNotice error={error} />
          <button type="submit" className="button button-primary button-block" disabled={busy || !token} data-testid="reset-submit">
            {busy ? t("common.working") : t("reset.submit")}
          </button>
        </form>
      )}
    </div>
  );
}
