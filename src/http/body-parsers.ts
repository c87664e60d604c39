import { BadRequestException } from '@nestjs/common';
import { parse as parseQueryString } from 'node:querystring';

/**
 * Body parsing as DRF does it: an empty JSON body is "no data" (not an error), a malformed one is
 * `400 {"detail": "JSON parse error - …"}`; `__proto__` keys and constructor.prototype are refused
 * (prototype poisoning), as Fastify's own parser does.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0 || text.trim().length === 0) return undefined;
  try {
    if (text.includes('__proto__') || text.includes('prototype')) return JSON.parse(text, rejectPoison);
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new BadRequestException({ detail: `JSON parse error - ${message}` });
  }
}

function rejectPoison(this: unknown, key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('Object contains forbidden prototype property');
  if (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value) {
    throw new SyntaxError('Object contains forbidden prototype property');
  }
  return value;
}

/** application/x-www-form-urlencoded: repeated keys become arrays. */
export function parseFormBody(text: string): Record<string, string | string[]> {
  return { ...parseQueryString(text) } as Record<string, string | string[]>;
}
