/**
 * Segment condition operators (docs/contracts/engine.md §8, node-engine semantics). Conditions are compiled once
 * into predicates: condition values are parsed, regexes built (RE2, linear time) and IN lists turned into sets
 * up front.
 */
import { RE2JS } from 're2js';
import { compileContextPath, compileValueGetter, resolveContextPath, type Scope } from './context-path';
import { hashedPercentage } from './hashing';
import { compareSemver, parseSemver, parseSemverCached } from './semver';
import { Operator, type ConditionValue, type SegmentCondition } from './types';
import { isList } from './list';

export type Predicate = (scope: Scope) => boolean;

/** Matches a non-null context value. */
type ValueMatcher = (value: string | number | boolean) => boolean;

const never = (): boolean => false;

/** `String(value)` as JavaScript renders a condition value (lists join with `,`). */
function conditionText(value: ConditionValue | undefined): string {
  return String(value);
}

const SEMVER_SUFFIX = ':semver';

/** Tests whether a pattern matches somewhere in a text. */
export type RegexTest = (text: string) => boolean;

const regexCache = new Map<string, RegexTest | null>();
const REGEX_CACHE_LIMIT = 10_000;

/**
 * A REGEX condition value compiled with RE2 syntax and semantics (re2js, a port of RE2): matching is linear in
 * the text, so no pattern can stall the event loop the way a backtracking `new RegExp` does (`^(a+)+$`).
 * Unanchored search, as the node SDK's `new RegExp(cv).test(tv)` and RE2's PartialMatch. Cached; null when RE2
 * cannot compile the pattern (syntax error, backreference, lookaround, repeat count over 1000, `\u` escape...),
 * so such a condition never matches and never throws.
 */
export function compileRegex(source: string): RegexTest | null {
  const cached = regexCache.get(source);
  if (cached !== undefined) return cached;
  let test: RegexTest | null;
  try {
    const pattern = RE2JS.compile(source);
    test = (text) => pattern.test(text);
  } catch {
    test = null;
  }
  if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
  regexCache.set(source, test);
  return test;
}

