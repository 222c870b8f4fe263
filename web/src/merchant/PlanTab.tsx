// The shop's plan (docs/saas.md, "Plans and fees"): its fee rate per sale and each limit beside
// what the shop holds now (products, keys in stock, active webhook endpoints, sub-stores, and the
// owner's live API keys, which the plan limits per account), the plans there are to compare, and
// the platform's monthly invoices (PlatformInvoices). Moving a shop to another plan is an admin's
// action (PUT /api/admin/shops/:id/plan): there is no route for the merchant, so the tab says whom
// to ask instead of offering a button.
import { answer, type Schemas } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { ErrorNotice, ProgressBar, Spinner, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";
import { PlatformInvoices } from "./PlatformInvoices.tsx";

type Plan = Schemas["Plan"];
type Usage = Schemas["GetShopsShopIdUsageResponse"]["usage"];

/** Each limit the plan sets, with what it counts: the order the tab lists them in. */
const limits: { key: string; used: (usage: Usage) => number; max: (plan: Plan) => number }[] = [
  { key: "products", used: (usage) => usage.products, max: (plan) => plan.productsMax },
  { key: "keys", used: (usage) => usage.keysInStock, max: (plan) => plan.keysMax },
  { key: "apiKeys", used: (usage) => usage.apiKeys, max: (plan) => plan.apiKeysMax },
  { key: "webhooks", used: (usage) => usage.webhooks, max: (plan) => plan.webhooksMax },
  { key: "substores", used: (usage) => usage.substores, max: (plan) => plan.substoresMax },
];

export function PlanTab(props: { shop: Shop }) {
  const { t } = useI18n();
  const { api } = useSession();
  const usage = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/usage", { params: { path: { shopId: props.shop.id } }, signal })),
    [api, props.shop.id],
  );
  const plans = useAsync((signal) => answer(api.GET("/api/plans", { signal })), [api]);
  if (usage.loading && !usage.data) return <Spinner />;
  if (!usage.data) return <ErrorNotice error={usage.error} onRetry={usage.reload} />;
  const { plan } = usage.data;
  return (
    <div className="stack-lg">
      <section className="card stack" aria-labelledby="plan-title" data-testid="plan-usage">
        <h2 id="plan-title">{t("plan.title")}</h2>
        <dl className="facts">
          <div>
            <dt>{t("plan.current")}</dt>
            <dd data-testid="plan-name" data-plan={plan.code}>
              {plan.name}
            </dd>
          </div>
          <div>
            <dt>{t("plan.fee")}</dt>
            <dd data-testid="plan-fee">{feeText(plan, t)}</dd>
          </div>
          <div>
            <dt>{t("merchantKyc.level")}</dt>
            <dd>{t(`merchantKyc.level.${usage.data.verificationLevel}` as MessageKey)}</dd>
          </div>
        </dl>
        <h3>{t("plan.usage")}</h3>
        <ul className="stack list">
          {limits.map((limit) => {
            const used = limit.used(usage.data!.usage);
            const max = limit.max(plan);
            return (
              <li key={limit.key} data-testid={`plan-limit-${limit.key}`} data-used={used} data-max={max}>
                <ProgressBar
                  percent={max > 0 ? (used / max) * 100 : 100}
                  label={t("plan.limitLine", { what: t(`plan.limit.${limit.key}` as MessageKey), used, max })}
                />
              </li>
            );
          })}
        </ul>
        <p className="muted small">{t("plan.apiKeysNote")}</p>
        <p className="muted">{t("plan.change")}</p>
      </section>
      <section className="card stack" aria-labelledby="plans-title">
        <h2 id="plans-title">{t("plan.compare")}</h2>
        {plans.loading && !plans.data && <Spinner />}
        <ErrorNotice error={plans.error} onRetry={plans.reload} />
        {plans.data && (
          <TableScroll label={t("plan.compareTable")}>
            <table className="table" data-testid="plans-table">
              <thead>
                <tr>
                  <th scope="col">{t("plan.name")}</th>
                  <th scope="col">{t("plan.fee")}</th>
                  {limits.map((limit) => (
                    <th scope="col" className="num" key={limit.key}>
                      {t(`plan.limit.${limit.key}` as MessageKey)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {plans.data.items.map((entry) => (
                  <tr key={entry.code} aria-current={entry.code === plan.code ? "true" : undefined}>
                    <th scope="row">
                      {entry.name}
                      {entry.code === plan.code && <span className="muted small"> ({t("plan.yours")})</span>}
                    </th>
                    <td>{feeText(entry, t)}</td>
                    {limits.map((limit) => (
                      <td className="num" key={limit.key}>
                        {limit.max(entry).toLocaleString()}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
      <PlatformInvoices shop={props.shop} />
    </div>
  );
}

/** 250 basis points -> "2.5% per sale"; null -> the platform's standard fee. */
function feeText(plan: Plan, t: ReturnType<typeof useI18n>["t"]): string {
  if (plan.feeBps === null) return t("plan.feeDefault");
  return t("plan.feeRate", { percent: (plan.feeBps / 100).toLocaleString(undefined, { maximumFractionDigits: 2 }) });
}
