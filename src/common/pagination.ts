import { FastifyRequest } from 'fastify';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { NotFound } from './domain-errors';

/**
 * DRF-style page-number pagination: `?page=N&page_size=M` → `{count, next, previous, results}`.
 * Default page size 10 (max 999); a page past the end → 404 {"detail": "Invalid page."}.
 * `paginate` runs exactly two SQL queries (count + page) however many rows there are:
 *
 *   return paginate(request, repo.createQueryBuilder('p').where(...).orderBy('p.id'), (rows) => rows.map(toJson));
 *
 * The builder needs a deterministic ORDER BY. `serialize` receives the whole page at once so that it can load
 * related data in one batched query rather than one per row. `paginateArray` pages an in-memory list.
 */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 999;

export interface PageRequest {
  readonly page: number;
  readonly pageSize: number;
}

/** A page number past the last page or not a positive integer: DRF's 404 {"detail": "Invalid page."}. */
export class InvalidPage extends NotFound {
  constructor() {
    super('Invalid page.');
  }
}

export function pageRequest(query: unknown): PageRequest {
  const q = (query ?? {}) as Record<string, unknown>;
  const rawPage = q.page;
  const page = rawPage === undefined || rawPage === '' || rawPage === 'last' ? 1 : Number(rawPage);
  if (!Number.isInteger(page) || page < 1) throw new InvalidPage();
  let pageSize = DEFAULT_PAGE_SIZE;
  if (q.page_size !== undefined && q.page_size !== '') {
    const n = Number(q.page_size);
    if (Number.isInteger(n) && n > 0) pageSize = Math.min(n, MAX_PAGE_SIZE);
  }
  return { page, pageSize };
}

/** Absolute URL of this request with `page` replaced (removed for page 1, as DRF does). */
export function pageUrl(request: FastifyRequest, page: number): string {
  const host = request.headers.host ?? 'localhost';
  const url = new URL(request.url, `${request.protocol}://${host}`);
  if (page <= 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.toString();
}

/** The page body for rows a repository read (`count` of all rows, `results` of this page); 404 past the end. */
export function pageOf<T>(request: FastifyRequest, req: PageRequest, count: number, results: T[]): Page<T> {
  return build(request, req, count, results);
}

function build<T>(request: FastifyRequest, req: PageRequest, count: number, results: T[]): Page<T> {
  const lastPage = Math.max(1, Math.ceil(count / req.pageSize));
  if (req.page > lastPage) throw new InvalidPage();
  return {
    count,
    next: req.page < lastPage ? pageUrl(request, req.page + 1) : null,
    previous: req.page > 1 ? pageUrl(request, req.page - 1) : null,
    results,
  };
}

/**
 * One page of a query (which must already have its deterministic ORDER BY) and the count of all its rows: two
 * queries; past the last page, no rows (the caller's pageOf answers 404).
 */
export async function pageOfQuery<E extends ObjectLiteral>(
  query: SelectQueryBuilder<E>,
  page: PageRequest,
): Promise<{ count: number; rows: E[] }> {
  const count = await query.clone().orderBy().getCount();
  if ((page.page - 1) * page.pageSize >= Math.max(count, 1)) return { count, rows: [] };
  const rows = await query
    .skip((page.page - 1) * page.pageSize)
    .take(page.pageSize)
    .getMany();
  return { count, rows };
}

/** `text` for a LIKE/ILIKE pattern with `ESCAPE '\'`: its `%`, `_` and `\` match themselves. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function paginate<E extends ObjectLiteral, T>(
  request: FastifyRequest,
  builder: SelectQueryBuilder<E>,
  serialize: (rows: E[]) => T[] | Promise<T[]>,
): Promise<Page<T>> {
  const req = pageRequest(request.query);
  const count = await builder.clone().orderBy().getCount();
  const lastPage = Math.max(1, Math.ceil(count / req.pageSize));
  if (req.page > lastPage) throw new InvalidPage();
  const rows = await builder
    .skip((req.page - 1) * req.pageSize)
    .take(req.pageSize)
    .getMany();
  return build(request, req, count, await serialize(rows));
}

export function paginateArray<T>(request: FastifyRequest, items: readonly T[]): Page<T> {
  const req = pageRequest(request.query);
  const start = (req.page - 1) * req.pageSize;
  return build(request, req, items.length, items.slice(start, start + req.pageSize));
}
