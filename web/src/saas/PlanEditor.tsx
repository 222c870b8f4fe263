// The plans, a tab of the platform console (docs/saas.md, "Plans and fees"): every plan with its
// fee per sale and limits; an admin edits one (PUT /api/admin/plans/:code; its fee applies from the
// next sale) or adds one (POST /api/admin/plans). Values go to the server as typed: its 4xx message
// for a field (a negative fee, a limit below zero) is shown next to that field, and nothing is written.
import { useState } from "react";
import { ApiError, answer, type Schemas } from "../api/client.ts";
import { ErrorNotice, Field, Spinner, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";

type Plan = Schemas["Plan"];
const limitFields = ["productsMax", "keysMax", "apiKeysMax", "webhooksMax", "substoresMax"] as const;
type LimitField = (typeof limitFields)[number];
type FormValues = { code: string; name: string; fee: string } & Record<LimitField, string>;

/** "1.75" (percent) as 175 basis points; "" as null (the platform's default); undefined when it is not a number of at most two decimals. */
export function percentToBps(text: string): number | null | undefined {
  const value = text.trim();
  if (value === "") return null;
  const match = /^(-?)(\d{1,5})(?:\.(\d{1,2}))?$/.exec(value);
  if (!match) return undefined;
  const bps = Number(match[2]) * 100 + Number((match[3] ?? "").padEnd(2, "0"));
  return match[1] === "-" ? -bps : bps;
}

const bpsToPercent = (bps: number | null): string => (bps === null ? "" : `${Math.trunc(bps / 100)}.${String(bps % 100).padStart(2, "0")}`);

const valuesOf = (plan: Plan | undefined): FormValues => ({
  code: plan?.code ?? "",
  name: plan?.name ?? "",
  fee: plan ? bpsToPercent(plan.feeBps) : "",
  productsMax: String(plan?.productsMax ?? 0),
  keysMax: String(plan?.keysMax ?? 0),
  apiKeysMax: String(plan?.apiKeysMax ?? 0),
  webhooksMax: String(plan?.webhooksMax ?? 0),
  substoresMax: String(plan?.substoresMax ?? 0),
});

/** The server's message per body field of a validation refusal (feeBps is the fee field). */
function fieldErrorsOf(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return {};
  const errors: Record<string, string> = {};
  for (const issue of error.details as { location?: string; path?: string; message?: string }[]) {
    if (issue.location !== "body" || !issue.path || !issue.message) continue;
    const field = issue.path === "feeBps" ? "fee" : issue.path;
    errors[field] ??= issue.message;
  }
  return errors;
}

export default function PlanEditor() {
  const { t } = useI18n();
  const { api } = useSession();
  const plans = useAsync(async (signal) => answer(api.GET("/api/plans", { signal })), [api]);
  // undefined: no form open; null: a new plan; else the code of the plan edited.
  const [editing, setEditing] = useState<string | null | undefined>(undefined);
  const plan = plans.data?.items.find((item) => item.code === editing);
  return (
    <div className="stack">
      <p className="muted">{t("plans.subtitle")}</p>
      {plans.loading && !plans.data && <Spinner />}
      <ErrorNotice error={plans.error} onRetry={plans.reload} />
      {plans.data && (
        <TableScroll label={t("admin.tab.plans")}>
          <table className="table" data-testid="plans-table">
            <thead>
              <tr>
                <th scope="col">{t("plans.code")}</th>
                <th scope="col">{t("plans.name")}</th>
                <th scope="col">{t("plans.fee")}</th>
                {limitFields.map((field) => (
                  <th scope="col" key={field}>
                    {t(`plans.${field}` as MessageKey)}
                  </th>
                ))}
                <th scope="col">{t("kyc.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {plans.data.items.map((item) => (
                <tr key={item.code} data-testid={`plan-row-${item.code}`}>
                  <td className="mono">{item.code}</td>
                  <td>{item.name}</td>
                  <td data-testid={`plan-fee-${item.code}`}>{item.feeBps === null ? t("plans.feeDefault") : `${bpsToPercent(item.feeBps)}%`}</td>
                  {limitFields.map((field) => (
                    <td key={field}>{item[field]}</td>
                  ))}
                  <td>
                    <button type="button" className="button button-small" onClick={() => setEditing(item.code)} data-testid={`plan-edit-${item.code}`}>
                      {t("plans.edit")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <div>
        <button type="button" className="button" onClick={() => setEditing(null)} data-testid="plan-new">
          {t("plans.new")}
        </button>
      </div>
      {editing !== undefined && (editing === null || plan) && (
        <PlanForm
          key={editing ?? "new"}
          plan={plan}
          onSaved={() => {
            setEditing(undefined);
            plans.reload();
          }}
        />
      )}
    </div>
  );
}

function PlanForm(props: { plan: Plan | undefined; onSaved(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const creating = props.plan === undefined;
  const [values, setValues] = useState<FormValues>(valuesOf(props.plan));
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const { busy, error, submit } = useFormSubmit(async () => {
    const feeBps = percentToBps(values.fee);
    if (feeBps === undefined) {
      setLocalErrors({ fee: t("plans.feeInvalid") });
      return;
    }
    setLocalErrors({});
    // Limits go as typed (a whole number, negative or not): the server says what it accepts.
    const limits = Object.fromEntries(limitFields.map((field) => [field, Number(values[field].trim() === "" ? Number.NaN : values[field])])) as Record<
      LimitField,
      number
    >;
    const body = { name: values.name, feeBps, ...limits };
    if (creating) await answer(api.POST("/api/admin/plans", { body: { ...body, code: values.code } }));
    else await answer(api.PUT("/api/admin/plans/{code}", { params: { path: { code: props.plan!.code } }, body }));
    props.onSaved();
  });
  const fieldErrors = { ...fieldErrorsOf(error), ...localErrors };
  const set = (field: keyof FormValues) => (event: { target: { value: string } }) => setValues({ ...values, [field]: event.target.value });
  const title = creating ? t("plans.newTitle") : t("plans.editTitle", { code: props.plan!.code });
  return (
    <form className="card stack" aria-label={title} onSubmit={(event) => void submit(event)} data-testid="plan-form" noValidate>
      <h2>{title}</h2>
      {creating && (
        <Field label={t("plans.code")} hint={t("plans.codeHint")} htmlFor="plan-code" error={fieldErrors.code}>
          <input id="plan-code" value={values.code} onChange={set("code")} required maxLength={32} data-testid="plan-code" />
        </Field>
      )}
      <Field label={t("plans.name")} htmlFor="plan-name" error={fieldErrors.name}>
        <input id="plan-name" value={values.name} onChange={set("name")} required maxLength={40} data-testid="plan-name" />
      </Field>
      <Field label={t("plans.feePercent")} hint={t("plans.feeHint")} htmlFor="plan-fee" error={fieldErrors.fee}>
        <input id="plan-fee" inputMode="decimal" value={values.fee} onChange={set("fee")} data-testid="plan-fee" />
      </Field>
      {limitFields.map((field) => (
        <Field key={field} label={t(`plans.${field}` as MessageKey)} htmlFor={`plan-${field}`} error={fieldErrors[field]}>
          <input id={`plan-${field}`} inputMode="numeric" value={values[field]} onChange={set(field)} data-testid={`plan-${field}`} />
        </Field>
      ))}
      {Object.keys(fieldErrors).length === 0 && <ErrorNotice error={error} />}
      <button type="submit" className="button button-primary" disabled={busy} data-testid="plan-save">
        {busy ? t("common.working") : t("plans.save")}
      </button>
    </form>
  );
}
