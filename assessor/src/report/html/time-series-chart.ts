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
/**
 * Points per chart at most (one per two pixels of plot): a longer series is cut into groups of buckets, each drawn at
 * its maximum, so the SVG stays the same size for 4 seconds or 3 days of log and a one-second peak still shows.
 */
const MAX_POINTS = 440;
/** Group widths that read as time ("1 min", "15 min"): used whenever they are whole multiples of the report's buckets. */
const ROUND_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];
/** A threshold far above the data would flatten it: beyond this factor it is named below the chart instead. */
const THRESHOLD_HEADROOM = 1.6;

/** Vertical distance between two stacked threshold labels (11 px bold text and a gap). */
const LABEL_LINE_HEIGHT = 14;

/**
 * A step chart of per-bucket maxima (each bucket is drawn flat over its width), inline SVG with no script. The
 * plot geometry is on the svg element as data attributes so a test can read the values back from the paths.
 */
export function timeSeriesChart(chart: TimeSeriesChart): string {
  const buckets = Math.max(0, ...chart.series.map((series) => series.values.length));
  if (buckets === 0) return "";
  const group = bucketsPerPoint(buckets, chart.bucketSeconds);
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
  const byHeight = [...shown].sort((a, b) => b.value - a.value);
  const baselines = labelBaselines(
    byHeight.map((t) => y(t.value)),
    top,
    bottom,
  );
  for (const [index, threshold] of byHeight.entries()) {
    out.push(
      `<line class="threshold" x1="${left}" x2="${right}" y1="${px(y(threshold.value))}" y2="${px(y(threshold.value))}" ` +
        `stroke="${threshold.color}" data-threshold="${threshold.value}"/>` +
        `<text class="threshold-label" x="${right - 4}" y="${px(baselines[index]!)}" text-anchor="end" ` +
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
  const pointSeconds = group * chart.bucketSeconds;
  const grouping = group > 1 ? ` (${group} buckets of ${duration(chart.bucketSeconds)})` : "";
  const note = `<p class="note">Each step is the maximum over ${duration(pointSeconds)}${grouping}; times in UTC.</p>`;
  return `<div class="legend">${legend.join("")}</div>${out.join("")}${note}`;
}

/**
 * Baselines for the threshold labels, one per line (given top to bottom): each just above its line, but at least a
 * text line below the label before it, so close limits (85 and 76) get labels one under the other, never on top of
 * each other; the stack is pushed up where it would run off the bottom of the plot.
 */
function labelBaselines(lineYs: readonly number[], top: number, bottom: number): number[] {
  const baselines: number[] = [];
  for (const lineY of lineYs) {
    const previous = baselines.at(-1);
    baselines.push(Math.max(lineY - 4, top - 3, previous === undefined ? 0 : previous + LABEL_LINE_HEIGHT));
  }
  for (let i = baselines.length - 1; i >= 0; i--) {
    const limit = i === baselines.length - 1 ? bottom - 4 : baselines[i + 1]! - LABEL_LINE_HEIGHT;
    baselines[i] = Math.min(baselines[i]!, limit);
  }
  return baselines;
}

/**
 * Buckets per drawn point: the smallest round time step that keeps the chart within MAX_POINTS, unless the report's
 * buckets (widened for a long log) only divide a step so coarse that the chart would lose detail; then the smallest group.
 */
function bucketsPerPoint(buckets: number, bucketSeconds: number): number {
  const needed = (buckets / MAX_POINTS) * bucketSeconds;
  const round = ROUND_STEPS_S.find((step) => step >= needed && step % bucketSeconds === 0 && step <= 2.5 * needed);
  return round === undefined ? Math.max(1, Math.ceil(buckets / MAX_POINTS)) : round / bucketSeconds;
}

/** A step width in words, exact below an hour: "30 s", "1 min", "598 s", "2 h", "10.2 h". */
function duration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  if (seconds < 3600) return `${seconds.toLocaleString("en-US")} s`;
  return `${(seconds / 3600).toFixed(1)} h`;
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
  const step = ROUND_STEPS_S.find((s) => totalSeconds / s <= 8) ?? Math.ceil(totalSeconds / 8 / 86_400) * 86_400;
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
