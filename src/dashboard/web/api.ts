/** The server's JSON routes and event streams (src/dashboard/api.ts, events.ts). */
import {
  studyFromColumns, type IntermediateColumnsJSON, type StudyColumnsJSON, type StudyJSON, type StudySummaryJSON, type TrialJSON,
} from '../../trial/json.js';
import type { ImportanceResult } from '../../importance/index.js';
import type { SurrogateJSON } from '../posterior-reference.js';

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Milliseconds of a study's load: the response and its JSON parse, then the columns to TrialJSON. */
export interface StudyTimings {
  fetch: number;
  expand: number;
}

const get = (path: string) => fetch(path, { headers: { accept: 'application/json' } });
const studyPath = (id: number) => `/api/studies/${id}?form=columns`;

/**
 * The study of the address the page opens on, requested as this module is evaluated: main.ts imports
 * it first, so the request runs while the rest of the script (ECharts, the views) is set up. Used once.
 */
let early: { readonly id: number; readonly response: Promise<Response> } | null = (() => {
  const m = /^#\/study\/(\d+)\/?$/.exec(location.hash);
  if (m === null) return null;
  const id = Number(m[1]);
  const response = get(studyPath(id));
  // Not used when the view changes first: its failure is not the page's.
  response.catch(() => {});
  return { id, response };
})();

async function getJSON<T>(path: string, response: Promise<Response> = get(path)): Promise<T> {
  const res = await response;
  if (!res.ok) {
    let detail = res.statusText;
    try {
      // The server's errors: { error: { code, message } } (src/dashboard/events.ts, errorJSON).
      const body = (await res.json()) as { error?: { message?: unknown } } | null;
      if (typeof body?.error?.message === 'string') detail = body.error.message;
    } catch {
      // not JSON: the status text says enough
    }
    throw new HttpError(res.status, detail);
  }
  return (await res.json()) as T;
}

export const api = {
  studies: () => getJSON<StudySummaryJSON[]>('/api/studies'),
  /**
   * A study in columns (a large study's full `StudyJSON` is several times the size and parse time),
   * turned back into `StudyJSON` for the page and the plot builders.
   */
  async study(id: number, timings?: StudyTimings): Promise<StudyJSON> {
    const t0 = performance.now();
    const pre = early !== null && early.id === id ? early.response : undefined;
    early = null;
    const columns = await getJSON<StudyColumnsJSON>(studyPath(id), pre);
    const t1 = performance.now();
    const study = studyFromColumns(columns);
    if (timings) {
      timings.fetch = t1 - t0;
      timings.expand = performance.now() - t1;
    }
    return study;
  },
  /** Every trial's intermediate values (the study's columns leave them out), capped per curve. */
  intermediate: (id: number) => getJSON<IntermediateColumnsJSON>(`/api/studies/${id}/intermediate`),
  importance: (id: number, objective: number) => getJSON<ImportanceResult>(`/api/studies/${id}/importance?objective=${objective}`),
  surrogate: (id: number, objective: number) => getJSON<SurrogateJSON>(`/api/studies/${id}/surrogate?objective=${objective}`),
};

/** Subscribes to one event of a server-sent event stream; returns the unsubscribe function. */
function subscribe<T>(path: string, event: string, onData: (data: T) => void): () => void {
  const source = new EventSource(path);
  source.addEventListener(event, (ev) => {
    try {
      onData(JSON.parse((ev as MessageEvent<string>).data) as T);
    } catch (e) {
      console.error(`Bad ${event} event`, e);
    }
  });
  return () => source.close();
}

export const events = {
  studies: (onData: (s: StudySummaryJSON[]) => void) => subscribe('/api/events', 'studies', onData),
  trials: (id: number, onData: (d: { trials: TrialJSON[] }) => void) => subscribe(`/api/studies/${id}/events`, 'trials', onData),
};
