/** The shape of a `tunable` command: the flags it takes and what it runs (see ./commands.ts). */
import type { FlagName, Flags } from './args.js';

export interface Context {
  /** The `--storage` URL as given (or the default); print `storage.url`, which hides a password, never this. */
  readonly storage: string;
  /** Writes `text` and a newline to stdout. */
  readonly out: (text: string) => void;
}

export interface Command {
  readonly flags: readonly FlagName[];
  /** What `tunable <command> --help` prints; without it, the overview of every command. */
  readonly help?: string;
  /** Resolves to the exit code (0 when it resolves to nothing); a rejection is reported by ./cli.ts. */
  readonly run: (flags: Flags, ctx: Context) => Promise<number | void>;
}
