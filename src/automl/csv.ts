/**
 * CSV text to string cells (RFC 4180): a header row, comma separators, fields optionally quoted with
 * `"` (a doubled `""` inside quotes is one quote; quoted fields may hold commas and line breaks), LF or
 * CRLF line ends, an optional UTF-8 byte-order mark. The bytes must be UTF-8: a file in another
 * encoding is refused with the offset of its first invalid byte rather than read as mojibake.
 * Type inference lives in data.ts; this module only splits text.
 */
import { InvalidArgumentError } from '../errors.js';

export interface CsvCells {
  readonly header: readonly string[];
  /** (nRows) records, each with header.length cells. */
  readonly rows: readonly (readonly string[])[];
  /** (nRows) the 1-based line on which each record starts (the header is line 1), for error messages. */
  readonly lines: readonly number[];
}

/**
 * Byte offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1 when all are.
 * TextDecoder's fatal mode says only that decoding failed; the offset lets the user find the byte.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [len, min] = [2, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [len, min] = [3, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [len, min] = [4, 0x10000];
    else return i;
    if (i + len > n) return i;
    let cp = b & (0xff >> (len + 1));
    for (let k = 1; k < len; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += len;
  }
  return -1;
}

/** Decodes UTF-8 bytes (dropping a BOM); `file` names the source in the error. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    throw new InvalidArgumentError(
      `${file} is not valid UTF-8: byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at byte offset ${bad}; save it as UTF-8`,
    );
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Splits CSV text into a header and records. Lines that are entirely empty are skipped (an editor's
 * trailing newline, a blank line between blocks) unless the table has a single column, where an empty
 * line is a missing value. Errors name `file` and the line.
 */
export function parseCsv(text: string, file: string): CsvCells {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: string[][] = [];
  const starts: number[] = [];
  let field = '';
  let record: string[] = [];
  let line = 1;
  let recordLine = 1;
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field was quoted (a closing quote was seen)
  let fieldStarted = false;
  const endField = (): void => {
    record.push(field);
    field = '';
    wasQuoted = false;
    fieldStarted = false;
  };
  const endRecord = (): void => {
    endField();
    records.push(record);
    starts.push(recordLine);
    record = [];
  };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          wasQuoted = true;
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === ',') {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else if (c === '"') {
      if (fieldStarted || wasQuoted) {
        throw new InvalidArgumentError(`${file}: line ${line} has a quote inside an unquoted field (quote the whole field and double inner quotes: "a ""b"" c")`);
      }
      quoted = true;
      fieldStarted = true;
    } else {
      if (wasQuoted) throw new InvalidArgumentError(`${file}: line ${line} has text after a closing quote`);
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new InvalidArgumentError(`${file}: the quoted field opened on line ${recordLine} is never closed`);
  // The last record has no line end after it unless the file ends with one.
  if (fieldStarted || wasQuoted || record.length > 0) endRecord();

  const blank = (r: readonly string[]): boolean => r.length === 1 && r[0] === '';
  const header = records[0];
  if (header === undefined || blank(header)) throw new InvalidArgumentError(`${file} is empty: expected a header row and at least one data row`);
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    if (blank(rec) && header.length > 1) continue;
    if (rec.length !== header.length) {
      throw new InvalidArgumentError(`${file}: line ${starts[r]} has ${rec.length} fields but the header has ${header.length}`);
    }
    rows.push(rec);
    lines.push(starts[r]!);
  }
  if (rows.length === 0) throw new InvalidArgumentError(`${file} has a header row but no data rows`);
  return { header, rows, lines };
}
