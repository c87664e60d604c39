import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

/**
 * Folders import one way. Builds the import graph of src/ by folder (the first directory under src/; files directly
 * in src/ are the composition root, "(root)") from every import, export-from and dynamic import() of the non-test
 * files, and checks:
 *  (a) no two folders import each other, and no new folder joins an import cycle through several folders;
 *  (b) src/config imports nothing of the app outside src/config;
 *  (c) nothing outside libs/engine reaches past libs/engine/src/index.ts.
 *
 * Only runtime imports count for (a): `import type`, `export type` and imports whose names are all `type` are
 * erased by the compiler and cannot create a load-order cycle. (b) and (c) count type imports too: they are about
 * what a folder may know, not about load order.
 *
 * The known pairs and the folders in cycles are a ratchet: the test fails when a new one appears and when a listed
 * one no longer exists (then delete it from the list). Both lists are empty; keep them so.
 *
 * The order, lowest first (a folder imports at run time only folders before it):
 *   config < logging, metrics, cache, usage, changes < common < database < telemetry < http < throttling < email
 *   < auth < permissions < features < segments < identities < environments < projects < organisations < audit
 *   < users (accounts, first run) < oauth < health, telemetry-receiver, sdk, realtime, ofrep, openapi, admin
 *   < (root: AppModule, CoreModule, the entity list src/entities.ts).
 * A container's folder sits above its contents' (an organisation lists its projects, a project its environments, an
 * environment seeds its feature states). How a lower folder refers to a higher one:
 *  - an entity relation names the entity (`@ManyToOne('Project', ...)`, `getRepository<Project>('Project')`) and
 *    imports its type only; src/entities.ts registers every entity with the DataSource, so names resolve;
 *  - a service of a higher folder is injected by a token declared in the lower one and bound in CoreModule
 *    (e.g. AUDIT_LOG, ENVIRONMENT_CHANGES in common/unit-of-work.ts, IDENTITY_SEGMENT_MATCHER in segments);
 *  - Nest's forwardRef is no way out: it is still a runtime import.
 */

const REPO = resolve(__dirname, '..');
const SRC = join(REPO, 'src');
const ENGINE_SRC = join(REPO, 'libs', 'engine', 'src');

/** Folder pairs that still import each other (runtime imports), alphabetical within and between pairs. */
const KNOWN_MUTUAL_PAIRS: readonly string[] = [];

/** Folders on some import cycle (of any length) today: none; keep it so. */
const KNOWN_FOLDERS_IN_CYCLES: readonly string[] = [];

interface ImportEdge {
  from: string; // file, relative to the repository
  to: string; // the imported file (absolute; `x/index.ts` for a folder)
  specifier: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')
      ? [path]
      : [];
  });
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // `import './x'` runs x
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0
    ? bindings.elements.every((e) => e.isTypeOnly)
    : false;
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return !!clause && ts.isNamedExports(clause) && clause.elements.length > 0
    ? clause.elements.every((e) => e.isTypeOnly)
    : false;
}

/** `../config` → `src/config/index.ts`, `./x` → `x.ts` (or what was written, when neither exists). */
function resolveFile(path: string): string {
  for (const candidate of [`${path}.ts`, join(path, 'index.ts')]) if (existsSync(candidate)) return candidate;
  return path;
}

/** The relative imports of a file (packages are not the app's folders). */
function importsOf(file: string): ImportEdge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (!specifier.startsWith('.')) return;
    edges.push({
      from: relative(REPO, file),
      to: resolveFile(resolve(dirname(file), specifier)),
      specifier,
      typeOnly,
    });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier))
      add(node.moduleSpecifier.text, isTypeOnlyImport(node));
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      add(node.moduleSpecifier.text, isTypeOnlyExport(node));
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      add(node.arguments[0].text, false);
    else if (ts.isImportTypeNode(node)) return; // `typeof import('./x')` is a type
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** `src/organisations/x.ts` → `organisations`; `src/main.ts` → `(root)`; outside src → undefined. */
function folderOf(path: string): string | undefined {
  const rel = relative(SRC, path);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  return parts.length === 1 ? '(root)' : parts[0];
}

const files = sourceFiles(SRC);
const edges = files.flatMap(importsOf);

/** from folder → to folder → the import lines that make the edge. */
function folderGraph(runtimeOnly: boolean): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const edge of edges) {
    if (runtimeOnly && edge.typeOnly) continue;
    const from = folderOf(join(REPO, edge.from));
    const to = folderOf(edge.to);
    if (!from || !to || from === to) continue;
    const targets = graph.get(from) ?? new Map<string, string[]>();
    graph.set(from, targets);
    targets.set(to, [...(targets.get(to) ?? []), `${edge.from}: '${edge.specifier}'`]);
  }
  return graph;
}

/** Strongly connected components with more than one folder (Tarjan). */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!indices.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) connect(v);
  return out;
}

describe('architecture: folders import one way', () => {
  const runtime = folderGraph(true);

  it('the scan finds the app (a guard against a silently empty graph)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(runtime.get('projects')?.has('permissions')).toBe(true);
  });

  it('no two folders import each other beyond the known pairs, and every known pair still does', () => {
    const pairs: string[] = [];
    const lines: string[] = [];
    for (const [a, targets] of runtime)
      for (const b of targets.keys()) {
        if (a < b && runtime.get(b)?.has(a)) {
          pairs.push(`${a} <-> ${b}`);
          if (!KNOWN_MUTUAL_PAIRS.includes(`${a} <-> ${b}`))
            lines.push(
              `${a} -> ${b}: ${targets.get(b)!.join(', ')}`,
              `${b} -> ${a}: ${runtime.get(b)!.get(a)!.join(', ')}`,
            );
        }
      }
    pairs.sort();
    // A new pair fails with the imports that make it; a pair that is gone fails until it is struck off the list.
    expect({ pairs, newPairImports: lines }).toEqual({ pairs: [...KNOWN_MUTUAL_PAIRS], newPairImports: [] });
  });

  it('no folder joins an import cycle through several folders beyond the known ones', () => {
    const inCycles = cycles(runtime).flat().sort();
    expect(inCycles).toEqual([...KNOWN_FOLDERS_IN_CYCLES]);
  });

  it('src/config imports nothing of the app outside src/config (type imports included)', () => {
    const outside = edges.filter(
      (e) => e.from.startsWith(`src${sep}config${sep}`) && !e.to.startsWith(join(SRC, 'config') + sep),
    );
    expect(outside.map((e) => `${e.from}: '${e.specifier}'`)).toEqual([]);
  });

  it('nothing outside libs/engine imports past libs/engine/src/index.ts (type imports included)', () => {
    const roots = ['src', 'test', 'bench', 'migrations'].map((d) => join(REPO, d));
    const all = roots.filter((root) => existsSync(root)).flatMap(sourceFilesAll);
    const reaching = all
      .flatMap(importsOf)
      .filter((e) => e.to.startsWith(ENGINE_SRC + sep) && e.to !== join(ENGINE_SRC, 'index.ts'));
    expect(reaching.map((e) => `${e.from}: '${e.specifier}'`)).toEqual([]);
  });
});

/** Every .ts file, tests included (for the engine rule). */
function sourceFilesAll(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFilesAll(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}
