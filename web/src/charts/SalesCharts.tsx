// The merchant's sales charts (a lazy chunk, with the uPlot charting library): revenue per day
// over the chosen window (days without sales show as zero) and the top products by revenue. Each chart has a
// text table for screen readers. Amounts stay bigint until they are scaled for drawing.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { SalesSummary } from "../api/types.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";

/** Drawn at the container's real width, so labels keep their size on a phone. */
const chartWidthDefault = 640;
const chartHeight = 220;
/** Roughly one date label per this many pixels. */
const dateLabelSpacingPx = 64;
/** Room for the amounts on the vertical axis. */
const amountAxisWidthPx = 72;

export default function SalesCharts(props: { summary: SalesSummary }) {
  const { t } = useI18n();
  const { summary } = props;
  const currency = summary.revenuePerDay[0]?.currency ?? summary.topProducts[0]?.currency ?? "CNY";
  const days = fillDays(summary);
  return (
    <div className="charts" data-testid="sales-charts">
      <figure className="chart">
        <figcaption>{t("overview.revenuePerDay")}</figcaption>
        <RevenueBars days={days} currency={currency} label={t("overview.revenuePerDay")} />
        {/* A table ignores a 1px height, so the hidden wrapper is a div. */}
        <div className="visually-hidden">
          <table>
            <tbody>
              {days.map((day) => (
                <tr key={day.day}>
                  <th scope="row">{day.day}</th>
                  <td>{formatMoney(day.revenue, currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </figure>
      <figure className="chart">
        <figcaption>{t("overview.topProducts")}</figcaption>
        <ul className="hbars" data-testid="top-products">
          {summary.topProducts.map((product) => {
            const maximum = summary.topProducts.reduce((max, entry) => (BigInt(entry.revenueMinor) > max ? BigInt(entry.revenueMinor) : max), 1n);
            const share = Number((BigInt(product.revenueMinor) * 1000n) / maximum) / 10;
            return (
              <li key={product.productId} className="hbar">
                <span className="hbar-label clamp-1">{product.name}</span>
                <span className="hbar-track" aria-hidden="true">
                  <span className="hbar-fill" style={{ width: `${Math.max(2, share)}%` }} />
                </span>
                <span className="hbar-value">
                  {formatMoney(product.revenueMinor, product.currency)} · {t("overview.units", { count: product.units })}
                </span>
              </li>
            );
          })}
        </ul>
      </figure>
    </div>
  );
}

type Day = { day: string; revenue: bigint; orders: number };

/** Every day of the window, oldest first, with zero where nothing sold. */
function fillDays(summary: SalesSummary): Day[] {
  const byDay = new Map<string, Day>();
  for (const row of summary.revenuePerDay) {
    const existing = byDay.get(row.day);
    byDay.set(row.day, { day: row.day, revenue: (existing?.revenue ?? 0n) + BigInt(row.revenueMinor), orders: (existing?.orders ?? 0) + row.orders });
  }
  const result: Day[] = [];
  const today = new Date();
  for (let offset = summary.days - 1; offset >= 0; offset--) {
    const date = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - offset));
    const key = date.toISOString().slice(0, 10);
    result.push(byDay.get(key) ?? { day: key, revenue: 0n, orders: 0 });
  }
  return result;
}

function RevenueBars(props: { days: Day[]; currency: string; label: string }) {
  const wrapper = useRef<HTMLDivElement>(null);
  const { days, currency, label } = props;
  useEffect(() => {
    const element = wrapper.current;
    if (!element) return;
    // Plotted in minor units (exact for any realistic daily revenue); labels format them back.
    const data: uPlot.AlignedData = [days.map((_, index) => index), days.map((day) => Number(day.revenue))];
    const style = getComputedStyle(element);
    const accent = style.getPropertyValue("--accent").trim() || "#1664d9";
    const muted = style.getPropertyValue("--muted").trim() || "#5b6472";
    const plot = new uPlot(
      {
        width: Math.round(element.clientWidth) || chartWidthDefault,
        height: chartHeight,
        legend: { show: false },
        cursor: { points: { show: false }, drag: { x: false, y: false } },
        scales: { x: { time: false, range: [-0.5, days.length - 0.5] }, y: { range: (_plot, _min, max) => [0, max > 0 ? max * 1.1 : 100] } },
        axes: [
          {
            stroke: muted,
            grid: { show: false },
            space: dateLabelSpacingPx,
            values: (_plot, splits) => splits.map((split) => (Number.isInteger(split) ? (days[split]?.day.slice(5) ?? "") : "")),
          },
          {
            stroke: muted,
            size: amountAxisWidthPx,
            grid: { stroke: "rgba(0,0,0,0.08)" },
            values: (_plot, splits) => splits.map((split) => formatMoney(BigInt(Math.round(split)), currency)),
          },
        ],
        series: [{}, { label, fill: accent, stroke: accent, points: { show: false }, paths: uPlot.paths.bars!({ size: [0.7, 48], radius: 0.1 }) }],
      },
      data,
      element,
    );
    // Drawn at the container's real width, so labels keep their size on a phone.
    const observer = new ResizeObserver((entries) => {
      const width = Math.round(entries[0]?.contentRect.width ?? 0);
      if (width > 0 && width !== plot.width) plot.setSize({ width, height: chartHeight });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [days, currency, label]);
  return <div ref={wrapper} className="chart-canvas" role="img" aria-label={label} data-testid="revenue-chart" />;
}
