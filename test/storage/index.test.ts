import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, StorageError } from '../../src/errors.js';
import { MemoryStorage, PostgresStorage, SqliteStorage, createStorage } from '../../src/storage/index.js';
import { thrown } from '../helpers.js';

describe('createStorage', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tunable-create-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to memory', async () => {
    const a = createStorage();
    expect(a).toBeInstanceOf(MemoryStorage);
    expect(a.url).toBe('memory:');
    expect(createStorage('memory:')).toBeInstanceOf(MemoryStorage);
    expect(createStorage('memory:')).not.toBe(createStorage('memory:'));
  });

  it('opens SQLite files (absolute, relative to the cwd) and sqlite::memory:', async () => {
    const abs = join(dir, 'a.db');
    const s = createStorage(`sqlite:${abs}`);
    expect(s).toBeInstanceOf(SqliteStorage);
    expect(s.url).toBe(`sqlite:${abs}`);
    await s.createStudy('x', ['minimize']);
    await s.close();
    expect(existsSync(abs)).toBe(true);

    const rel = relative(process.cwd(), join(dir, 'b.db'));
    const r = createStorage(`sqlite:${rel}`);
    await r.createStudy('y', ['minimize']);
    await r.close();
    expect(existsSync(join(dir, 'b.db'))).toBe(true);

    const m = createStorage('sqlite::memory:');
    expect(m).toBeInstanceOf(SqliteStorage);
    const id = await m.createStudy('z', ['maximize']);
    expect(await m.getStudyDirections(id)).toEqual(['maximize']);
    await m.close();
  });

  it('passes a Storage instance through', async () => {
    const s = new MemoryStorage();
    expect(createStorage(s)).toBe(s);
  });

  it('resolves postgres:// and postgresql:// to a PostgresStorage, connecting nothing, its url without the password', async () => {
    for (const url of ['postgres://u:secret@host.invalid/db', 'postgresql://u:secret@host.invalid:5433/db?schema=s1']) {
      const s = createStorage(url);
      expect(s).toBeInstanceOf(PostgresStorage);
      expect(s.url).not.toContain('secret');
      expect(s.url).toContain('***');
      await s.close();
    }
    const e = thrown(() => createStorage('postgresql://u:secret@host/db?shema=x'));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/shema/);
    expect((e as Error).message).not.toContain('secret');
  });

  it('rejects anything else with InvalidArgumentError naming `storage` and the value', () => {
    expect(() => createStorage('mysql://host/db')).toThrow(InvalidArgumentError);
    expect(() => createStorage('mysql://host/db')).toThrow(/`storage`.*"mysql:\/\/host\/db"/);
    expect(() => createStorage('sqlite:')).toThrow(InvalidArgumentError);
    expect(() => createStorage(42 as never)).toThrow(/`storage`.*42/);
    expect(() => createStorage({} as never)).toThrow(InvalidArgumentError);
    expect(() => createStorage(null as never)).toThrow(InvalidArgumentError);
  });
});
