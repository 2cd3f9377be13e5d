/**
 * The trial table: sort by any column, filter by state and by a parameter's range, one page of
 * PAGE_SIZE rows in the document at a time (a 50,000-trial study stays one sort and one page of DOM).
 */
import type { StudyJSON, TrialJSON, TrialStateName } from '../../trial/json.js';
import { h, labelled, replace, select } from './dom.js';
import { formatDuration, formatNumber, formatValue } from './format.js';

export const PAGE_SIZE = 50;

const STATES: TrialStateName[] = ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING'];

type Cell = number | string | null;

interface Column {
  readonly key: string;
  readonly label: string;
  /** The value sorted on (numbers before strings; null last). */
  readonly value: (t: TrialJSON) => Cell;
  readonly text: (t: TrialJSON) => string;
  readonly numeric: boolean;
}

function attrsText(a: Readonly<Record<string, unknown>>): string {
  return Object.keys(a)
    .sort()
    .map((k) => `${k}: ${formatValue(a[k])}`)
    .join('\n');
}

function paramText(v: unknown): string {
  return v === undefined ? '—' : formatValue(v);
}

function columns(study: StudyJSON, params: readonly string[]): Column[] {
  const cols: Column[] = [
    { key: 'number', label: 'Number', value: (t) => t.number, text: (t) => String(t.number), numeric: true },
    { key: 'state', label: 'State', value: (t) => t.state, text: (t) => t.state, numeric: false },
  ];
  study.directions.forEach((dir, k) => {
    const label = study.directions.length === 1 ? `Value (${dir})` : `Value ${k} (${dir})`;
    cols.push({ key: `value:${k}`, label, value: (t) => t.values?.[k] ?? null, text: (t) => formatNumber(t.values?.[k] ?? null), numeric: true });
  });
  cols.push({
    key: 'duration',
    label: 'Duration',
    value: (t) => (t.start !== null && t.complete !== null ? t.complete - t.start : null),
    text: (t) => formatDuration(t.start, t.complete),
    numeric: true,
  });
  for (const p of params) {
    cols.push({
      key: `param:${p}`,
      label: p,
      value: (t) => {
        const v = t.params[p];
        return typeof v === 'number' ? v : v === undefined ? null : String(v);
      },
      text: (t) => paramText(t.params[p]),
      numeric: true,
    });
  }
  cols.push({ key: 'user', label: 'User attributes', value: (t) => attrsText(t.userAttrs) || null, text: (t) => attrsText(t.userAttrs), numeric: false });
  cols.push({ key: 'system', label: 'System attributes', value: (t) => attrsText(t.systemAttrs) || null, text: (t) => attrsText(t.systemAttrs), numeric: false });
  return cols;
}

function compare(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : 1;
}

export interface TrialTable {
  readonly root: HTMLElement;
  update(study: StudyJSON): void;
}

