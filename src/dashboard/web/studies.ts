/** The studies list (`#/`): one row per study, kept current by the `/api/events` stream. */
import type { StudySummaryJSON, TrialStateName } from '../../trial/json.js';
import { api, events } from './api.js';
import { h, replace } from './dom.js';
import { formatAgo, formatNumber, formatTime } from './format.js';

const STATES: TrialStateName[] = ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING'];

export interface View {
  readonly root: HTMLElement;
  /** Settles when the view shows its data. */
  readonly ready: Promise<void>;
  dispose(): void;
}

export function studiesView(): View {
  const tbody = h('tbody');
  const table = h(
    'table',
    { id: 'studies-table', class: 'studies' },
    h('thead', null, h('tr', null, ...['Study', 'Directions', 'Trials by state', 'Best value', 'Started', 'Last activity'].map((t) => h('th', null, t)))),
    tbody,
  );
  const status = h('p', { class: 'note', id: 'studies-status' });
  const root = h('section', { class: 'page', id: 'studies-page' }, h('h1', null, 'Studies'), status, table);
  let rows: StudySummaryJSON[] = [];

  const render = () => {
    status.textContent = rows.length === 0 ? 'No studies in this storage yet.' : `${rows.length} ${rows.length === 1 ? 'study' : 'studies'}`;
    const now = Date.now();
    replace(
      tbody,
      ...rows.map((s) => {
        const link = h('a', { attrs: { href: `#/study/${s.studyId}` }, class: 'study-link' }, s.name);
        const counts = h(
          'span',
          { class: 'counts' },
          ...STATES.filter((st) => s.counts[st] > 0).map((st) => h('span', { class: `state state-${st.toLowerCase()}`, attrs: { title: st } }, `${st} ${s.counts[st]}`)),
        );
        const best = s.bestValues === null ? '—' : `${s.bestValues.map(formatNumber).join(', ')} (trial ${s.bestNumber})`;
        const last = h('span', { attrs: { title: formatTime(s.lastActivity) } }, formatAgo(s.lastActivity, now));
        return h(
          'tr',
          { attrs: { 'data-study-id': String(s.studyId) } },
          h('td', null, link),
          h('td', null, s.directions.join(', ')),
          h('td', null, counts),
          h('td', { class: 'num' }, best),
          h('td', null, formatTime(s.start)),
          h('td', null, last),
        );
      }),
    );
  };

  const unsubscribe = events.studies((list) => {
    rows = list;
    render();
  });
  const ready = api.studies().then(
    (list) => {
      rows = list;
      render();
    },
    (e: unknown) => {
      status.textContent = `Could not load the studies: ${e instanceof Error ? e.message : String(e)}`;
    },
  );
  // "3 s ago" ages without new events.
  const timer = setInterval(render, 10_000);
  return {
    root,
    ready,
    dispose() {
      unsubscribe();
      clearInterval(timer);
    },
  };
}
