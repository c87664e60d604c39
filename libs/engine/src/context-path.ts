/**
 * Context values for condition properties (docs/contracts/engine.md §4, node-engine semantics).
 *
 * A property starting with `$.` is a JSONPath into the (enriched) evaluation context. We support the
 * subset that names a single value — member names in dot notation (`$.identity.identifier`), quoted
 * bracket notation (`$['identity']["key"]`) and numeric indices (`[0]`) — and resolve it the way
 * jsonpath-plus does for such paths: each step follows an *own* property of a truthy value (so string
 * indices and `.length` work, inherited members don't). Paths outside that subset (wildcards, recursive
 * descent, filters, unions, slices, special characters in dot names) resolve to nothing.
 */
import type { IdentityContext, TraitValue, Traits } from './types';

/** The identity as the engine sees it after enrichment: hashing key always present, traits never null. */
export interface EnrichedIdentity {
  readonly identifier: string;
  readonly key: string;
  readonly traits: Traits;
}

/** What a compiled condition reads from. */
export interface Scope {
  readonly identity: EnrichedIdentity;
  /** The evaluation context; its `identity` member is shadowed by `identity` above. */
  readonly root: object;
}

/** A compiled path: the list of member names after `$`, or null when the path is not supported. */
export type ContextPath = readonly string[] | null;

/** Member names made of letters, digits, `_`, `-` and spaces (in brackets also single dots). */
const DOT_NAME = /^[\p{L}\p{N}_\- ]+/u;
const BRACKET_NAME = /^\[(?:'((?:[\p{L}\p{N}_\- ]|\.(?!\.))*)'|"((?:[\p{L}\p{N}_\- ]|\.(?!\.))*)"|(\d+))\]/u;
const CANONICAL_INDEX = /^(?:0|[1-9]\d*)$/;

const pathCache = new Map<string, ContextPath>();
const PATH_CACHE_LIMIT = 10_000;

function parsePath(path: string): ContextPath {
  if (!path.startsWith('$')) return null;
  const names: string[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    if (rest === '.') break; // a trailing dot is ignored
    if (rest.startsWith('.')) {
      const match = DOT_NAME.exec(rest.slice(1));
      if (!match) return null;
      names.push(match[0]);
      rest = rest.slice(1 + match[0].length);
    } else if (rest.startsWith('[')) {
      const match = BRACKET_NAME.exec(rest);
      if (!match) return null;
      names.push(match[1] ?? match[2] ?? match[3]);
      rest = rest.slice(match[0].length);
    } else {
      return null;
    }
  }
  return names;
}

/** Compiles (and caches) a JSONPath; null when unsupported. */
export function compileContextPath(path: string): ContextPath {
  const cached = pathCache.get(path);
  if (cached !== undefined) return cached;
  const compiled = parsePath(path);
  if (pathCache.size >= PATH_CACHE_LIMIT) pathCache.clear();
  pathCache.set(path, compiled);
  return compiled;
}

const MISSING: unique symbol = Symbol('missing');

/** The own member `name` of a truthy value (jsonpath-plus semantics), or MISSING. */
function ownMember(value: unknown, name: string): unknown {
  if (!value) return MISSING;
  if (typeof value === 'object') {
    return Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : MISSING;
  }
  if (typeof value === 'string') {
    if (name === 'length') return value.length;
    if (CANONICAL_INDEX.test(name)) {
      const index = Number(name);
      return index < value.length ? value[index] : MISSING;
    }
  }
  return MISSING;
}

/** Value at a compiled path, or undefined when it does not exist or the path is unsupported. */
export function resolveContextPath(path: ContextPath, scope: Scope): unknown {
  if (path === null) return undefined;
  if (path.length === 2 && path[0] === 'identity') {
    // The enriched identity is a plain object with own `identifier`, `key` and `traits`.
    if (path[1] === 'identifier') return scope.identity.identifier;
    if (path[1] === 'key') return scope.identity.key;
  }
  let value: unknown = { ...scope.root, identity: scope.identity };
  if (path.length > 0) {
    value = path[0] === 'identity' ? scope.identity : ownMember(scope.root, path[0]);
    for (let i = 1; i < path.length && value !== MISSING; i++) value = ownMember(value, path[i]);
  }
  return value === MISSING ? undefined : value;
}

/** Own-property trait lookup (inherited names such as `toString` are never traits). */
export function traitValue(traits: Traits, name: string): TraitValue | undefined {
  const value = traits[name];
  // Object.prototype only provides functions and objects, so primitives read here are own values.
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return value;
  return Object.hasOwn(traits, name) ? value : undefined;
}

const TRAIT_DOT_PATH = /^\$\.identity\.traits\.(.+)$/;
const TRAIT_BRACKET_PATH = /^\$\.identity\.traits\['(.+)'\]$/;

/** Primitive context value or trait. Objects/arrays from JSONPath fall back to a trait named like the path. */
export type ValueGetter = (scope: Scope) => unknown;

/**
 * Getter for a condition property (docs/contracts/engine.md §4 JS `getTraitValue`):
 * `$.identity.traits.<name>` / `$.identity.traits['<name>']` read the trait directly; other `$.` paths
 * are resolved in the context, falling back to a trait literally named like the path when the result
 * is missing or not a primitive; anything else is a trait name.
 */
export function compileValueGetter(property: string): ValueGetter {
  if (property.startsWith('$.')) {
    const traitName = TRAIT_DOT_PATH.exec(property)?.[1] ?? TRAIT_BRACKET_PATH.exec(property)?.[1];
    if (traitName !== undefined) return (scope) => traitValue(scope.identity.traits, traitName);
    const path = compileContextPath(property);
    if (path === null) return (scope) => traitValue(scope.identity.traits, property);
    return (scope) => {
      const value = resolveContextPath(path, scope);
      if (value !== undefined && (value === null || typeof value !== 'object')) return value;
      return traitValue(scope.identity.traits, property);
    };
  }
  return (scope) => traitValue(scope.identity.traits, property);
}

/** Builds the enriched identity (docs/contracts/engine.md §3 step 1). */
export function enrichIdentity(identity: IdentityContext, environmentKey: string): EnrichedIdentity {
  return {
    identifier: identity.identifier,
    key: identity.key || `${environmentKey}_${identity.identifier}`,
    traits: identity.traits || {},
  };
}
