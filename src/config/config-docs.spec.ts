import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  formattedReadmeTable,
  README_END,
  README_START,
  renderEnvExample,
  updateReadme,
} from './config-docs';
import { SETTINGS } from './settings';

const ROOT = resolve(__dirname, '../..');
const REGENERATE = 'run `npx ts-node -P scripts/tsconfig.json scripts/config-docs.ts` and commit the result';

describe('configuration docs', () => {
  it(`.env.example is exactly what the settings table generates (else ${REGENERATE})`, () => {
    const onDisk = readFileSync(resolve(ROOT, '.env.example'), 'utf8');
    expect(onDisk).toBe(renderEnvExample());
  });

  it(`README's config-table section is exactly what the settings table generates (else ${REGENERATE})`, () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf(README_START);
    const end = readme.indexOf(README_END);
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    expect(readme.slice(start + README_START.length, end).trim()).toBe(formattedReadmeTable());
  });

  it('.env.example lists every setting with its default, commented out', () => {
    const text = renderEnvExample();
    for (const [name, spec] of Object.entries(SETTINGS)) {
      expect(text).toContain(`\n#${name}=${spec.defaultText ?? ''}\n`);
    }
  });

  it('the README table has one row per setting', () => {
    const table = formattedReadmeTable();
    for (const name of Object.keys(SETTINGS)) expect(table).toMatch(new RegExp(`^\\| \`${name}\` +\\|`, 'm'));
  });

  it('updateReadme replaces only the marked section and keeps the rest of the README', () => {
    const before = `# Title\n\nIntro.\n\n${README_START}\nstale table\n${README_END}\n\n## Later\n\nMore.\n`;
    const after = updateReadme(before);
    expect(after.startsWith(`# Title\n\nIntro.\n\n${README_START}\n`)).toBe(true);
    expect(after.endsWith(`${README_END}\n\n## Later\n\nMore.\n`)).toBe(true);
    expect(after).not.toContain('stale table');
    expect(updateReadme(after)).toBe(after);
  });

  it('updateReadme appends a marked section to a README without markers', () => {
    const after = updateReadme('# Title\n');
    expect(after).toMatch(new RegExp(`^# Title\\n\\n${README_START}\\n\\n## Configuration\\n`));
    expect(after.trimEnd().endsWith(README_END)).toBe(true);
  });
});