const JSON_ARRAY_START = /^[ \t\n\r]*\[/;

/** The accepted items of an IN condition: a list, a JSON array (string items only), or CSV items. */
export function inConditionItems(value: ConditionValue | undefined): ReadonlySet<string> {
  if (typeof value !== 'string') return new Set(isList(value) ? value : []);
  let parsed: unknown;
  // Only text starting with `[` (after JSON whitespace) can parse to an array; skip the throwing parse otherwise.
  if (JSON_ARRAY_START.test(value)) {
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
  }
  if (Array.isArray(parsed)) {
    return new Set(parsed.filter((item): item is string => typeof item === 'string'));
  }
  return new Set(value.split(','));
}

function notContainsMatcher(value: ConditionValue | undefined): ValueMatcher {
  if (!value) return never;
  const needle = conditionText(value);
  return (traitValue) => typeof traitValue === 'string' && !traitValue.includes(needle);
}

function regexMatcher(value: ConditionValue | undefined): ValueMatcher {
  if (!value) return never;
  const test = compileRegex(conditionText(value));
  if (test === null) return never;
  return (traitValue) => test(String(traitValue));
}

function moduloMatcher(value: ConditionValue | undefined): ValueMatcher {
  if (!value) return never;
  const parts = conditionText(value).split('|');
  if (parts.length !== 2) return never;
  const divisor = parseFloat(parts[0]);
  const remainder = parseFloat(parts[1]);
  if (Number.isNaN(divisor) || Number.isNaN(remainder) || divisor === 0) return never;
  return (traitValue) => {
    const dividend = parseFloat(String(traitValue));
    return !Number.isNaN(dividend) && dividend % divisor === remainder;
  };
}

function inMatcher(value: ConditionValue | undefined): ValueMatcher {
  if (value === null || value === undefined) return never;
  const items = inConditionItems(value);
  return (traitValue) => !!traitValue && typeof traitValue !== 'boolean' && items.has(String(traitValue));
}

/** JavaScript `text != value` for a string against a primitive (loose equality). */
function looselyDifferent(text: string, value: string | number | boolean): boolean {
  if (typeof value === 'string') return text !== value;
  return Number(text) !== Number(value);
}

function semverMatcher(operator: string, stripped: string): ValueMatcher {
  const order = (predicate: (comparison: number) => boolean): ValueMatcher => {
    const conditionVersion = parseSemver(stripped);
    if (conditionVersion === null) return never;
    return (traitValue) => {
      const version = parseSemverCached(traitValue);
      return version !== null && predicate(compareSemver(version, conditionVersion));
    };
  };
  switch (operator) {
    case Operator.EQUAL:
      return order((c) => c === 0);
    case Operator.GREATER_THAN:
      return order((c) => c > 0);
    case Operator.GREATER_THAN_INCLUSIVE:
      return order((c) => c >= 0);
    case Operator.LESS_THAN:
      return order((c) => c < 0);
    case Operator.LESS_THAN_INCLUSIVE:
      return order((c) => c <= 0);
    case Operator.NOT_EQUAL:
      return (traitValue) => looselyDifferent(stripped, traitValue);
    case Operator.CONTAINS:
      return (traitValue) =>
        typeof traitValue === 'string' && traitValue !== '' && traitValue.includes(stripped);
    default:
      return never;
  }
}

type Comparison = (left: number | string, right: number | string) => boolean;

const COMPARISONS: Readonly<Record<string, Comparison>> = {
  [Operator.EQUAL]: (l, r) => l === r,
  [Operator.NOT_EQUAL]: (l, r) => l !== r,
  [Operator.GREATER_THAN]: (l, r) => l > r,
  [Operator.GREATER_THAN_INCLUSIVE]: (l, r) => l >= r,
  [Operator.LESS_THAN]: (l, r) => l < r,
  [Operator.LESS_THAN_INCLUSIVE]: (l, r) => l <= r,
};

/**
 * Typed comparison: the condition value is cast to the type of the context value (number ⇒ parseFloat,
 * boolean ⇒ anything but "False"/"false" is true, string ⇒ as is), then compared.
 */
function typedMatcher(operator: string, value: ConditionValue | undefined): ValueMatcher {
  const asString = conditionText(value);
  if (operator === Operator.CONTAINS) {
    return (traitValue) =>
      typeof traitValue === 'string' && traitValue !== '' && traitValue.includes(asString);
  }
  if (!Object.hasOwn(COMPARISONS, operator)) return never;
  const compare = COMPARISONS[operator];
  const asNumber = parseFloat(asString);
  const asBoolean = value === 'False' || value === 'false' ? 0 : 1;
  return (traitValue) => {
    switch (typeof traitValue) {
      case 'number':
        return compare(traitValue, asNumber);
      case 'boolean':
        return compare(traitValue ? 1 : 0, asBoolean);
      default:
        return compare(traitValue, asString);
    }
  };
}

function valueMatcher(operator: string, value: ConditionValue | undefined): ValueMatcher {
  switch (operator) {
    case Operator.NOT_CONTAINS:
      return notContainsMatcher(value);
    case Operator.REGEX:
      return regexMatcher(value);
    case Operator.MODULO:
      return moduloMatcher(value);
    case Operator.IN:
      return inMatcher(value);
  }
  if (typeof value === 'string' && value.endsWith(SEMVER_SUFFIX)) {
    return semverMatcher(operator, value.replace(SEMVER_SUFFIX, ''));
  }
  return typedMatcher(operator, value);
}

function percentageSplit(condition: SegmentCondition, segmentKey: string | undefined): Predicate {
  const threshold = parseFloat(conditionText(condition.value));
  // hashedPercentage() is in [0, 100): thresholds outside that range need no hashing.
  const bucket = (splitValue: unknown): boolean =>
    threshold >= 100 || hashedPercentage([segmentKey, splitValue]) <= threshold;
  if (!(threshold >= 0)) return never;
  if (!condition.property) {
    return (scope) => !!scope.identity.key && bucket(scope.identity.key);
  }
  // The split value is read only as a JSONPath (a bare trait name never matches).
  if (!condition.property.startsWith('$.')) return never;
  const path = compileContextPath(condition.property);
  if (path === null) return never;
  return (scope) => {
    const splitValue = resolveContextPath(path, scope);
    return !!splitValue && bucket(splitValue);
  };
}

/** Compiles one condition of the segment with key `segmentKey` (used to hash percentage splits). */
export function compileCondition(condition: SegmentCondition, segmentKey: string | undefined): Predicate {
  const { operator, property } = condition;
  if (operator === Operator.PERCENTAGE_SPLIT) return percentageSplit(condition, segmentKey);
  if (!property) return never;
  const getValue = compileValueGetter(property);
  if (operator === Operator.IS_SET) return (scope) => getValue(scope) != null;
  if (operator === Operator.IS_NOT_SET) return (scope) => getValue(scope) == null;
  const matches = valueMatcher(operator, condition.value);
  if (matches === never) return never;
  return (scope) => {
    const value = getValue(scope);
    return value != null && isPrimitive(value) && matches(value);
  };
}

function isPrimitive(value: unknown): value is string | number | boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}
