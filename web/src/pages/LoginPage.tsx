// Sign in and sign up. Sign-up offers the roles a person may give themselves (buyer, merchant,
// reseller); auditors and admins are appointed. A sign-in may need a second step (a TOTP
// code, a recovery code or a passkey), and an admin or auditor without a second factor is
// sent to the security page to enrol one (docs/accounts.md).
import { answer } from "../api/client.ts";
import { useState, type FormEvent } from "react";
import { selfAssignableRoles } from "../../../core/roles.ts";
import type { SignInAnswer } from "../api/types.ts";
import { ErrorNotice, Field, PageHeader } from "../components/ui.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { Link, useRouter } from "../router.tsx";
import { signInWithPasskey } from "../security/passkeyCeremony.ts";
import { SecondFactorStep } from "../security/SecondFactorStep.tsx";
import { useSession } from "../session.tsx";

export function LoginPage(props: { mode: "login" | "signup" }) {
  const { t, lang } = useI18n();
  const { api, signIn } = useSession();
  const { navigate, search } = useRouter();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [roles, setRoles] = useState<(typeof selfAssignableRoles)[number][]>(["buyer"]);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<{ pendingToken: string; factors: string[] } | undefined>(undefined);
  const signup = props.mode === "signup";

  const finish = (result: SignInAnswer) => {
    if (result.state === "second_factor_required") {
      setPending(result);
      setBusy(false);
      return;
    }
    signIn(result);
    if (result.state === "enrolment_required") {
      navigate("/me/security?enrol=1");
      return;
    }
    const next = search.get("next");
    const home = result.account.roles.includes("merchant") ? "/merchant" : result.account.roles.includes("auditor") ? "/audit" : "/me/orders";
    navigate(next?.startsWith("/") && !next.startsWith("//") ? next : home);
  };

  const attempt = async (step: () => Promise<SignInAnswer>) => {
    setBusy(true);
    setError(undefined);
    try {
      finish(await step());
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const locale = lang === "zh" ? "zh-CN" : "en";
    void attempt(async () =>
      signup
        ? { state: "signed_in" as const, ...(await answer(api.POST("/api/auth/signup", { body: { email, password, roles, locale } }))) }
        : answer(api.POST("/api/auth/login", { body: { email, password } })),
    );
  };

  if (pending) {
    return (
      <div className="narrow stack-lg">
        <PageHeader title={t("login.title")} subtitle={t("security.secondStepSubtitle")} />
        <SecondFactorStep pendingToken={pending.pendingToken} factors={pending.factors} onSignedIn={finish} />
      </div>
    );
  }

  return (
    <div className="narrow stack-lg">
      <PageHeader title={signup ? t("login.signupTitle") : t("login.title")} subtitle={signup ? t("login.signupSubtitle") : t("login.subtitle")} />
      <form className="card stack" onSubmit={submit} data-testid="login-form">
        <Field label={t("login.email")} htmlFor="login-email">
          <input
            id="login-email"
            type="email"
            autoComplete="email"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            required
            data-testid="login-email"
          />
        </Field>
        <Field label={t("login.password")} htmlFor="login-password" hint={signup ? t("login.passwordHint") : undefined}>
          <input
            id="login-password"
            type="password"
            autoComplete={signup ? "new-password" : "current-password"}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            required
            minLength={signup ? 10 : 1}
            data-testid="login-password"
          />
        </Field>
        {signup && (
          <fieldset className="checkbox-group">
            <legend>{t("login.roles")}</legend>
            {selfAssignableRoles.map((role) => (
              <label key={role} className="checkbox">
                <input
                  type="checkbox"
                  checked={roles.includes(role)}
                  onChange={(event) => setRoles((current) => (event.target.checked ? [...current, role] : current.filter((value) => value !== role)))}
                  data-testid={`signup-role-${role}`}
                />
                <span>{t(`role.${role}`)}</span>
              </label>
            ))}
          </fieldset>
        )}
        <ErrorNotice error={error} />
        <button type="submit" className="button button-primary button-block" disabled={busy || (signup && roles.length === 0)} data-testid="login-submit">
          {busy ? t("common.working") : signup ? t("login.signupSubmit") : t("login.submit")}
        </button>
        {!signup && (
          <>
            <button
              type="button"
              className="button button-block"
              disabled={busy}
              onClick={() => void attempt(() => signInWithPasskey(api))}
              data-testid="login-passkey"
            >
              {t("security.signInWithPasskey")}
            </button>
            <p className="muted small center">
              <Link to="/forgot-password" data-testid="login-forgot">
                {t("security.forgotPassword")}
              </Link>
            </p>
          </>
        )}
        <p className="muted small center">
          {signup ? (
            <>
              {t("login.haveAccount")} <Link to={`/login${window.location.search}`}>{t("nav.signIn")}</Link>
            </>
          ) : (
            <>
              {t("login.noAccount")} <Link to={`/signup${window.location.search}`}>{t("login.signupLink")}</Link>
            </>
          )}
        </p>
      </form>
    </div>
  );
}
