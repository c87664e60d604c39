/** One query-string parameter as a string (the last one when repeated); undefined when absent. */
export function queryString(query: Record<string, unknown>, key: string): string | undefined {
  const value = query[key];
  const last: unknown = Array.isArray(value) ? value[value.length - 1] : value;
  if (last === undefined || last === null) return undefined;
  return typeof last === 'string' ? last : JSON.stringify(last);
}
