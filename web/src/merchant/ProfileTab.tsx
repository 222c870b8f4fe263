// The shop's profile and verification (docs/saas.md, "Onboarding" and "KYC and limits"): the
// storefront colour, descriptions in both languages and support contact (PUT .../profile; the
// name and slug are fixed at creation), the logo (LogoSection), the custom domain
// (DomainSection), then the KYC submission: identity and business details
// and documents (PNG, JPEG or PDF, checked by content on the server and stored encrypted), with
// the status of each submission and the reviewers' reasons. One submission is open at a time,
// so the form is offered only when none is pending; "more requested" takes more documents.
import { useState } from "react";
import { answer, type Schemas } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Field, FilePicker, Notice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";
import { DomainSection } from "./DomainSection.tsx";
import { LogoSection } from "./LogoSection.tsx";

type Profile = Schemas["ShopProfile"];
type Submission = Schemas["KycSubmission"];
type DocumentKind = Submission["documents"][number]["kind"];
const documentKinds: DocumentKind[] = ["identity", "business_licence", "address_proof", "other"];

export function ProfileTab(props: { shop: Shop }) {
  const { api } = useSession();
  const profile = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/profile", { params: { path: { shopId: props.shop.id } }, signal })),
    [api, props.shop.id],
  );
  if (profile.loading && !profile.data) return <Spinner />;
  if (!profile.data) return <ErrorNotice error={profile.error} onRetry={profile.reload} />;
  return (
    <div className="stack-lg">
      <ProfileForm key={profile.data.shopId} shop={props.shop} profile={profile.data} onSaved={profile.reload} />
      <LogoSection shop={props.shop} profile={profile.data} onChanged={profile.reload} />
      <DomainSection shop={props.shop} profile={profile.data} onChanged={profile.reload} />
      <KycSection shop={props.shop} level={profile.data.verificationLevel} onChanged={profile.reload} />
    </div>
  );
}

