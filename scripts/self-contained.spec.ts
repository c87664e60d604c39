/**
 * The repository stands on its own: a plain clone runs every test and every comment's citation resolves inside it.
 * Reference material once lived beside the repository, in a sibling folder; nothing tracked may point there, and
 * every `docs/….md` a file cites (with its `§N`, when given) must exist.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

/** Written in pieces so that this file does not match itself. */
const OUTSIDE_REFERENCES = [
  ['..', 'shared'].join('/'),
  ['shared', 'spec'].join('/'),
  ['shared', 'testdata'].join('/'),
];

/**
 * A citation of a project doc, optionally followed by a section (`docs/contracts/admin-api.md §6`). Not preceded by
 * a path character, so upstream paths such as `libs/x/docs/y.md` are not ours; Flagsmith's own documentation tree
 * (`docs/docs/…`), cited by its upstream path in the contracts, is not ours either.
 */
const DOC_CITATION = /(?<![\w/.-])(docs\/(?!docs\/)[\w./-]*\.md)(?:\s+§(\d+(?:\.\d+)*))?/g;

interface Line {
  readonly file: string;
  readonly number: number;
  readonly text: string;
}

function trackedTextFiles(): { file: string; text: string }[] {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  return files
    .filter((file) => existsSync(join(ROOT, file)))
    .map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }))
    .filter(({ text }) => !text.includes('\0'));
}

function linesOf(files: { file: string; text: string }[]): Line[] {
  return files.flatMap(({ file, text }) =>
    text.split('\n').map((line, i) => ({ file, number: i + 1, text: line })),
  );
}

function where(line: Line): string {
  return `${line.file}:${line.number}: ${line.text.trim()}`;
}

/** Section numbers a doc defines by its headings (`## 6. Features`, `### 6.2 Multivariate allocation`). */
function sectionsOf(doc: string): Set<string> {
  const sections = new Set<string>();
  for (const match of doc.matchAll(/^#+\s+(\d+(?:\.\d+)*)[.\s]/gm)) sections.add(match[1]);
  return sections;
}

/** Every citation whose file or section does not exist, as `file:line: text (reason)`. */
function brokenCitations(lines: readonly Line[], root: string): string[] {
  const sections = new Map<string, Set<string> | null>();
  const sectionsFor = (doc: string): Set<string> | null => {
    if (!sections.has(doc)) {
      const path = join(root, doc);
      sections.set(doc, existsSync(path) ? sectionsOf(readFileSync(path, 'utf8')) : null);
    }
    return sections.get(doc) ?? null;
  };
  const broken: string[] = [];
  for (const line of lines) {
    for (const [, doc, section] of line.text.matchAll(DOC_CITATION)) {
      const defined = sectionsFor(doc);
      if (defined === null) broken.push(`${where(line)} (${doc} does not exist)`);
      else if (section !== undefined && !defined.has(section)) {
        broken.push(`${where(line)} (${doc} has no section ${section})`);
      }
    }
  }
  return broken;
}

describe('self-contained repository', () => {
  const lines = linesOf(trackedTextFiles());

  it('scans the tracked files, the engine test cases among them', () => {
    const files = new Set(lines.map((line) => line.file));
    expect(files.has('README.md')).toBe(true);
    expect([...files].filter((file) => file.startsWith('libs/engine/testdata/test_cases/'))).toHaveLength(
      199,
    );
  });

  it('tracked files → none points at the sibling reference folder (a finding names file and line)', () => {
    const offending = lines.filter((line) =>
      OUTSIDE_REFERENCES.some((reference) => line.text.includes(reference)),
    );

    expect(offending.map(where)).toEqual([]);
  });

  it('cited docs/….md files and § sections → all exist (a finding names file and line)', () => {
    // This file's own examples below cite missing docs on purpose.
    const self = relative(ROOT, __filename);

    expect(
      brokenCitations(
        lines.filter((line) => line.file !== self),
        ROOT,
      ),
    ).toEqual([]);
  });
});

describe('brokenCitations', () => {
  const line = (text: string): Line => ({ file: 'src/x.ts', number: 7, text });

  it('an existing doc and section → no finding', () => {
    expect(brokenCitations([line(' * (docs/contracts/admin-api.md §6, §7)')], ROOT)).toEqual([]);
  });

  it('a missing doc → names file, line and doc', () => {
    expect(brokenCitations([line(' * see docs/contracts/nope.md §1')], ROOT)).toEqual([
      'src/x.ts:7: * see docs/contracts/nope.md §1 (docs/contracts/nope.md does not exist)',
    ]);
  });

  it('a section the doc does not define → names the section', () => {
    expect(brokenCitations([line('// docs/contracts/engine.md §99')], ROOT)).toEqual([
      'src/x.ts:7: // docs/contracts/engine.md §99 (docs/contracts/engine.md has no section 99)',
    ]);
  });

  it('a sub-section (§6.2) → checked against the sub-headings', () => {
    expect(brokenCitations([line('(docs/contracts/engine.md §6.2)')], ROOT)).toEqual([]);
  });

  it("upstream paths (Flagsmith's docs/docs/…, another repo's …/docs/….md) → not citations of ours", () => {
    expect(
      brokenCitations([line('`docs/docs/deployment/hosting/locally-api.md`, `libs/docs/x.md`')], ROOT),
    ).toEqual([]);
  });
});
