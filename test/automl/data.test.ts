import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8, parseCsv } from '../../src/automl/csv.js';
import { readTable, tableFromCsv, tableFromRows } from '../../src/automl/data.js';
import { InvalidArgumentError, IOError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'automl-data-'));
function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const c = parseCsv('a,b\n"x, y","say ""hi"""\n"two\nlines",3\n', 'f.csv');
    expect(c.header).toEqual(['a', 'b']);
    expect(c.rows).toEqual([
      ['x, y', 'say "hi"'],
      ['two\nlines', '3'],
    ]);
    expect(c.lines).toEqual([2, 3]); // the second record starts on line 3 and spans line 4
  });

  it('accepts CRLF line ends, a BOM and no final newline', () => {
    const c = parseCsv('\ufeffa,b\r\n1,2\r\n3,4', 'f.csv');
    expect(c.header).toEqual(['a', 'b']);
    expect(c.rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('skips blank lines', () => {
    expect(parseCsv('a,b\n1,2\n\n3,4\n\n', 'f.csv').rows).toHaveLength(2);
  });

  it('refuses an empty file and a header without rows', () => {
    expect(() => parseCsv('', 'f.csv')).toThrow('f.csv is empty: expected a header row and at least one data row');
    expect(() => parseCsv('a,b\n', 'f.csv')).toThrow('f.csv has a header row but no data rows');
  });

  it('names the line of a ragged row', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n', 'f.csv')).toThrow('f.csv: line 3 has 1 fields but the header has 2');
    expect(() => parseCsv('a,b\n1,2\n"x\ny",2,3\n', 'f.csv')).toThrow('f.csv: line 3 has 3 fields but the header has 2');
  });

  it('names the line of an unclosed or misplaced quote', () => {
    expect(() => parseCsv('a,b\n1,"2\n3,4\n', 'f.csv')).toThrow('f.csv: the quoted field opened on line 2 is never closed');
    expect(() => parseCsv('a,b\n1,2\n3,x"y\n', 'f.csv')).toThrow(/^f\.csv: line 3 has a quote inside an unquoted field/);
    expect(() => parseCsv('a,b\n"1"x,2\n', 'f.csv')).toThrow('f.csv: line 2 has text after a closing quote');
  });
});

describe('firstInvalidUtf8', () => {
  it('finds the first bad byte and accepts valid multi-byte text', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo €𝄞'))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.of(0x61, 0x62, 0xe9, 0x63))).toBe(2); // Latin-1 é
    expect(firstInvalidUtf8(Uint8Array.of(0xc0, 0x80))).toBe(0); // overlong NUL
    expect(firstInvalidUtf8(Uint8Array.of(0x61, 0xe2, 0x82))).toBe(1); // truncated sequence
    expect(firstInvalidUtf8(Uint8Array.of(0xed, 0xa0, 0x80))).toBe(0); // a UTF-16 surrogate
  });
});

describe('readTable', () => {
  it('infers numeric and categorical columns, and missing values', async () => {
    const p = file('kinds.csv', 'x,color,flag,t\n1.5,red,true,0\nNA,blue,false,1\n?,,true,0\n-2e3,red,NaN,null\n');
    const t = await readTable(p);
    expect(t.nRows).toBe(4);
    const [x, color, flag, target] = t.columns;
    expect(x!.kind).toBe('numeric');
    expect(Array.from(x!.values as Float64Array)).toEqual([1.5, NaN, NaN, -2000]);
    expect(color).toEqual({ name: 'color', kind: 'categorical', values: ['red', 'blue', null, 'red'] });
    expect(flag).toEqual({ name: 'flag', kind: 'categorical', values: ['true', 'false', 'true', null] });
    expect(Array.from(target!.values as Float64Array)).toEqual([0, 1, 0, NaN]);
  });

  it('refuses a mostly numeric column with a few labels, naming the column, value and line', () => {
    const rows = ['a,b', ...Array.from({ length: 9 }, (_, i) => `${i},x`), 'oops,y'];
    expect(() => tableFromCsv(rows.join('\n'), 'm.csv')).toThrow(
      'm.csv: column "a" is mixed: 9 numbers and 1 non-numeric value(s), e.g. "oops" on line 11; fix or blank those cells (missing: "", "NA", "NaN", "null", "?")',
    );
  });

  it('reads a column of mostly labels with a few numbers as categorical', () => {
    const t = tableFromCsv('size\nS\nM\nL\n8\n', 's.csv');
    expect(t.columns[0]).toEqual({ name: 'size', kind: 'categorical', values: ['S', 'M', 'L', '8'] });
  });

  it('refuses non-UTF-8 bytes with the file and byte offset', async () => {
    const p = file('latin1.csv', Buffer.concat([Buffer.from('name,v\ncaf'), Buffer.from([0xe9]), Buffer.from(',1\n')]));
    await expect(readTable(p)).rejects.toThrow(`${p} is not valid UTF-8: byte 0xe9 at byte offset 10; save it as UTF-8`);
  });

  it('refuses duplicate and empty header names', () => {
    expect(() => tableFromCsv('a,a\n1,2\n', 'd.csv')).toThrow('d.csv: the header names column "a" twice');
    expect(() => tableFromCsv('a,\n1,2\n', 'd.csv')).toThrow('d.csv: column 2 of the header has no name');
  });

  it('reads JSON rows from memory and from a .json file', async () => {
    const rows = [
      { x: 1, c: 'a', b: true },
      { x: null, c: 'b' },
      { x: 3, c: null, b: false },
    ];
    const t = tableFromRows(rows);
    expect(t.columns.map((c) => [c.name, c.kind])).toEqual([
      ['x', 'numeric'],
      ['c', 'categorical'],
      ['b', 'categorical'],
    ]);
    expect(t.columns[2]!.values).toEqual(['true', null, 'false']);
    expect(await readTable(file('rows.json', JSON.stringify(rows)))).toEqual(t);
    expect(() => tableFromRows([{ x: { y: 1 } }])).toThrow('rows: row 0, column "x" holds an object (Object); expected a number, a string, a boolean or null');
    expect(() => tableFromRows([])).toThrow('rows is empty: expected at least one row');
  });

  it('reports an unreadable file as an IOError', async () => {
    await expect(readTable(join(dir, 'nope.csv'))).rejects.toThrow(IOError);
  });

  it('reads the shipped data sets', async () => {
    const bc = await readTable('examples/data/breast_cancer.csv');
    expect(bc.nRows).toBe(569);
    expect(bc.columns).toHaveLength(31);
    expect(bc.columns.every((c) => c.kind === 'numeric')).toBe(true);
  });

  it('throws InvalidArgumentError for data errors', () => {
    expect(() => parseCsv('', 'f.csv')).toThrow(InvalidArgumentError);
  });
});
