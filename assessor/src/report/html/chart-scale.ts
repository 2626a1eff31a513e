/** The smallest "nice" number (1, 2 or 5 times a power of ten: whole steps for counts) at or above value. */
export function niceCeil(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** Axis maximum and tick step for counts: about four ticks, whole numbers. */
export function countAxis(maxValue: number): { max: number; step: number } {
  const step = Math.max(1, niceCeil(maxValue / 4));
  return { max: Math.max(step, Math.ceil(maxValue / step) * step), step };
}

/** Rounds a coordinate to 0.1 px: exact enough to read the data back, short enough to keep pages small. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}
