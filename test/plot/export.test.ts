/** Static export: SVG (server-side rendering), PNG (resvg), standalone HTML, and their errors. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IOError, InvalidArgumentError, NotFoundError, UnknownOptionError } from '../../src/errors.js';
import type { Study } from '../../src/study/study.js';
import { createStorage } from '../../src/storage/index.js';
import { htmlPage, plot, type PlotKind } from '../../src/plot/index.js';
import { historyOption } from '../../src/plot/options/index.js';
import { tempDir } from '../helpers.js';
import { sqliteStudy, synthetic } from './study.js';

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('plot()', () => {
  const dir = tempDir();
  const storage = `sqlite:${join(dir, 'plots.db')}`;
  let study: Study;
  beforeAll(async () => {
    study = await sqliteStudy(storage, 'exp');
    await sqliteStudy(storage, 'mo', 16, ['minimize', 'maximize']);
  });

  it('renders an SVG with its axes and marks, and writes it', async () => {
    const out = join(dir, 'history.svg');
    const svg = (await plot('history', { storage, studyName: 'exp' }, { out })) as string;
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toMatch(/<svg[^>]*width="900"[^>]*height="600"/);
    for (const text of ['Optimization history', 'Trial', 'Objective value', 'Best value', 'Study exp']) expect(svg).toContain(`>${text}<`);
    expect(readFileSync(out, 'utf8')).toBe(svg);
  });

  it.each(['history', 'parallel', 'intermediate', 'importance'] as const)('renders %s from a Study handle', async (kind: PlotKind) => {
    const svg = (await plot(kind, study, { format: 'svg' })) as string;
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('<path');
  });

  it('renders slice, contour and pareto with their options', async () => {
    expect(await plot('slice', study, { param: 'opt' })).toContain('>sgd<');
    const contour = (await plot('contour', study, { x: 'lr', y: 'x' })) as string;
    expect(contour).toContain('>lr<');
    expect(await plot('pareto', { storage, studyName: 'mo' }, { objectives: [1, 0] })).toContain('>Best trial<');
  });

  it('reads from a Storage object and leaves it open for its owner', async () => {
    const st = createStorage(storage);
    try {
      expect(await plot('history', { storage: st, studyName: 'exp' })).toMatch(/^<svg/);
      expect((await st.getAllStudies()).length).toBeGreaterThan(0);
    } finally {
      await st.close();
    }
  });

  it('renders a PNG of the requested size', async () => {
    const out = join(dir, 'slice.png');
    const png = (await plot('slice', study, { param: 'lr', out, width: 640, height: 360 })) as Buffer;
    expect(pngSize(png)).toEqual({ width: 640, height: 360 });
    expect(readFileSync(out).equals(png)).toBe(true);
    expect(pngSize((await plot('history', study, { format: 'png' })) as Buffer)).toEqual({ width: 900, height: 600 });
  });

  it('writes a standalone HTML page: ECharts inlined, nothing loaded from the network', async () => {
    const html = (await plot('history', study, { format: 'html' })) as string;
    const tags = html.match(/<script[^>]*>/g)!;
    expect(tags).toEqual(['<script>', '<script>']);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).toContain('echarts.init(document.getElementById');
    expect(html.length).toBeGreaterThan(1_000_000);  // echarts.min.js itself
  });

  it('keeps a hostile study name inside the JSON and the title as text', async () => {
    const name = '</script><script>alert(1)</script><!--';
    const s = await sqliteStudy(storage, name, 6);
    const html = (await plot('history', s, { format: 'html' })) as string;
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toContain('alert(1)</script>');
    expect(html).not.toContain('<!--');
    expect(html).toContain('\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e');
    expect(html).toContain('<title>Optimization history — &#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#60;!--</title>');
    // The JSON reads back to the same option.
    const json = html.slice(html.indexOf('var option = ') + 13, html.indexOf(';\n', html.indexOf('var option = ')));
    expect(JSON.parse(json).title.subtext).toBe(`Study ${name}`);
    // In SVG the name is escaped text.
    const svg = (await plot('history', s, { format: 'svg' })) as string;
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
  });

  it('escapes </script> and <!-- in any JSON it inlines', () => {
    const option = historyOption(synthetic({ n: 3, name: 'a</script>b<!--c' }));
    const html = htmlPage(option, 'x', null);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('refuses a bad kind, extension, format, size or option before reading the study', async () => {
    const missing = { storage: `sqlite:${join(dir, 'never.db')}`, studyName: 'none' };
    const message = async (p: Promise<unknown>) => (await p.then(() => null, (e: Error) => e))!;
    let e = await message(plot('histogram' as PlotKind, missing));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toBe('Expected one of "history", "importance", "parallel", "contour", "slice", "intermediate", "pareto" for `kind` but received "histogram"');
    e = await message(plot('history', missing, { out: join(dir, 'h.jpg') }));
    expect(e.message).toMatch(/^Expected a file name ending in \.html, \.svg or \.png for `out` but received ".*h\.jpg"$/);
    e = await message(plot('history', missing, { out: join(dir, 'h.svg'), format: 'png' }));
    expect(e.message).toBe('Expected `format` to match the extension of `out` ("svg") but received "png"');
    e = await message(plot('history', missing, { width: 20 }));
    expect(e.message).toBe('Expected an integer in [100, 8192] for `width` but received 20');
    e = await message(plot('history', missing, { param: 'x' } as never));
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect(e.message).toMatch(/^Unknown option `param` in `plot options for "history"`/);
    e = await message(plot('slice', missing, {}));
    expect(e.message).toBe('Missing `param`: a slice draws the objective against one parameter');
    expect(existsSync(join(dir, 'never.db'))).toBe(false);
    e = await message(plot('history', { storage, studyName: 'nope' }));
    expect(e).toBeInstanceOf(NotFoundError);
  });

  it('reports an unwritable path as an IOError and leaves nothing behind', async () => {
    const out = join(dir, 'no-such-dir', 'h.svg');
    const e = await plot('history', study, { out }).then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(IOError);
    expect(e!.message).toBe(`Cannot write \`out\` file ${JSON.stringify(out)}: no such directory`);
    const asDir = join(dir, 'taken.svg');
    await plot('history', study, { out: join(dir, 'ok.svg') });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(asDir);
    const e2 = await plot('history', study, { out: asDir }).then(() => null, (err: Error) => err);
    expect(e2).toBeInstanceOf(IOError);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
