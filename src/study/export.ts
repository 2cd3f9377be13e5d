/** Trials as flat rows, and rows as CSV (RFC 4180). */
import type { FrozenTrial, StudyDirection } from '../trial/index.js';

export function trialsToRows(trials: readonly FrozenTrial[], directions: readonly StudyDirection[]): Record<string, unknown>[] {
  const paramNames = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  const userKeys = [...new Set(trials.flatMap((t) => Object.keys(t.userAttrs)))].sort();
  return trials.map((t) => {
    const row: Record<string, unknown> = { number: t.number, state: t.state };
    if (directions.length === 1) row['value'] = t.values?.[0] ?? null;
    else directions.forEach((_, i) => (row[`values_${i}`] = t.values?.[i] ?? null));
    row['datetime_start'] = t.datetimeStart?.toISOString() ?? null;
    row['datetime_complete'] = t.datetimeComplete?.toISOString() ?? null;
    row['duration_ms'] = t.datetimeStart && t.datetimeComplete ? t.datetimeComplete.getTime() - t.datetimeStart.getTime() : null;
    for (const p of paramNames) row[`params_${p}`] = p in t.params ? t.params[p] : null;
    for (const k of userKeys) row[`user_attrs_${k}`] = k in t.userAttrs ? t.userAttrs[k] : null;
    const reason = t.systemAttrs['failReason'];
    row['fail_reason'] = typeof reason === 'string' ? reason : null;
    return row;
  });
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function rowsToCsv(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]!);
  const lines = [cols.map(csvCell).join(',')];
  for (const r of rows) lines.push(cols.map((c) => csvCell(r[c])).join(','));
  return lines.join('\n') + '\n';
}
