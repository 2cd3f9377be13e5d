/** Warnings of the library: process.emitWarning with type 'TunableWarning', once per process and code. */
const warned = new Set<string>();

export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { type: 'TunableWarning', code });
}
