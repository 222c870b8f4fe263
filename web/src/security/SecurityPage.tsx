// The signed-in account's security: TOTP (the otpauth URI and the key to type by hand, then
// the recovery codes once), passkeys, active sessions with revoke, and the login history.
// Admins and auditors land here after a password-only sign-in: their staff roles wait for a
// second factor (docs/accounts.md).
import { useState, type FormEvent } from "react";
import { answer } from "../api/client.ts";
import { CopyButton, EmptyState, ErrorNotice, Field, Notice, PageHeader, Spinner, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link, useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";
import { addPasskey } from "./passkeyCeremony.ts";

export default function SecurityPage() {
  const { t } = useI18n();
  const { api, account } = useSession();
  const { search } = useRouter();
  const overview = useAsync((signal) => (account ? answer(api.GET("/api/account/security", { signal })) : Promise.resolve(undefined)), [api, account?.id]);
  if (!account) {
    return (
      <EmptyState
        title={t("security.signIn")}
        action={
          <Link className="button button-primary" to="/login?next=/me/security">
            {t("nav.signIn")}
          </Link>
        }
      />
    );
  }
  const data = overview.data;
  return (
    <div className="stack-lg">
      <PageHeader title={t("security.title")} subtitle={account.email} />
      {data?.secondFactorRequired && data.sessionFactor === "password" && (
        <Notice tone="warning" title={t("security.enrolRequiredTitle")} testId="security-enrol-required">
          {t(search.get("enrol") ? "security.enrolRequiredAfterLogin" : "security.enrolRequired")}
        </Notice>
      )}
      <ErrorNotice error={overview.error} onRetry={overview.reload} />
      {overview.loading && !data && <Spinner />}
      {data && (
        <>
          <TotpSection enabled={data.totpEnabled} recoveryCodesLeft={data.recoveryCodesLeft} onChange={overview.reload} />
          <PasskeysSection passkeys={data.passkeys} onChange={overview.reload} />
        </>
      )}
      <SessionsSection />
      <LoginHistorySection />
    </div>
  );
}

function RecoveryCodes(props: { codes: string[] }) {
  const { t } = useI18n();
  return (
    <Notice tone="warning" title={t("security.recoveryCodesTitle")} testId="recovery-codes">
      <p>{t("security.recoveryCodesOnce")}</p>
      <pre className="mono">{props.codes.join("\n")}</pre>
      <CopyButton value={props.codes.join("\n")} />
    </Notice>
  );
}

function CodeForm(props: { label: string; submitLabel: string; testId: string; onCode(code: string): Promise<void> }) {
  const { t } = useI18n();
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await props.onCode(code.replace(/\s/g, ""));
      setCode("");
    } catch (caught) {
      setError(caught);
    }
    setBusy(false);
  };
  return (
    <form className="stack" onSubmit={(event) => void submit(event)} data-testid={props.testId}>
      <Field label={props.label} htmlFor={`${props.testId}-code`}>
        <input
          id={`${props.testId}-code`}
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]{6,7}"
          value={code}
          onChange={(event) => setCode(event.target.value)}
          required
          data-testid={`${props.testId}-code`}
        />
      </Field>
      <ErrorNotice error={error} />
      <button type="submit" className="button button-primary" disabled={busy} data-testid={`${props.testId}-submit`}>
        {busy ? t("common.working") : props.submitLabel}
      </button>
    </form>
  );
}

