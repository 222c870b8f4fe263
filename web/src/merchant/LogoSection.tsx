// The shop's logo (docs/saas.md, "Onboarding"): upload a PNG or JPEG (the server decides the type
// by the bytes: a file that lies is 415 document_type_refused, at most 256 KiB), a preview of the
// logo as the storefront serves it (the public GET, with a version in the address so a
// replacement shows at once despite its five-minute cache), replace and remove.
import { useState } from "react";
import { answer, type Schemas } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { ErrorNotice, FilePicker } from "../components/ui.tsx";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

type Profile = Schemas["ShopProfile"];

export function LogoSection(props: { shop: Shop; profile: Profile; onChanged(profile: Profile): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const path = { params: { path: { shopId: props.shop.id } } };
  const [file, setFile] = useState<File | undefined>(undefined);
  const [version, setVersion] = useState(() => Date.now());
  const changed = (profile: Profile) => {
    setVersion(Date.now());
    props.onChanged(profile);
  };
  const upload = useFormSubmit(async () => {
    if (!file) return;
    changed(
      await answer(
        api.PUT("/api/shops/{shopId}/logo", {
          ...path,
          body: file as unknown as string,
          bodySerializer: (value: unknown) => value as BodyInit,
          headers: { "content-type": "application/octet-stream" },
        }),
      ),
    );
    setFile(undefined);
  });
  const remove = useFormSubmit(async () => changed(await answer(api.DELETE("/api/shops/{shopId}/logo", path))));
  return (
    <section className="card stack" aria-labelledby="logo-title" data-testid="logo-section">
      <h2 id="logo-title">{t("logo.title")}</h2>
      {props.profile.hasLogo ? (
        <img
          className="shop-logo-preview"
          src={`/api/shops/${props.shop.id}/logo?v=${version}`}
          alt={t("logo.alt", { name: props.shop.name })}
          data-testid="logo-preview"
        />
      ) : (
        <p className="muted" data-testid="logo-none">
          {t("logo.none")}
        </p>
      )}
      <form className="stack" onSubmit={(event) => void upload.submit(event)} data-testid="logo-form">
        <p className="muted">{t("logo.hint")}</p>
        <FilePicker id="logo-file" accept="image/png,image/jpeg" fileName={file?.name} onFile={setFile} testId="logo-file" />
        <ErrorNotice error={upload.error} />
        <ErrorNotice error={remove.error} />
        <div className="row">
          <button type="submit" className="button button-primary" disabled={upload.busy || !file} data-testid="logo-upload">
            {upload.busy ? t("common.working") : props.profile.hasLogo ? t("logo.replace") : t("logo.upload")}
          </button>
          {props.profile.hasLogo && (
            <button type="button" className="button" disabled={remove.busy} onClick={() => void remove.run()} data-testid="logo-remove">
              {t("logo.remove")}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
