/**
 * Warnings of the library: process.emitWarning with type 'TunableWarning', once per process and `key`.
 * The key defaults to the code; sites that share a code for one condition (the CUDA device out of memory
 * in fitGP and in a GPSampler step) pass their own key, so that each site's warning shows once.
 */
const warned = new Set<string>();

export function warnOnce(code: string, message: string, key: string = code): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, { type: 'TunableWarning', code });
}
