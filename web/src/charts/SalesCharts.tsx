// The merchant's sales charts, drawn as SVG (a lazy chunk): revenue per day over the chosen
// window (days without sales show as zero) and the top products by revenue. Each chart has a
// text table for screen readers. Amounts stay bigint until they are scaled for drawing.
import { useEffect, useRef, useState } from "react";
import type { SalesSummary } from "../api/types.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";

/** Drawn at the container's real width, so labels keep their size on a phone. */
const chartWidthDefault = 640;
const chartHeight = 220;
/** Roughly one date label per this many pixels. */
const dateLabelSpacingPx = 64;
const padding = { top: 12, right: 8, bottom: 28, left: 64 };

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
  const [chartWidth, setChartWidth] = useState(chartWidthDefault);
  useEffect(() => {
    const element = wrapper.current;
    if (!element) return;
    const observer = new ResizeObserver((entries) => {
      const width = Math.round(entries[0]?.contentRect.width ?? chartWidthDefault);
      if (width > 0) setChartWidth(width);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const maximum = props.days.reduce((max, day) => (day.revenue > max ? day.revenue : max), 0n);
  const top = niceCeiling(maximum);
  const innerWidth = chartWidth - padding.left - padding.right;
  const innerHeight = chartHeight - padding.top - padding.bottom;
  const slot = innerWidth / props.days.length;
  const barWidth = Math.max(1, slot * 0.7);
  const ticks = [0n, top / 2n, top];
  const labelEvery = Math.max(1, Math.ceil(props.days.length / Math.max(2, Math.floor(innerWidth / dateLabelSpacingPx))));
  return (
    <div ref={wrapper}>
    <svg viewBox={`0 0 ${chartWidth} ${chartHeight}`} width={chartWidth} height={chartHeight} className="chart-svg" role="img" aria-label={props.label}>
      {ticks.map((tick) => {
        const y = padding.top + innerHeight - Number((tick * 1000n) / (top || 1n)) / 1000 * innerHeight;
        return (
          <g key={tick.toString()}>
            <line x1={padding.left} x2={chartWidth - padding.right} y1={y} y2={y} className="chart-grid" />
            <text x={padding.left - 6} y={y + 4} textAnchor="end" className="chart-tick">
              {formatMoney(tick, props.currency)}
            </text>
          </g>
        );
      })}
      {props.days.map((day, index) => {
        const height = top ? (Number((day.revenue * 1000n) / top) / 1000) * innerHeight : 0;
        const x = padding.left + index * slot + (slot - barWidth) / 2;
        return (
          <g key={day.day}>
            <rect x={x} y={padding.top + innerHeight - height} width={barWidth} height={height} rx={2} className="chart-bar">
              <title>
                {day.day}: {formatMoney(day.revenue, props.currency)} ({day.orders})
              </title>
            </rect>
            {index % labelEvery === 0 && (
              <text x={x + barWidth / 2} y={chartHeight - 8} textAnchor="middle" className="chart-tick">
                {day.day.slice(5)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
    </div>
  );
}

/** A round axis maximum at or above the value: 1, 2 or 5 times a power of ten (in minor units). */
function niceCeiling(value: bigint): bigint {
  if (value <= 0n) return 100n;
  let power = 1n;
  while (power * 10n <= value) power *= 10n;
  for (const step of [1n, 2n, 5n, 10n]) if (step * power >= value) return step * power;
  return 10n * power;
}
