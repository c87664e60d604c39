import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'dotenv';
import { Environment } from './app-config';

/**
 * The process environment merged over an optional `.env` file in the working directory.
 * Variables set in the real environment win, as with docker/kubernetes env files.
 * Together with loadConfig this is the only reader of process.env.
 */
export function readEnvironment(cwd: string = process.cwd()): Environment {
  const file = resolve(cwd, '.env');
  const fromFile = existsSync(file) ? parse(readFileSync(file)) : {};
  return { ...fromFile, ...process.env };
}
