// The shop's custom domain (docs/saas.md, "Custom domain"): the merchant claims a host name, is
// shown the DNS TXT record that proves it (name and value, to publish at their DNS host), checks
// it with "Verify" (POST .../domain/verify, which looks the record up), and sees its state:
// pending until proved, verified with the time, or the last check's error with the server's
// reason (422 domain_unproved says what was found). The state lives in the profile, except the
// error, which is the answer of this visit's last check.
import { useState } from "react";
import { answer, type Schemas } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { CopyButton, ErrorNotice, Field } from "../components/ui.tsx";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

type Profile = Schemas["ShopProfile"];
type DomainState = "pending" | "verified" | "error";

export function DomainSection(props: { shop: Shop; profile: Profile; onChanged(profile: Profile): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [host, setHost] = useState("");
  const claim = useFormSubmit(async () => {
    props.onChanged(
      await answer(api.PUT("/api/shops/{shopId}/domain", { params: { path: { shopId: props.shop.id } }, body: { domain: host.trim().toLowerCase() } })),
    );
    setHost("");
  });
  return (
    <section className="card stack" aria-labelledby="domain-title" data-testid="domain-section">
      <h2 id="domain-title">{t("domain.title")}</h2>
      <p className="muted">{t("domain.hint")}</p>
      {props.profile.customDomain ? (
        // Keyed by the name: a new claim starts without the last one's refusal.
        <ClaimedDomain key={props.profile.customDomain} {...props} />
      ) : (
        <form className="stack" onSubmit={(event) => void claim.submit(event)} data-testid="domain-form">
          <Field label={t("domain.host")} hint={t("domain.hostHint")} htmlFor="domain-host">
            <input
              id="domain-host"
              required
              maxLength={253}
              inputMode="url"
              autoComplete="off"
              spellCheck={false}
              value={host}
              onChange={(event) => setHost(event.target.value)}
            />
          </Field>
          <ErrorNotice error={claim.error} />
          <button type="submit" className="button button-primary" disabled={claim.busy}>
            {claim.busy ? t("common.working") : t("domain.claim")}
          </button>
        </form>
      )}
    </section>
  );
}

/** A claimed domain: its state, the TXT record to publish until it is proved, verify and give up. */
function ClaimedDomain(props: { shop: Shop; profile: Profile; onChanged(profile: Profile): void }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const path = { params: { path: { shopId: props.shop.id } } };
  const verify = useFormSubmit(async () => props.onChanged(await answer(api.POST("/api/shops/{shopId}/domain/verify", path))));
  const remove = useFormSubmit(async () => props.onChanged(await answer(api.DELETE("/api/shops/{shopId}/domain", path))));
  const busy = verify.busy || remove.busy;
  const { customDomain, domainTxtName, domainTxtValue, domainVerifiedAt } = props.profile;
  // The last check's refusal stands until the next check answers.
  const state: DomainState = domainVerifiedAt ? "verified" : verify.error ? "error" : "pending";
  return (
    <>
      <p>
        <strong className="mono" data-testid="domain-name">
          {customDomain}
        </strong>{" "}
        <span className={`badge badge-${badgeTone[state]}`} data-testid="domain-state" data-state={state} role="status">
          {t(`domain.state.${state}` as const)}
        </span>
      </p>
      {state === "verified" ? (
        <p className="muted">{t("domain.verifiedAt", { time: formatDateTime(domainVerifiedAt, lang) })}</p>
      ) : (
        <div className="stack">
          <p>{t("domain.publish")}</p>
          <dl className="facts">
            <div>
              <dt>{t("domain.recordName")}</dt>
              <dd className="mono break" data-testid="domain-txt-name">
                {domainTxtName}
              </dd>
            </div>
            <div>
              <dt>{t("domain.recordType")}</dt>
              <dd className="mono">TXT</dd>
            </div>
            <div>
              <dt>{t("domain.recordValue")}</dt>
              <dd className="mono break" data-testid="domain-txt-value">
                {domainTxtValue}
              </dd>
            </div>
          </dl>
          {domainTxtValue && <CopyButton value={domainTxtValue} label={t("domain.copyValue")} />}
        </div>
      )}
      <ErrorNotice error={verify.error} />
      <ErrorNotice error={remove.error} />
      <div className="row">
        {state !== "verified" && (
          <button type="button" className="button button-primary" disabled={busy} onClick={() => void verify.run()} data-testid="domain-verify">
            {verify.busy ? t("common.working") : t("domain.verify")}
          </button>
        )}
        <button type="button" className="button" disabled={busy} onClick={() => void remove.run()} data-testid="domain-remove">
          {t("domain.remove")}
        </button>
      </div>
    </>
  );
}

const badgeTone: Record<DomainState, string> = { pending: "wait", verified: "good", error: "bad" };
