// `npm start`: builds only when dist/ is older than what it is built from, then runs the server in this process
// (no wrapper between the server and the signals sent to `npm start`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const INPUT_DIRS = ['src', 'libs', 'migrations'];
const INPUT_FILES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
];
/** What a build writes last (the server, then the admin panel's bundle by the postbuild step). */
const OUTPUTS = ['dist/src/main.js', 'dist/src/cli.js', 'dist/admin-bundle/bundle.js'];

function newestInput() {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else if (!path.endsWith('.spec.ts')) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const dir of INPUT_DIRS) if (existsSync(join(ROOT, dir))) visit(join(ROOT, dir));
  for (const file of INPUT_FILES) if (existsSync(join(ROOT, file))) visit(join(ROOT, file));
  return newest;
}

/** Undefined when dist/ is up to date, else why it must be built. */
function buildReason() {
  const outputs = OUTPUTS.map((file) => join(ROOT, file));
  const missing = outputs.find((file) => !existsSync(file));
  if (missing) return `${missing.slice(ROOT.length + 1)} is missing`;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  return newestInput() > built ? 'sources changed since the last build' : undefined;
}

function step(line) {
  process.stdout.write(`flagport: ${line}\n`);
}

const reason = buildReason();
if (reason === undefined) {
  step('build: dist/ is up to date, skipped (npm run build forces one)');
} else {
  step(`build: ${reason}; building (npm run build)…`);
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    step(
      `build: failed (${result.error ? result.error.message : `exit ${result.status}`}); see the output above`,
    );
    process.exit(1);
  }
  step(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
await import(pathToFileURL(join(ROOT, 'dist/src/main.js')).href);
