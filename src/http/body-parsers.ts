import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import { parse as parseQueryString } from 'node:querystring';

/**
 * Body parsing as DRF does it: an empty JSON body is "no data" (not an error), a malformed one is
 * `400 {"detail": "JSON parse error - …"}`; `__proto__` keys and constructor.prototype are refused
 * (prototype poisoning), as Fastify's own parser does. A string PostgreSQL cannot store (a NUL, a lone surrogate)
 * is a 400 naming the field (unsafeTextError), on every route.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0 || text.trim().length === 0) return undefined;
  let body: unknown;
  try {
    body =
      text.includes('__proto__') || text.includes('prototype')
        ? JSON.parse(text, rejectPoison)
        : JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new BadRequestException({ detail: `JSON parse error - ${message}` });
  }
  if (SUSPECT_JSON_ESCAPE.test(text)) {
    const unsafe = unsafeTextError(body);
    if (unsafe) throw unsafe;
  }
  return body;
}

function rejectPoison(this: unknown, key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('Object contains forbidden prototype property');
  if (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value) {
    throw new SyntaxError('Object contains forbidden prototype property');
  }
  return value;
}

/**
 * application/x-www-form-urlencoded: repeated keys become arrays. A NUL (`%00` or raw) is refused as in JSON;
 * invalid UTF-8 decodes to U+FFFD, never to a lone surrogate.
 */
export function parseFormBody(text: string): Record<string, string | string[]> {
  const body = { ...parseQueryString(text) } as Record<string, string | string[]>;
  if (text.includes('%00') || text.includes('\u0000')) {
    const unsafe = unsafeTextError(body);
    if (unsafe) throw unsafe;
  }
  return body;
}

// ---------------------------------------------------------------- text PostgreSQL cannot store

/** DRF's CharField messages (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator). */
export const NULL_CHARACTER_MESSAGE = 'Null characters are not allowed.';
export const surrogateMessage = (codeUnit: number): string =>
  `Surrogate characters are not allowed: U+${codeUnit.toString(16).toUpperCase()}.`;

/**
 * JSON text whose strings may hold a NUL or a lone surrogate once parsed: a `\u0000` escape or any escaped
 * surrogate (pairs too: they are then checked on the parsed value). A raw NUL is not valid JSON, and text
 * decoded from UTF-8 holds no lone surrogate, so one regex pass over the raw body decides whether to look.
 */
const SUSPECT_JSON_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Below this depth a faulty subtree is reported as a whole (no recursion on hostile nesting). */
const MAX_REPORT_DEPTH = 32;

/** Why PostgreSQL could not store this text (NUL: SQLSTATE 22021; a lone surrogate has no UTF-8), if it could not. */
export function unsafeTextProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return NULL_CHARACTER_MESSAGE;
  const lone = LONE_SURROGATE.exec(text);
  return lone === null ? undefined : surrogateMessage(lone[0].charCodeAt(0));
}

/** The first problem of any string or key in a value, without recursion. */
function firstProblemIn(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      const problem = unsafeTextProblem(item);
      if (problem) return problem;
    } else if (Array.isArray(item)) {
      // a loop, not push(...item): spreading a huge list overflows the call stack
      for (const child of item as unknown[]) stack.push(child);
    } else if (item !== null && typeof item === 'object')
      for (const [key, child] of Object.entries(item)) stack.push(key, child);
  }
  return undefined;
}

type Faults = string[] | Record<string, unknown> | unknown[];

const isFieldErrorsObject = (f: unknown): boolean => typeof f === 'object' && f !== null && !Array.isArray(f);

/**
 * The errors of a value's unsafe strings in DRF's shapes: `["message"]` for a string, `{"field": …}` for an
 * object (a bad key is a `non_field_errors` of its object), for a list the ListSerializer shape `[{}, {…}]`
 * when every bad item is an object, else ListField's `{"1": ["message"]}`.
 */
function faultsOf(value: unknown, depth: number): Faults | undefined {
  if (typeof value === 'string') {
    const problem = unsafeTextProblem(value);
    return problem === undefined ? undefined : [problem];
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_REPORT_DEPTH) {
    const problem = firstProblemIn(value);
    return problem === undefined ? undefined : [problem];
  }
  if (Array.isArray(value)) {
    const byIndex: Record<string, unknown> = {};
    let allObjects = true;
    for (let i = 0; i < value.length; i++) {
      const faults = faultsOf(value[i], depth + 1);
      if (faults === undefined) continue;
      byIndex[i] = faults;
      if (!isFieldErrorsObject(faults)) allObjects = false;
    }
    if (Object.keys(byIndex).length === 0) return undefined;
    return allObjects ? value.map((_item, i) => byIndex[i] ?? {}) : byIndex;
  }
  const errors: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const keyProblem = unsafeTextProblem(key);
    if (keyProblem !== undefined) {
      ((errors.non_field_errors as string[] | undefined) ??= []).push(keyProblem);
      continue;
    }
    const faults = faultsOf(child, depth + 1);
    if (faults !== undefined) errors[key] = faults;
  }
  return Object.keys(errors).length === 0 ? undefined : errors;
}

/** Where the first error of an error body is, e.g. `traits.0.trait_value`. */
function firstPath(faults: unknown): string[] {
  const path: string[] = [];
  let here = faults;
  while (typeof here === 'object' && here !== null) {
    const entries = Object.entries(here).filter(
      ([, v]) => !(isFieldErrorsObject(v) && Object.keys(v as object).length === 0),
    );
    if (entries.length === 0 || (Array.isArray(here) && typeof entries[0][1] === 'string')) break;
    path.push(entries[0][0]);
    here = entries[0][1];
  }
  return path;
}

/**
 * A 400 for text PostgreSQL cannot store, in Flagsmith's field-error shape. Its message (what OFREP's error
 * handler shows) names the first field, e.g. `context.targetingKey: Null characters are not allowed.`
 */
export class UnsafeTextError extends HttpException {
  constructor(body: Faults) {
    // HttpException keeps a list body as is (BadRequestException would wrap it in Nest's default body).
    super(body, HttpStatus.BAD_REQUEST);
    const path = firstPath(body);
    const message = messageAt(body, path) ?? NULL_CHARACTER_MESSAGE;
    this.message = path.length > 0 ? `${path.join('.')}: ${message}` : message;
  }
}

function messageAt(body: unknown, path: string[]): string | undefined {
  let here = body as Record<string, unknown> | undefined;
  for (const step of path) here = here?.[step] as Record<string, unknown> | undefined;
  return Array.isArray(here) ? String(here[0]) : undefined;
}

/** The error for a parsed body (or a query, or path parameters) holding text PostgreSQL cannot store, if any. */
export function unsafeTextError(value: unknown): UnsafeTextError | undefined {
  const faults = faultsOf(value, 0);
  if (faults === undefined) return undefined;
  return new UnsafeTextError(
    Array.isArray(faults) && typeof value === 'string' ? { non_field_errors: faults } : faults,
  );
}