function TotpSection(props: { enabled: boolean; recoveryCodesLeft: number; onChange(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauthUri: string } | undefined>(undefined);
  const [codes, setCodes] = useState<string[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const start = async () => {
    setError(undefined);
    try {
      setEnrolment(await answer(api.POST("/api/account/security/totp")));
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <section className="card stack" data-testid="security-totp">
      <h2>{t("security.totpTitle")}</h2>
      <p className="muted">{props.enabled ? t("security.totpOn", { count: props.recoveryCodesLeft }) : t("security.totpOff")}</p>
      {codes && <RecoveryCodes codes={codes} />}
      {!props.enabled && !enrolment && (
        <button type="button" className="button button-primary" onClick={() => void start()} data-testid="totp-start">
          {t("security.totpStart")}
        </button>
      )}
      {!props.enabled && enrolment && (
        <div className="stack">
          <p>{t("security.totpScan")}</p>
          <Field label={t("security.totpUri")} htmlFor="totp-uri">
            <input id="totp-uri" className="mono" readOnly value={enrolment.otpauthUri} data-testid="totp-uri" />
          </Field>
          <p>
            {t("security.totpManualKey")} <code data-testid="totp-secret">{enrolment.secret.replace(/(.{4})/g, "$1 ").trim()}</code>{" "}
            <CopyButton value={enrolment.secret} />
          </p>
          <CodeForm
            label={t("security.totpCode")}
            submitLabel={t("security.totpConfirm")}
            testId="totp-confirm"
            onCode={async (code) => {
              const result = await answer(api.POST("/api/account/security/totp/confirm", { body: { code } }));
              setCodes(result.recoveryCodes);
              setEnrolment(undefined);
              props.onChange();
            }}
          />
        </div>
      )}
      {props.enabled && (
        <div className="form-grid">
          <CodeForm
            label={t("security.renewWithCode")}
            submitLabel={t("security.renewCodes")}
            testId="recovery-renew"
            onCode={async (code) => {
              setCodes((await answer(api.POST("/api/account/security/recovery-codes", { body: { code } }))).recoveryCodes);
              props.onChange();
            }}
          />
          <CodeForm
            label={t("security.disableWithCode")}
            submitLabel={t("security.totpDisable")}
            testId="totp-disable"
            onCode={async (code) => {
              await answer(api.POST("/api/account/security/totp/disable", { body: { code } }));
              setCodes(undefined);
              props.onChange();
            }}
          />
        </div>
      )}
      <ErrorNotice error={error} />
    </section>
  );
}

function PasskeysSection(props: { passkeys: { id: string; name: string; createdAt: string; lastUsedAt: string | null }[]; onChange(): void }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      props.onChange();
    } catch (caught) {
      setError(caught);
    }
    setBusy(false);
  };
  return (
    <section className="card stack" data-testid="security-passkeys">
      <h2>{t("security.passkeysTitle")}</h2>
      <p className="muted">{t("security.passkeysHint")}</p>
      {props.passkeys.length === 0 ? (
        <p className="muted">{t("security.noPasskeys")}</p>
      ) : (
        <ul className="list">
          {props.passkeys.map((passkey) => (
            <li key={passkey.id} className="list-row" data-testid="passkey-row">
              <span>
                <strong>{passkey.name}</strong>{" "}
                <span className="muted small">
                  {t("security.added", { at: formatDateTime(passkey.createdAt, lang) })}
                  {passkey.lastUsedAt ? ` · ${t("security.lastUsed", { at: formatDateTime(passkey.lastUsedAt, lang) })}` : ""}
                </span>
              </span>
              <button
                type="button"
                className="button button-small button-ghost"
                disabled={busy}
                onClick={() => void act(() => answer(api.DELETE("/api/account/passkeys/{passkeyId}", { params: { path: { passkeyId: passkey.id } } })))}
              >
                {t("security.remove")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void act(() => addPasskey(api, name || t("security.defaultPasskeyName")));
        }}
      >
        <input
          aria-label={t("security.passkeyName")}
          placeholder={t("security.passkeyName")}
          value={name}
          maxLength={60}
          onChange={(event) => setName(event.target.value)}
        />
        <button type="submit" className="button" disabled={busy} data-testid="passkey-add">
          {t("security.addPasskey")}
        </button>
      </form>
      <ErrorNotice error={error} />
    </section>
  );
}

function SessionsSection() {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const sessions = useAsync((signal) => answer(api.GET("/api/account/sessions", { signal })), [api]);
  const [error, setError] = useState<unknown>(undefined);
  const revoke = async (sessionId: string) => {
    setError(undefined);
    try {
      await answer(api.DELETE("/api/account/sessions/{sessionId}", { params: { path: { sessionId } } }));
      sessions.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <section className="card stack" data-testid="security-sessions">
      <h2>{t("security.sessionsTitle")}</h2>
      <ErrorNotice error={sessions.error ?? error} onRetry={sessions.reload} />
      <TableScroll>
        <table className="table">
          <thead>
            <tr>
              <th>{t("security.signedInAt")}</th>
              <th>{t("security.device")}</th>
              <th>{t("security.factor")}</th>
              <th>{t("common.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {(sessions.data?.items ?? []).map((session) => (
              <tr key={session.id} data-testid="session-row">
                <td>{formatDateTime(session.createdAt, lang)}</td>
                <td className="small">
                  {session.clientAddress ?? "—"} · {session.userAgent ?? "—"}
                </td>
                <td>{t(`security.factor.${session.factor}`)}</td>
                <td>
                  {session.current ? (
                    <span className="muted">{t("security.thisSession")}</span>
                  ) : (
                    <button type="button" className="button button-small button-ghost" onClick={() => void revoke(session.id)} data-testid="session-revoke">
                      {t("security.revoke")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}

function LoginHistorySection() {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const history = useAsync((signal) => answer(api.GET("/api/account/login-history", { params: { query: { limit: 50 } }, signal })), [api]);
  return (
    <section className="card stack" data-testid="security-history">
      <h2>{t("security.historyTitle")}</h2>
      <ErrorNotice error={history.error} onRetry={history.reload} />
      <TableScroll>
        <table className="table">
          <thead>
            <tr>
              <th>{t("security.when")}</th>
              <th>{t("security.device")}</th>
              <th>{t("security.factor")}</th>
              <th>{t("security.result")}</th>
            </tr>
          </thead>
          <tbody>
            {(history.data?.items ?? []).map((entry) => (
              <tr key={entry.id} data-testid="history-row">
                <td>{formatDateTime(entry.at, lang)}</td>
                <td className="small">
                  {entry.clientAddress ?? "—"} · {entry.userAgent ?? "—"}
                </td>
                <td>{t(`security.factor.${entry.factor}`)}</td>
                <td>{entry.succeeded ? t("security.succeeded") : t("security.failed")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}
