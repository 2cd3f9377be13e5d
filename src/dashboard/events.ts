/**
 * Server-sent events: live updates without reloading.
 *
 * - `/api/events`: `event: studies`, data `StudySummaryJSON[]`, once on connecting and whenever the list
 *   changes (a study added or removed, a trial added or finished, a new best).
 * - `/api/studies/:id/events`: `event: trials`, data `{ "trials": TrialJSON[] }`: the trials new or
 *   changed (state, values, intermediate values, attributes, parameters) since the last event. Nothing is
 *   sent on connecting: a page fetches the study when the stream opens (and again when it reopens after
 *   a lost connection: changes in between are not replayed) and applies each event's trials by number.
 *   `event: deleted`, data `{ "studyId" }`, and the stream ends when the study is deleted.
 * - `event: poll-error`, data `{ "error": { code, message } }`, when reading the storage fails (once per
 *   distinct message; polling goes on).
 *
 * One poller per watched stream (the list, or one study), shared by all its clients, started by the
 * first client and stopped when the last one leaves; it reads every `pollMs` (the next read is timed
 * from the end of the last, so a slow storage is never read twice at once). A comment line every
 * HEARTBEAT_MS keeps proxies and the browser from closing an idle connection, and `retry:` asks the
 * browser to reconnect after RETRY_MS.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError, TunableError } from '../errors.js';
import type { DashboardData, StudyTrials } from './api.js';

export const HEARTBEAT_MS = 15_000;
export const RETRY_MS = 1_000;
/**
 * A client whose unsent data exceeds this is dropped (it reconnects and refetches) rather than held in
 * memory without bound: a stalled tab of a fast study would otherwise grow the buffer forever.
 */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export function errorJSON(e: unknown): { error: { code: string; message: string } } {
  return { error: { code: e instanceof TunableError ? e.code : 'ERR_INTERNAL', message: e instanceof Error ? e.message : String(e) } };
}

/** The clients of one stream and its poller. */
class Channel {
  readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastError: string | null = null;

  constructor(
    private readonly pollMs: number,
    /** One read; resolves when done (the next is scheduled then). */
    private readonly poll: () => Promise<void>,
    private readonly onEmpty: () => void,
  ) {}

  add(res: ServerResponse): void {
    this.clients.add(res);
    const leave = () => {
      if (!this.clients.delete(res)) return;
      if (this.clients.size === 0) {
        this.stop();
        this.onEmpty();
      }
    };
    // The response's 'close': the stream was ended here or the connection dropped (the request's own
    // 'close' only says that its body was read).
    res.on('close', leave);
    res.on('error', leave);
    if (this.timer === null && !this.stopped) this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.poll()
        .then(() => (this.lastError = null))
        .catch((e: unknown) => this.reportError(e))
        .finally(() => {
          if (!this.stopped) this.schedule();
        });
    }, this.pollMs);
  }

  private reportError(e: unknown): void {
    const data = JSON.stringify(errorJSON(e));
    if (data === this.lastError) return;
    this.lastError = data;
    this.broadcast('poll-error', data);
  }

  broadcast(event: string, data: string): void {
    const frame = `event: ${event}\ndata: ${data}\n\n`;
    for (const res of this.clients) write(res, frame);
  }

  comment(text: string): void {
    for (const res of this.clients) write(res, `: ${text}\n\n`);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Ends every client's response and stops polling. */
  end(): void {
    this.stop();
    for (const res of [...this.clients]) res.end();
    this.clients.clear();
  }
}

function write(res: ServerResponse, frame: string): void {
  if (res.writableEnded || res.destroyed) return;
  if (res.writableLength > MAX_BUFFERED_BYTES) {
    res.destroy();
    return;
  }
  res.write(frame);
}

/** Starts an event stream on `res` (status, headers, the reconnection delay). */
function open(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, {
    ...headers,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    // A buffering reverse proxy (nginx) would hold the events back.
    'X-Accel-Buffering': 'no',
  });
  res.write(`retry: ${RETRY_MS}\n\n`);
  res.flushHeaders();
}

/** Every event stream of one server. */
export class EventHub {
  private list: Channel | null = null;
  /** The last studies list sent (its JSON text). */
  private listText: string | null = null;
  private readonly studies = new Map<number, { channel: Channel }>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly data: DashboardData,
    private readonly pollMs: number,
  ) {
    this.heartbeat = setInterval(() => this.ping(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private ping(): void {
    this.list?.comment('heartbeat');
    for (const { channel } of this.studies.values()) channel.comment('heartbeat');
  }

  /** `/api/events`: the current list first, then each change. */
  async watchStudies(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
    const text = JSON.stringify(await this.data.studySummaries());
    if (this.closed || req.destroyed) return void res.destroy();
    open(res, headers);
    res.write(`event: studies\ndata: ${text}\n\n`);
    this.listText ??= text;
    this.list ??= new Channel(
      this.pollMs,
      async () => {
        const next = JSON.stringify(await this.data.studySummaries());
        if (next === this.listText) return;
        this.listText = next;
        this.list?.broadcast('studies', next);
      },
      () => {
        this.list = null;
        this.listText = null;
      },
    );
    this.list.add(res);
  }

  /**
   * `/api/studies/:id/events`. The study is read first, so an unknown id answers 404 (NotFoundError,
   * thrown before any header is written) and the stream's first event holds only later changes.
   */
  async watchStudy(studyId: number, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
    const trials = await this.data.refreshed(studyId);
    if (this.closed || req.destroyed) return void res.destroy();
    open(res, headers);
    let s = this.studies.get(studyId);
    if (s === undefined) {
      /** The study version whose changes were sent last. */
      const progress = { sent: trials.version };
      const channel: Channel = new Channel(
        this.pollMs,
        async () => {
          let t: StudyTrials;
          try {
            t = await this.data.refreshed(studyId);
          } catch (e) {
            if (!(e instanceof NotFoundError)) throw e;
            channel.broadcast('deleted', JSON.stringify({ studyId }));
            channel.end();
            this.studies.delete(studyId);
            return;
          }
          const changed = t.changedSince(progress.sent);
          progress.sent = t.version;
          if (changed.length > 0) channel.broadcast('trials', `{"trials":[${changed.join(',')}]}`);
        },
        () => {
          if (this.studies.get(studyId)?.channel === channel) this.studies.delete(studyId);
        },
      );
      this.studies.set(studyId, (s = { channel }));
    }
    s.channel.add(res);
  }

  /** Ends every stream: the server can then close at once. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.list?.end();
    this.list = null;
    for (const { channel } of this.studies.values()) channel.end();
    this.studies.clear();
  }
}
