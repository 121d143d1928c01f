export interface Row {
  name: string;
  ours: number;
  baseline: number;
  unit: string;
  ratio: number;
  target: string;
}

export function row(name: string, ours: number, baseline: number, unit: string, target: string): Row {
  return { name, ours: round(ours), baseline: round(baseline), unit, ratio: round(ours / baseline, 3), target };
}

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export function formatTable(rows: Row[]): string {
  const header = ['measure', 'portcullis', 'baseline', 'unit', 'ratio', 'target'];
  const lines = rows.map((r) => [r.name, String(r.ours), r.ratio === 0 ? '' : String(r.baseline), r.unit, r.ratio === 0 ? '' : r.ratio.toFixed(3), r.target]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

/** A row with one figure and no baseline (no ratio). */
export function figure(name: string, value: number, unit: string, target: string): Row {
  return { name, ours: round(value), baseline: 0, unit, ratio: 0, target };
}

/** A target with the figure measured against it, printed under the table. */
export interface Verdict {
  target: string;
  figure: string;
  met: boolean;
}

export const formatVerdicts = (verdicts: readonly Verdict[]): string =>
  verdicts.map((v) => `${v.met ? 'met   ' : 'MISSED'}  ${v.target}: ${v.figure}`).join('\n');
