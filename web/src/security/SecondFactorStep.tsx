// The second step of a sign-in: a code from the authenticator app, a recovery code, or a passkey.
import { useState, type FormEvent } from "react";
import { answer } from "../api/client.ts";
import type { SignInAnswer } from "../api/types.ts";
import { ErrorNotice, Field } from "../components/ui.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";
import { signInWithPasskey } from "./passkeyCeremony.ts";

export function SecondFactorStep(props: { pendingToken: string; factors: string[]; onSignedIn(session: SignInAnswer): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const run = async (step: () => Promise<SignInAnswer>) => {
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await step());
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = useRecovery ? { pendingToken: props.pendingToken, recoveryCode: code } : { pendingToken: props.pendingToken, code: code.replace(/\s/g, "") };
    void run(() => answer(api.POST("/api/auth/second-factor", { body })));
  };

  return (
    <form className="card stack" onSubmit={submit} data-testid="second-factor-form">
      <h2>{t("security.secondStepTitle")}</h2>
      {props.factors.includes("totp") && (
        <>
          <Field label={useRecovery ? t("security.recoveryCode") : t("security.totpCode")} htmlFor="second-factor-code">
            <input
              id="second-factor-code"
              inputMode={useRecovery ? "text" : "numeric"}
              autoComplete="one-time-code"
              value={code}
              onChange={(event) => setCode(event.target.value)}
              required
              data-testid="second-factor-code"
            />
          </Field>
          <button type="submit" className="button button-primary button-block" disabled={busy} data-testid="second-factor-submit">
            {busy ? t("common.working") : t("security.verify")}
          </button>
          <button
            type="button"
            className="button button-ghost button-small"
            onClick={() => setUseRecovery((value) => !value)}
            data-testid="second-factor-toggle"
          >
            {useRecovery ? t("security.useTotp") : t("security.useRecoveryCode")}
          </button>
        </>
      )}
      {props.factors.includes("passkey") && (
        <button
          type="button"
          className="button button-block"
          disabled={busy}
          onClick={() => void run(() => signInWithPasskey(api, props.pendingToken))}
          data-testid="second-factor-passkey"
        >
          {t("security.usePasskey")}
        </button>
      )}
      <ErrorNotice error={error} />
    </form>
  );
}
