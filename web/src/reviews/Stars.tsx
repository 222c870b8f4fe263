// A star rating shown as text glyphs with a spoken equivalent ("4 of 5 stars").
import { useI18n } from "../i18n/i18n.tsx";

export function Stars(props: { stars: number; testId?: string }) {
  const { t } = useI18n();
  const filled = Math.round(props.stars);
  return (
    <span className="stars" role="img" aria-label={t("reviews.starsOf", { stars: props.stars })} data-testid={props.testId}>
      {"★".repeat(filled)}
      <span className="stars-empty">{"★".repeat(5 - filled)}</span>
    </span>
  );
}
