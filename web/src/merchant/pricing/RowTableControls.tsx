// The parts every pricing table editor shares (wholesale tiers, member levels): a row's remove
// button, and the footer that adds a row, saves the whole table and says how it went.
import { ErrorNotice, Notice } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/i18n.tsx";

export function RemoveRowButton(props: { onRemove(): void }) {
  const { t } = useI18n();
  return (
    <button type="button" className="button button-small button-ghost" onClick={props.onRemove}>
      {t("pricing.removeRow")}
    </button>
  );
}

export function RowTableFooter(props: {
  onAdd(): void;
  busy: boolean;
  rowError: string | undefined;
  error: unknown;
  saved: boolean;
  /** Test ids of the add and save buttons and the saved notice, e.g. tier-add, tiers-save, tiers-saved. */
  testIds: { add: string; save: string; saved: string };
}) {
  const { t } = useI18n();
  return (
    <>
      <div className="inline-form">
        <button type="button" className="button button-ghost" onClick={props.onAdd} data-testid={props.testIds.add}>
          {t("pricing.addRow")}
        </button>
        <button type="submit" className="button button-primary" disabled={props.busy} data-testid={props.testIds.save}>
          {t("common.save")}
        </button>
      </div>
      {props.rowError && <Notice tone="warning">{props.rowError}</Notice>}
      <ErrorNotice error={props.error} />
      {props.saved && (
        <Notice tone="success" testId={props.testIds.saved}>
          {t("common.saved")}
        </Notice>
      )}
    </>
  );
}
