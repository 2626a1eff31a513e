import { px } from "./chart-scale.js";
import { escapeHtml } from "./markup.js";

export interface Bar {
  key: string;
  label: string;
  value: number;
  /** Shown after the value, e.g. "in 12 sessions". */
  detail?: string;
  color: string;
}

const WIDTH = 960;
const ROW = 30;
const LABEL_WIDTH = 300;
const VALUE_WIDTH = 220;

/** Horizontal bars, longest first as given. The bar width over data-x-max is the value (tests read it back). */
export function barChart(id: string, title: string, bars: readonly Bar[]): string {
  if (bars.length === 0) return "";
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const barLeft = LABEL_WIDTH;
  const barSpace = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const height = bars.length * ROW + 4;
  const rows = bars.map((bar, index) => {
    const top = index * ROW + 4;
    const width = (bar.value / max) * barSpace;
    return (
      `<g data-key="${escapeHtml(bar.key)}"><title>${escapeHtml(bar.label)}: ${bar.value.toLocaleString("en-US")}</title>` +
      `<text class="bar-label" x="${barLeft - 8}" y="${top + 15}" text-anchor="end">${escapeHtml(bar.label)}</text>` +
      `<rect class="bar" x="${barLeft}" y="${top}" width="${px(width)}" height="${ROW - 10}" rx="2" fill="${bar.color}"/>` +
      `<text class="bar-value" x="${px(barLeft + width + 8)}" y="${top + 15}">${bar.value.toLocaleString("en-US")}` +
      `${bar.detail ? ` <tspan class="muted">${escapeHtml(bar.detail)}</tspan>` : ""}</text></g>`
    );
  });
  return (
    `<svg class="chart bars" id="${escapeHtml(id)}" viewBox="0 0 ${WIDTH} ${height}" role="img" ` +
    `aria-label="${escapeHtml(title)}" data-x-max="${max}" data-bar-space="${barSpace}">${rows.join("")}</svg>`
  );
}
