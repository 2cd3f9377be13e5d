#!/usr/bin/env node
/**
 * The `tunable` executable: runs ./cli.ts on the process arguments. Exit codes and the error format
 * are documented in `tunable --help`.
 */
import { main, report } from './cli.js';

const io = {
  out: (text: string) => void process.stdout.write(text + '\n'),
  err: (text: string) => void process.stderr.write(text + '\n'),
  env: process.env,
};

let settled = false;
const exit = (code: number) => {
  settled = true;
  process.exit(code);
};

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  // A reader that stopped early (`tunable trials | head`) is not a failure of the command.
  exit(err.code === 'EPIPE' ? Number(process.exitCode ?? 0) : report(err, io));
});

// Last resort for errors outside the command's promise chain (a timer, a stream): still one line.
const fatal = (err: unknown) => exit(report(err, io));
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

// A command whose promise never settles lets Node exit when nothing else is pending, with code 0:
// that must read as a failure, not as success.
process.on('exit', () => {
  if (settled) return;
  io.err('tunable: the command stopped before it finished (an internal error)');
  process.exitCode = 1;
});

main(process.argv.slice(2), io).then((code) => {
  settled = true;
  process.exitCode = code;
}, fatal);
