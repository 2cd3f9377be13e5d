/** Short words for the file-system errors a user can act on, for one-line messages. */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

/** Why a file operation failed: the words for its errno code (`overrides` first), else the error's message. */
export function ioReason(err: unknown, overrides: Readonly<Record<string, string>> = {}): string {
  const code = (err as NodeJS.ErrnoException | null)?.code ?? '';
  return overrides[code] ?? REASONS[code] ?? (err instanceof Error ? err.message : String(err));
}