function ProfileForm(props: { shop: Shop; profile: Profile; onSaved(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [colour, setColour] = useState(props.profile.colour ?? "#2b6cb0");
  const [descriptionZh, setDescriptionZh] = useState(props.profile.descriptionZh);
  const [descriptionEn, setDescriptionEn] = useState(props.profile.descriptionEn);
  const [supportContact, setSupportContact] = useState(props.profile.supportContact ?? "");
  const [saved, setSaved] = useState(false);
  const save = useFormSubmit(async () => {
    setSaved(false);
    await answer(
      api.PUT("/api/shops/{shopId}/profile", {
        params: { path: { shopId: props.shop.id } },
        body: { colour: colour.toLowerCase(), descriptionZh, descriptionEn, supportContact: supportContact.trim() === "" ? null : supportContact.trim() },
      }),
    );
    setSaved(true);
    props.onSaved();
  });
  return (
    <form className="card stack" onSubmit={(event) => void save.submit(event)} data-testid="profile-form">
      <h2>{t("profile.title")}</h2>
      <p className="muted">
        {t("profile.nameFixed", { name: props.shop.name, slug: props.shop.slug })} · {t("profile.plan", { plan: props.profile.plan })}
      </p>
      <Field label={t("profile.colour")} htmlFor="profile-colour">
        <input id="profile-colour" type="color" value={colour} onChange={(event) => setColour(event.target.value)} data-testid="profile-colour" />
      </Field>
      <Field label={t("profile.descriptionZh")} htmlFor="profile-description-zh">
        <textarea
          id="profile-description-zh"
          lang="zh-CN"
          rows={3}
          maxLength={2000}
          value={descriptionZh}
          onChange={(event) => setDescriptionZh(event.target.value)}
        />
      </Field>
      <Field label={t("profile.descriptionEn")} htmlFor="profile-description-en">
        <textarea
          id="profile-description-en"
          lang="en"
          rows={3}
          maxLength={2000}
          value={descriptionEn}
          onChange={(event) => setDescriptionEn(event.target.value)}
        />
      </Field>
      <Field label={t("profile.supportContact")} hint={t("profile.supportContactHint")} htmlFor="profile-support">
        <input id="profile-support" maxLength={200} value={supportContact} onChange={(event) => setSupportContact(event.target.value)} />
      </Field>
      <ErrorNotice error={save.error} />
      {saved && <Notice tone="success" testId="profile-saved" title={t("profile.saved")} />}
      <button type="submit" className="button button-primary" disabled={save.busy}>
        {save.busy ? t("common.working") : t("profile.save")}
      </button>
    </form>
  );
}

function KycSection(props: { shop: Shop; level: Profile["verificationLevel"]; onChanged(): void }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const submissions = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/kyc", { params: { path: { shopId: props.shop.id } }, signal })),
    [api, props.shop.id],
  );
  const items = submissions.data?.items ?? [];
  const open = items.find((item) => item.status === "pending" || item.status === "more_requested");
  const changed = () => {
    submissions.reload();
    props.onChanged();
  };
  return (
    <section className="card stack" aria-labelledby="kyc-section-title" data-testid="kyc-section">
      <h2 id="kyc-section-title">{t("merchantKyc.title")}</h2>
      <p>
        {t("merchantKyc.level")}:{" "}
        <strong data-testid="kyc-level" data-level={props.level}>
          {t(`merchantKyc.level.${props.level}` as MessageKey)}
        </strong>
      </p>
      <p className="muted">{t("merchantKyc.hint")}</p>
      {submissions.loading && !submissions.data && <Spinner />}
      <ErrorNotice error={submissions.error} onRetry={submissions.reload} />
      {submissions.data && items.length === 0 && <EmptyState title={t("merchantKyc.none")} testId="kyc-none" />}
      {items.length > 0 && (
        <ul className="stack" aria-label={t("merchantKyc.submissions")} data-testid="kyc-submissions">
          {items.map((item) => (
            <li key={item.id} data-testid={`kyc-submission-${item.id}`}>
              <span className="badge" data-testid={`kyc-status-${item.id}`} data-state={item.status}>
                {t(`merchantKyc.status.${item.status}` as MessageKey)}
              </span>{" "}
              {t(`kyc.level.${item.levelRequested}` as MessageKey)} · {formatDateTime(item.createdAt, lang)} ·{" "}
              {t("merchantKyc.documentCount", { count: item.documents.length })}
              {item.decisions.map((decision) => (
                <p key={decision.createdAt} className="muted">
                  {t(`kyc.decision.${decision.decision}` as MessageKey)}: {decision.reason}
                </p>
              ))}
            </li>
          ))}
        </ul>
      )}
      {open ? (
        <DocumentUpload shop={props.shop} submission={open} onUploaded={changed} />
      ) : (
        submissions.data && <KycForm shop={props.shop} onSubmitted={changed} />
      )}
    </section>
  );
}

function KycForm(props: { shop: Shop; onSubmitted(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [levelRequested, setLevel] = useState<"verified" | "business">("verified");
  const [legalName, setLegalName] = useState("");
  const [idNumber, setIdNumber] = useState("");
  const [country, setCountry] = useState("CN");
  const [address, setAddress] = useState("");
  const [businessName, setBusinessName] = useState("");
  const [businessRegistration, setBusinessRegistration] = useState("");
  const submit = useFormSubmit(async () => {
    const business = levelRequested === "business" ? { businessName, businessRegistration } : {};
    await answer(
      api.POST("/api/shops/{shopId}/kyc", {
        params: { path: { shopId: props.shop.id } },
        body: { levelRequested, details: { legalName, idNumber, country: country.toUpperCase(), address, ...business } },
      }),
    );
    props.onSubmitted();
  });
  return (
    <form className="stack" onSubmit={(event) => void submit.submit(event)} data-testid="kyc-form">
      <h3>{t("merchantKyc.submitTitle")}</h3>
      <fieldset>
        <legend>{t("kyc.level")}</legend>
        {(["verified", "business"] as const).map((value) => (
          <label key={value} className="radio">
            <input type="radio" name="kyc-level" value={value} checked={levelRequested === value} onChange={() => setLevel(value)} />{" "}
            {t(`kyc.level.${value}` as MessageKey)}
          </label>
        ))}
      </fieldset>
      <Field label={t("kyc.legalName")} htmlFor="kyc-legal-name">
        <input id="kyc-legal-name" required maxLength={200} value={legalName} onChange={(event) => setLegalName(event.target.value)} autoComplete="name" />
      </Field>
      <Field label={t("kyc.idNumber")} htmlFor="kyc-id-number">
        <input id="kyc-id-number" required maxLength={64} value={idNumber} onChange={(event) => setIdNumber(event.target.value)} autoComplete="off" />
      </Field>
      <Field label={t("kyc.country")} hint={t("merchantKyc.countryHint")} htmlFor="kyc-country">
        <input
          id="kyc-country"
          required
          pattern="[A-Za-z]{2}"
          maxLength={2}
          value={country}
          onChange={(event) => setCountry(event.target.value)}
          autoComplete="country"
        />
      </Field>
      <Field label={t("kyc.address")} htmlFor="kyc-address">
        <textarea id="kyc-address" required maxLength={400} rows={2} value={address} onChange={(event) => setAddress(event.target.value)} />
      </Field>
      {levelRequested === "business" && (
        <>
          <Field label={t("merchantKyc.businessName")} htmlFor="kyc-business-name">
            <input id="kyc-business-name" required maxLength={200} value={businessName} onChange={(event) => setBusinessName(event.target.value)} />
          </Field>
          <Field label={t("merchantKyc.businessRegistration")} htmlFor="kyc-business-registration">
            <input
              id="kyc-business-registration"
              required
              maxLength={64}
              value={businessRegistration}
              onChange={(event) => setBusinessRegistration(event.target.value)}
            />
          </Field>
        </>
      )}
      <ErrorNotice error={submit.error} />
      <button type="submit" className="button button-primary" disabled={submit.busy}>
        {submit.busy ? t("common.working") : t("merchantKyc.submit")}
      </button>
    </form>
  );
}

function DocumentUpload(props: { shop: Shop; submission: Submission; onUploaded(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [kind, setKind] = useState<DocumentKind>("identity");
  const [file, setFile] = useState<File | undefined>(undefined);
  const upload = useFormSubmit(async () => {
    if (!file) return;
    await answer(
      api.POST("/api/shops/{shopId}/kyc/{submissionId}/documents", {
        params: { path: { shopId: props.shop.id, submissionId: props.submission.id }, query: { kind } },
        body: file as unknown as string,
        bodySerializer: (value: unknown) => value as BodyInit,
        headers: { "content-type": "application/octet-stream" },
      }),
    );
    setFile(undefined);
    props.onUploaded();
  });
  return (
    <form className="stack" onSubmit={(event) => void upload.submit(event)} data-testid="kyc-upload-form">
      <h3>{t("merchantKyc.uploadTitle")}</h3>
      <p className="muted">{t("merchantKyc.uploadHint")}</p>
      <Field label={t("merchantKyc.documentKind")} htmlFor="kyc-document-kind">
        <select id="kyc-document-kind" value={kind} onChange={(event) => setKind(event.target.value as DocumentKind)}>
          {documentKinds.map((value) => (
            <option key={value} value={value}>
              {t(`merchantKyc.kind.${value}` as MessageKey)}
            </option>
          ))}
        </select>
      </Field>
      <FilePicker id="kyc-document-file" accept="image/png,image/jpeg,application/pdf" fileName={file?.name} onFile={setFile} testId="kyc-document-file" />
      <ErrorNotice error={upload.error} />
      <button type="submit" className="button button-primary" disabled={upload.busy || !file} data-testid="kyc-upload">
        {upload.busy ? t("common.working") : t("merchantKyc.upload")}
      </button>
    </form>
  );
}
