/**
 * Sections of bench/RESULTS.md: each bench owns one heading and rewrites only the text under it, so
 * the other benches' sections stay byte-identical whoever wrote last.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RESULTS_FILE = join(import.meta.dirname, 'RESULTS.md');

const level = (heading: string): number => /^#+/.exec(heading)?.[0].length ?? 0;

/** [start, end) character range of `heading`'s section (heading line up to the next heading of the same or a higher level), or null. */
function sectionRange(text: string, heading: string): [number, number] | null {
  const lines = text.split('\n');
  const n = level(heading);
  let offset = 0;
  let start = -1;
  for (const line of lines) {
    if (start < 0 && line === heading) start = offset;
    else if (start >= 0) {
      const m = level(line);
      if (m > 0 && m <= n && line[m] === ' ') return [start, offset];
    }
    offset += line.length + 1;
  }
  return start < 0 ? null : [start, text.length];
}

/** The section under `heading` (heading line included), or null when the text has none. */
export function getSection(text: string, heading: string): string | null {
  const r = sectionRange(text, heading);
  return r === null ? null : text.slice(r[0], r[1]);
}

/**
 * `text` with the section under `heading` replaced by `section` (which starts with the heading line).
 * When absent, `section` is appended at the end of the text or, with `after` (a higher-level heading),
 * at the end of `after`'s section, which is appended first if missing, so a subsection lands in its parent.
 */
export function replaceSection(text: string, heading: string, section: string, after?: string): string {
  const body = section.replace(/\s*$/, '\n');
  const r = sectionRange(text, heading);
  if (r !== null) {
    const rest = text.slice(r[1]);
    return text.slice(0, r[0]) + body + (rest.length > 0 ? '\n' + rest : '');
  }
  if (after === undefined) return text.replace(/\s*$/, '\n\n') + body;
  const host = sectionRange(text, after);
  if (host === null) return text.replace(/\s*$/, '\n\n') + after + '\n\n' + body;
  const rest = text.slice(host[1]);
  return text.slice(0, host[1]).replace(/\s*$/, '\n\n') + body + (rest.length > 0 ? '\n' + rest : '');
}

/** Rewrites `heading`'s section of bench/RESULTS.md (see replaceSection). */
export function writeResultsSection(heading: string, section: string, after?: string): void {
  const old = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '# Benchmark results\n';
  writeFileSync(RESULTS_FILE, replaceSection(old, heading, section, after));
}
