// Shown while the API client solves a proof-of-work captcha (api/captcha.ts), so a checkout,
// login or sign-up that takes a second longer says why.
import { useEffect, useState } from "react";
import { onCaptchaSolving } from "../api/captcha.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Spinner } from "./ui.tsx";

export function CaptchaNotice() {
  const { t } = useI18n();
  const [solving, setSolving] = useState(false);
  useEffect(() => onCaptchaSolving(setSolving), []);
  if (!solving) return null;
  return (
    <div className="notice notice-info" data-testid="captcha-solving">
      <Spinner label={t("captcha.solving")} />
    </div>
  );
}
