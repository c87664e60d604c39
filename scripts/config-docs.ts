/**
 * Writes .env.example and the configuration table of README.md from src/config/settings.ts.
 * Run: npx ts-node -P scripts/tsconfig.json scripts/config-docs.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderEnvExample, updateReadme } from '../src/config/config-docs';

const root = resolve(__dirname, '..');
const envExample = resolve(root, '.env.example');
const readme = resolve(root, 'README.md');

writeFileSync(envExample, renderEnvExample());
writeFileSync(readme, updateReadme(existsSync(readme) ? readFileSync(readme, 'utf8') : ''));
process.stdout.write(`wrote ${envExample} and the configuration table in ${readme}\n`);