export function trialTable(): TrialTable {
  let study: StudyJSON | null = null;
  let params: string[] = [];
  let cols: Column[] = [];
  let sortKey = 'number';
  let descending = false;
  let state = 'ALL';
  let rangeParam = '';
  let rangeLow = -Infinity;
  let rangeHigh = Infinity;
  let page = 0;

  const table = h('table', { id: 'trials-table', class: 'trials' });
  const thead = h('thead');
  const tbody = h('tbody');
  table.append(thead, tbody);
  const info = h('span', { class: 'page-info', id: 'trials-page-info' });
  const prev = h('button', { attrs: { type: 'button' }, on: { click: () => go(page - 1) } }, 'Previous');
  const next = h('button', { attrs: { type: 'button' }, on: { click: () => go(page + 1) } }, 'Next');
  const stateSelect = select(
    [['ALL', 'All'], ...STATES.map((s) => [s, s] as const)],
    state,
    (v) => {
      state = v;
      page = 0;
      render();
    },
    { id: 'filter-state' },
  );
  const paramSelect = select([['', '(none)']], '', (v) => {
    rangeParam = v;
    page = 0;
    render();
  }, { id: 'filter-param' });
  const num = (id: string, set: (v: number) => void) => {
    const input = h('input', { id, attrs: { type: 'number', step: 'any', placeholder: id.endsWith('low') ? 'min' : 'max' } });
    input.addEventListener('input', () => {
      const v = input.value.trim() === '' ? NaN : Number(input.value);
      set(v);
      page = 0;
      render();
    });
    return input;
  };
  const low = num('filter-low', (v) => (rangeLow = Number.isFinite(v) ? v : -Infinity));
  const high = num('filter-high', (v) => (rangeHigh = Number.isFinite(v) ? v : Infinity));
  const controls = h(
    'div',
    { class: 'controls' },
    labelled('State', stateSelect),
    labelled('Parameter', paramSelect),
    labelled('from', low),
    labelled('to', high),
  );
  const pager = h('div', { class: 'pager' }, prev, info, next);
  const root = h('div', { class: 'table-wrap' }, controls, h('div', { class: 'scroll' }, table), pager);

  function go(p: number) {
    page = p;
    render();
  }

  function rows(): TrialJSON[] {
    if (!study) return [];
    const col = cols.find((c) => c.key === sortKey) ?? cols[0]!;
    let out = study.trials.filter((t) => state === 'ALL' || t.state === state);
    if (rangeParam !== '' && (rangeLow > -Infinity || rangeHigh < Infinity)) {
      out = out.filter((t) => {
        const v = t.params[rangeParam];
        return typeof v === 'number' && v >= rangeLow && v <= rangeHigh;
      });
    }
    // The study's trials are in number order already: the default order needs no sort.
    if (col.key === 'number' && !descending) return out;
    // Decorate-sort: each key computed once (a 50,000-row sort calls the comparator ~800,000 times).
    const keyed = out.map((t) => [col.value(t), t] as const);
    keyed.sort((a, b) => {
      const c = compare(a[0], b[0]);
      const r = descending && a[0] !== null && b[0] !== null ? -c : c;
      return r !== 0 ? r : a[1].number - b[1].number;
    });
    return keyed.map((k) => k[1]);
  }

  function header() {
    const tr = h('tr');
    for (const c of cols) {
      const mark = c.key === sortKey ? (descending ? ' ▼' : ' ▲') : '';
      const btn = h(
        'button',
        {
          class: 'sort',
          attrs: { type: 'button', 'data-key': c.key, 'aria-sort': c.key === sortKey ? (descending ? 'descending' : 'ascending') : 'none' },
          on: {
            click: () => {
              if (sortKey === c.key) descending = !descending;
              else {
                sortKey = c.key;
                descending = false;
              }
              page = 0;
              render();
            },
          },
        },
        c.label + mark,
      );
      tr.appendChild(h('th', { class: c.numeric ? 'num' : '' }, btn));
    }
    replace(thead, tr);
  }

  function render() {
    header();
    const all = rows();
    const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
    page = Math.min(Math.max(0, page), pages - 1);
    const frag = document.createDocumentFragment();
    for (const t of all.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)) {
      const tr = h('tr', { attrs: { 'data-number': String(t.number), 'data-state': t.state } });
      for (const c of cols) tr.appendChild(h('td', { class: c.numeric ? 'num' : c.key === 'user' || c.key === 'system' ? 'attrs' : '' }, c.text(t)));
      frag.appendChild(tr);
    }
    replace(tbody, frag);
    info.textContent = all.length === 0 ? 'No trials' : `Trials ${page * PAGE_SIZE + 1}–${Math.min(all.length, (page + 1) * PAGE_SIZE)} of ${all.length} (page ${page + 1} of ${pages})`;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  return {
    root,
    update(s) {
      study = s;
      const names = new Set<string>();
      // Trials loaded in columns share their `distributions` objects (one per set of parameters), and a
      // trial's parameters are its distributions' names: each set is read once.
      const seen = new Set<TrialJSON['distributions']>();
      for (const t of s.trials) seen.add(t.distributions);
      for (const ds of seen) for (const n of Object.keys(ds)) names.add(n);
      const sorted = [...names].sort();
      if (sorted.join('\u0000') !== params.join('\u0000')) {
        params = sorted;
        const numeric = params.filter((p) => s.trials.some((t) => typeof t.params[p] === 'number'));
        replace(paramSelect, ...[['', '(none)'], ...numeric.map((p) => [p, p])].map(([v, label]) => {
          const o = h('option', null, label!);
          o.value = v!;
          return o;
        }));
        paramSelect.value = numeric.includes(rangeParam) ? rangeParam : '';
        rangeParam = paramSelect.value;
      }
      cols = columns(s, params);
      render();
    },
  };
}
