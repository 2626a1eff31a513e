/** Number formatting shared by the renderers and the recommendation's reasons. */
export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** A count with its noun: plural(1, "session") is "1 session", plural(2, "session") "2 sessions". */
export function plural(n: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count(n)} ${n === 1 ? noun : pluralNoun}`;
}

export function pinRatioText(summary: { pinRatio: number; pinRatioRange: { min: number; max: number } }): string {
  const { min, max } = summary.pinRatioRange;
  return min === max ? percent(summary.pinRatio) : `${percent(min)}–${percent(max)}`;
}

export function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}
