// Every relative link of README.md and docs/*.md resolves: the file (or folder) exists, and an `#anchor`
// names a heading of the target page by GitHub's slug. External links (https:, mailto:) are not fetched.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The page without fenced code blocks and inline code, where brackets are not links. */
function prose(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/`[^`\n]*`/g, (code) => ' '.repeat(code.length));
}

/** GitHub's heading ids: the text lowercased, punctuation dropped, spaces as hyphens, repeats numbered. */
function headingSlugs(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const slugs = new Set<string>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, text] of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const plain = text!
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text only
      .replace(/[`*]/g, '') // code and emphasis marks (an underscore stays: snake_case names keep it)
      .replace(/<[^>]+>/g, '');
    const base = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  }
  return slugs;
}

function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

function brokenLinks(page: string): string[] {
  const file = join(ROOT, page);
  const broken: string[] = [];
  for (const target of links(readFileSync(file, 'utf8'))) {
    if (isExternal(target)) continue;
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
    if (!existsSync(resolved)) {
      broken.push(`${page} → ${target}: no such file ${relative(ROOT, resolved)}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
      broken.push(`${page} → ${target}: an anchor into a file that is not a markdown page`);
    } else if (!headingSlugs(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))) {
      broken.push(`${page} → ${target}: no heading #${anchor} in ${relative(ROOT, resolved)}`);
    }
  }
  return broken;
}

describe('the links of the README and docs/', () => {
  it('slugs headings as GitHub does', () => {
    const slugs = headingSlugs(
      [
        '# Ferry',
        "## Ferry's variables",
        '## Try the demo: `npm run demo`',
        '## Gallery archive → Google Drive / Yandex Disk (`cloud_archive`)',
        '### Variables',
        '### Variables',
        '```sh',
        '# not a heading',
        '```',
      ].join('\n'),
    );
    expect([...slugs]).toEqual([
      'ferry',
      'ferrys-variables',
      'try-the-demo-npm-run-demo',
      'gallery-archive--google-drive--yandex-disk-cloud_archive',
      'variables',
      'variables-1',
    ]);
  });

  it('finds a broken link and a broken anchor', () => {
    const page = '[a](missing.md) [b](#nowhere) [c](https://example.com/x) `[d](in-code.md)` [e](#here)\n## Here';
    expect(links(page)).toEqual(['missing.md', '#nowhere', 'https://example.com/x', '#here']);
    expect(headingSlugs(page).has('here')).toBe(true);
    expect(headingSlugs(page).has('nowhere')).toBe(false);
  });

  it('every relative link and anchor resolves', () => {
    expect(PAGES.length).toBeGreaterThan(10);
    expect(PAGES.flatMap(brokenLinks)).toEqual([]);
  });
});
