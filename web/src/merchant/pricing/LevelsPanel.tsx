// The shop's member levels (docs/pricing.md): a buyer whose cumulative spend in this shop reaches
// a level's threshold gets its percent off the unit price. The table is saved whole.
import { useState } from "react";
import { answer } from "../../api/client.ts";
import type { Shop } from "../../api/types.ts";
import { ErrorNotice, Spinner, TableScroll } from "../../components/ui.tsx";
import { useAsync } from "../../components/useAsync.ts";
import { useFormSubmit } from "../../components/useFormSubmit.ts";
import { moneyInputText, parseMoney } from "../../format.ts";
import { useI18n } from "../../i18n/i18n.tsx";
import { RemoveRowButton, RowTableFooter } from "./RowTableControls.tsx";
import { useSession } from "../../session.tsx";

type LevelRow = { name: string; spendMin: string; discountPercent: string };

export function LevelsPanel(props: { shop: Shop; currency: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const rules = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/levels", { params: { path: { shopId: props.shop.id } }, signal })),
    [api, props.shop.id],
  );
  return (
    <section className="card stack" aria-labelledby="levels-title">
      <h2 id="levels-title">{t("pricing.levels.title")}</h2>
      <p className="muted">{t("pricing.levels.hint")}</p>
      <ErrorNotice error={rules.error} onRetry={rules.reload} />
      {rules.loading && !rules.data && <Spinner />}
      {rules.data && (
        <LevelsEditor
          shopId={props.shop.id}
          currency={props.currency}
          saved={rules.data.levels.map((level) => ({
            name: level.name,
            spendMin: moneyInputText(level.spendMinMinor, props.currency),
            discountPercent: String(level.discountPercent),
          }))}
        />
      )}
    </section>
  );
}

function LevelsEditor(props: { shopId: string; currency: string; saved: LevelRow[] }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [rows, setRows] = useState<LevelRow[]>(props.saved);
  const [saved, setSaved] = useState(false);
  const [rowError, setRowError] = useState<string | undefined>(undefined);
  const update = (index: number, change: Partial<LevelRow>) => setRows((current) => current.map((row, at) => (at === index ? { ...row, ...change } : row)));
  const { busy, error, submit } = useFormSubmit(async () => {
    setSaved(false);
    const levels = rows.map((row) => ({
      name: row.name.trim(),
      spendMinMinor: parseMoney(row.spendMin, props.currency),
      discountPercent: Number(row.discountPercent),
    }));
    const bad = levels.findIndex((level) => level.spendMinMinor === undefined || !Number.isInteger(level.discountPercent));
    if (bad >= 0) {
      setRowError(t("pricing.levels.rowInvalid", { row: bad + 1 }));
      return;
    }
    setRowError(undefined);
    await answer(
      api.PUT("/api/shops/{shopId}/levels", {
        params: { path: { shopId: props.shopId } },
        body: { levels: levels.map((level) => ({ ...level, spendMinMinor: String(level.spendMinMinor) })) },
      }),
    );
    setSaved(true);
  });
  return (
    <form className="stack" onSubmit={(event) => void submit(event)} data-testid="levels-form">
      <TableScroll>
        <table className="table" data-testid="levels-table">
          <thead>
            <tr>
              <th scope="col">{t("pricing.levels.name")}</th>
              <th scope="col">{t("pricing.levels.spendMin", { currency: props.currency })}</th>
              <th scope="col">{t("pricing.levels.discountPercent")}</th>
              <th scope="col">{t("common.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((level, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place in the table
              <tr key={index} data-testid="level-row">
                <td>
                  <input
                    aria-label={`${t("pricing.levels.name")} ${index + 1}`}
                    value={level.name}
                    maxLength={40}
                    onChange={(event) => update(index, { name: event.target.value })}
                    data-testid="level-name"
                  />
                </td>
                <td>
                  <input
                    aria-label={`${t("pricing.levels.spendMin", { currency: props.currency })} ${index + 1}`}
                    inputMode="decimal"
                    value={level.spendMin}
                    onChange={(event) => update(index, { spendMin: event.target.value })}
                    data-testid="level-spend"
                  />
                </td>
                <td>
                  <input
                    aria-label={`${t("pricing.levels.discountPercent")} ${index + 1}`}
                    type="number"
                    min={0}
                    max={100}
                    value={level.discountPercent}
                    onChange={(event) => update(index, { discountPercent: event.target.value })}
                    data-testid="level-percent"
                  />
                </td>
                <td>
                  <RemoveRowButton onRemove={() => setRows((current) => current.filter((_, at) => at !== index))} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <RowTableFooter
        onAdd={() => setRows((current) => [...current, { name: "", spendMin: "", discountPercent: "" }])}
        busy={busy}
        rowError={rowError}
        error={error}
        saved={saved}
        testIds={{ add: "level-add", save: "levels-save", saved: "levels-saved" }}
      />
    </form>
  );
}
