import { countAxis, px } from "./chart-scale.js";
import { escapeHtml } from "./markup.js";

export interface TimeSeries {
  /** Stable name, also data-series on the path (tests read the chart back through it). */
  key: string;
  label: string;
  values: readonly number[];
  color: string;
  /** Shade the area under the line. */
  fill?: boolean;
}

export interface Threshold {
  label: string;
  value: number;
  color: string;
}

export interface TimeSeriesChart {
  id: string;
  title: string;
  startMs: number;
  bucketSeconds: number;
  series: TimeSeries[];
  thresholds?: Threshold[];
}

const WIDTH = 960;
const HEIGHT = 260;
const MARGIN = { top: 14, right: 12, bottom: 28, left: 52 };
/** One point per pixel at most: longer series are cut into groups and each group drawn at its maximum. */
const MAX_POINTS = WIDTH - MARGIN.left - MARGIN.right;
/** A threshold far above the data would flatten it: beyond this factor it is named below the chart instead. */
const THRESHOLD_HEADROOM = 1.6;

const TICK_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

/**
 * A step chart of per-bucket maxima (each bucket is drawn flat over its width), inline SVG with no script. The
 * plot geometry is on the svg element as data attributes so a test can read the values back from the paths.
 */
export function timeSeriesChart(chart: TimeSeriesChart): string {
  const buckets = Math.max(0, ...chart.series.map((series) => series.values.length));
  if (buckets === 0) return "";
  const group = Math.ceil(buckets / MAX_POINTS);
  const grouped = chart.series.map((series) => ({ ...series, values: groupMax(series.values, group) }));
  const points = Math.ceil(buckets / group);
  const dataMax = Math.max(0, ...grouped.flatMap((series) => series.values));
  const shown = (chart.thresholds ?? []).filter((t) => t.value <= Math.max(dataMax, 1) * THRESHOLD_HEADROOM);
  const offChart = (chart.thresholds ?? []).filter((t) => !shown.includes(t));
  const axis = countAxis(Math.max(dataMax, ...shown.map((t) => t.value)));

  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;
  const x = (i: number) => left + (i / points) * (right - left);
  const y = (v: number) => bottom - (v / axis.max) * (bottom - top);

  const out: string[] = [];
  out.push(
    `<svg class="chart" id="${escapeHtml(chart.id)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" ` +
      `aria-label="${escapeHtml(chart.title)}" data-y-max="${axis.max}" data-plot-left="${left}" ` +
      `data-plot-right="${right}" data-plot-top="${top}" data-plot-bottom="${bottom}" data-points="${points}" ` +
      `data-bucket-group="${group}" data-bucket-seconds="${chart.bucketSeconds}">`,
  );
  for (let tick = 0; tick <= axis.max; tick += axis.step) {
    out.push(
      `<line class="grid" x1="${left}" x2="${right}" y1="${px(y(tick))}" y2="${px(y(tick))}"/>` +
        `<text class="tick" x="${left - 6}" y="${px(y(tick) + 4)}" text-anchor="end">${tick.toLocaleString("en-US")}</text>`,
    );
  }
  out.push(...timeTicks(chart.startMs, chart.bucketSeconds * group, points, x, bottom));
  for (const series of grouped) {
    const line = stepPath(series.values, x, y);
    if (series.fill) {
      out.push(
        `<path class="area" d="${line}V${px(bottom)}H${px(left)}Z" fill="${series.color}" data-role="fill"/>`,
      );
    }
    out.push(
      `<path class="line" d="${line}" stroke="${series.color}" data-series="${escapeHtml(series.key)}">` +
        `<title>${escapeHtml(series.label)}</title></path>`,
    );
  }
  for (const threshold of shown) {
    out.push(
      `<line class="threshold" x1="${left}" x2="${right}" y1="${px(y(threshold.value))}" y2="${px(y(threshold.value))}" ` +
        `stroke="${threshold.color}" data-threshold="${threshold.value}"/>` +
        `<text class="threshold-label" x="${right - 4}" y="${px(y(threshold.value) - 4)}" text-anchor="end" ` +
        `fill="${threshold.color}">${escapeHtml(threshold.label)} ${threshold.value.toLocaleString("en-US")}</text>`,
    );
  }
  out.push(`<line class="axis" x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}"/></svg>`);
  const legend = chart.series
    .map((series) => {
      const peak = Math.max(0, ...series.values);
      return `<span class="key"><i style="background:${series.color}"></i>${escapeHtml(series.label)} <b>peak ${peak.toLocaleString("en-US")}</b></span>`;
    })
    .concat(
      offChart.map(
        (t) =>
          `<span class="key off-chart"><i style="background:${t.color}"></i>${escapeHtml(t.label)} ${t.value.toLocaleString("en-US")} (far above the data, not drawn)</span>`,
      ),
    );
  const note = group > 1 ? `<p class="note">Each point is the maximum of ${group} buckets.</p>` : "";
  return `<div class="legend">${legend.join("")}</div>${out.join("")}${note}`;
}

function groupMax(values: readonly number[], group: number): number[] {
  if (group === 1) return [...values];
  const out: number[] = [];
  for (let i = 0; i < values.length; i += group) out.push(Math.max(...values.slice(i, i + group)));
  return out;
}

/** "M x0,y0 H x1 V y1 H x2 ...": each bucket is a flat segment; the V moves carry the next bucket's value. */
function stepPath(values: readonly number[], x: (i: number) => number, y: (v: number) => number): string {
  if (values.length === 0) return "";
  let d = `M${px(x(0))},${px(y(values[0]!))}H${px(x(1))}`;
  for (let i = 1; i < values.length; i++) d += `V${px(y(values[i]!))}H${px(x(i + 1))}`;
  return d;
}

function timeTicks(
  startMs: number,
  secondsPerPoint: number,
  points: number,
  x: (i: number) => number,
  bottom: number,
): string[] {
  const totalSeconds = secondsPerPoint * points;
  const step = TICK_STEPS_S.find((s) => totalSeconds / s <= 8) ?? Math.ceil(totalSeconds / 8 / 86_400) * 86_400;
  const first = Math.ceil(startMs / 1000 / step) * step;
  const withDate = totalSeconds > 86_400;
  const out: string[] = [];
  for (let t = first; t * 1000 <= startMs + totalSeconds * 1000; t += step) {
    const position = x((t * 1000 - startMs) / 1000 / secondsPerPoint);
    const iso = new Date(t * 1000).toISOString();
    const label = withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, step < 60 ? 19 : 16);
    // A label at the right edge would be cut off: it ends at its tick instead of centring on it.
    const anchor = position > x(points) - 30 ? "end" : "middle";
    out.push(
      `<line class="tick-mark" x1="${px(position)}" x2="${px(position)}" y1="${bottom}" y2="${bottom + 4}"/>` +
        `<text class="tick" x="${px(position)}" y="${bottom + 17}" text-anchor="${anchor}">${label}</text>`,
    );
  }
  return out;
}
