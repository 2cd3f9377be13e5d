import { describe, expect, it } from 'vitest';
import { getSection, replaceSection } from '../../bench/results-md.js';

const DOC = '# Results\n\nintro\n\n## A\n\na body\n\n### A.1\n\nsub\n\n## B (issue 5)\n\nold b\n\n### B.gp\n\ngp\n\n## C\n\nc body\n';

describe('bench/RESULTS.md sections', () => {
  it('replace only their own text, up to the next heading of the same level', () => {
    const out = replaceSection(DOC, '## B (issue 5)', '## B (issue 5)\n\nnew b\n');
    expect(out).toBe('# Results\n\nintro\n\n## A\n\na body\n\n### A.1\n\nsub\n\n## B (issue 5)\n\nnew b\n\n## C\n\nc body\n');
    expect(replaceSection(DOC, '## C', '## C\n\nnew c')).toBe(DOC.replace('c body', 'new c'));
  });

  it('read a subsection up to the next heading of its level or above', () => {
    expect(getSection(DOC, '### B.gp')).toBe('### B.gp\n\ngp\n\n');
    expect(getSection(DOC, '## Missing')).toBeNull();
  });

  it('append a missing section at the end, or a missing subsection inside its parent (created if absent)', () => {
    expect(replaceSection('# R\n\n## A\n\na\n', '## Z', '## Z\n\nz')).toBe('# R\n\n## A\n\na\n\n## Z\n\nz\n');
    expect(replaceSection(DOC, '### B.new', '### B.new\n\nx', '## B (issue 5)')).toBe(DOC.replace('\ngp\n\n', '\ngp\n\n### B.new\n\nx\n\n'));
    expect(replaceSection('# R\n', '### S', '### S\n\ns', '## P')).toBe('# R\n\n## P\n\n### S\n\ns\n');
  });
});

describe('bench/RESULTS.md itself', () => {
  it('is a record: every benchmark section names its command, its machine and its date', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'bench', 'RESULTS.md'), 'utf8');
    const sections = text.split(/^(?=## )/m).filter((s) => s.startsWith('## '));
    expect(sections.length).toBeGreaterThan(5);
    for (const s of sections) {
      const title = s.split('\n')[0];
      expect(s, title).toMatch(/^Commands?:/m);
      expect(s, title).toMatch(/Machine:/);
      expect(s, title).toMatch(/\b20\d\d-\d\d-\d\d\b/);
    }
  });
});
