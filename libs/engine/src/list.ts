/** `Array.isArray` that keeps the element type (instead of widening it to `any`). */
export function isList<T>(value: readonly T[] | null | undefined): value is readonly T[] {
  return Array.isArray(value);
}
