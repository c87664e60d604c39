import { BadRequestException } from '@nestjs/common';

/**
 * A small reader for JSON bodies that collects DRF-style field errors and never lets a wrong type through:
 *
 *   const v = new BodyReader(body);
 *   const name = v.string('name', { maxLength: 2000 });          // required
 *   const description = v.string('description', { optional: true, nullable: true });
 *   const hide = v.boolean('hide_disabled_flags', { optional: true });
 *   v.assertValid();                                             // throws 400 {"name": ["This field is required."]}
 *
 * Optional fields that are absent come back as `undefined`, so PATCH handlers can apply only what was sent.
 * `partial: true` (PATCH) makes every field optional.
 */
export type FieldErrors = Record<string, string[]>;

interface Common {
  optional?: boolean;
  nullable?: boolean;
}
interface StringOptions extends Common {
  maxLength?: number;
  allowBlank?: boolean;
  trim?: boolean;
}
interface IntOptions extends Common {
  min?: number;
  max?: number;
}

export const MESSAGES = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  string: 'Not a valid string.',
  boolean: 'Must be a valid boolean.',
  integer: 'A valid integer is required.',
  number: 'A valid number is required.',
  email: 'Enter a valid email address.',
  datetime:
    'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
  minValue: (n: number) => `Ensure this value is greater than or equal to ${n}.`,
  maxValue: (n: number) => `Ensure this value is less than or equal to ${n}.`,
  choice: (v: unknown) => `"${String(v)}" is not a valid choice.`,
  list: (v: unknown) => `Expected a list of items but got type "${pythonType(v)}".`,
  object: (v: unknown) => `Invalid data. Expected a dictionary, but got ${pythonType(v)}.`,
} as const;

/** The Python type name DRF's messages use for a JSON value. */
export function pythonType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  switch (typeof v) {
    case 'string':
      return 'str';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'boolean':
      return 'bool';
    default:
      return 'dict';
  }
}

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** The values DRF's BooleanField reads as true / false. */
export const TRUE_WORDS = new Set([true, 'true', 'True', 'TRUE', '1', 1, 'on', 'yes']);
export const FALSE_WORDS = new Set([false, 'false', 'False', 'FALSE', '0', 0, 'off', 'no']);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class BodyReader {
  readonly errors: FieldErrors = {};
  private readonly body: Record<string, unknown>;

  constructor(
    body: unknown,
    private readonly options: { partial?: boolean } = {},
  ) {
    if (body === undefined || body === null || body === '') {
      this.body = {};
    } else if (isPlainObject(body)) {
      this.body = body;
    } else {
      this.body = {};
      this.errors.non_field_errors = [MESSAGES.object(body)];
    }
  }

  has(field: string): boolean {
    return this.body[field] !== undefined;
  }

  raw(field: string): unknown {
    return this.body[field];
  }

  error(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }

  /** Common presence handling: returns [done, value] where done means "return value as is". */
  private presence<T>(field: string, o: Common): [true, T | null | undefined] | [false, unknown] {
    const value = this.body[field];
    if (value === undefined) {
      if (!o.optional && !this.options.partial) this.error(field, MESSAGES.required);
      return [true, undefined];
    }
    if (value === null) {
      if (!o.nullable) this.error(field, MESSAGES.null);
      return [true, o.nullable ? null : undefined];
    }
    return [false, value];
  }

  string(field: string, o: StringOptions & { nullable: true }): string | null | undefined;
  string(field: string, o?: StringOptions): string | undefined;
  string(field: string, o: StringOptions = {}): string | null | undefined {
    const [done, value] = this.presence<string>(field, o);
    if (done) return value;
    if (typeof value !== 'string' && typeof value !== 'number') {
      this.error(field, MESSAGES.string);
      return undefined;
    }
    let text = String(value);
    if (o.trim !== false) text = text.trim();
    if (text === '' && !o.allowBlank) {
      if (o.nullable) return null;
      this.error(field, MESSAGES.blank);
      return undefined;
    }
    if (o.maxLength !== undefined && text.length > o.maxLength) {
      this.error(field, MESSAGES.maxLength(o.maxLength));
      return undefined;
    }
    return text;
  }

  email(field: string, o: Common = {}): string | undefined {
    const text = this.string(field, { ...o, maxLength: 254 });
    if (typeof text !== 'string') return undefined;
    if (!EMAIL.test(text)) {
      this.error(field, MESSAGES.email);
      return undefined;
    }
    return text;
  }

  boolean(field: string, o: Common & { nullable: true }): boolean | null | undefined;
  boolean(field: string, o?: Common): boolean | undefined;
  boolean(field: string, o: Common = {}): boolean | null | undefined {
    const [done, value] = this.presence<boolean>(field, o);
    if (done) return value;
    if (TRUE_WORDS.has(value as never)) return true;
    if (FALSE_WORDS.has(value as never)) return false;
    this.error(field, MESSAGES.boolean);
    return undefined;
  }

  integer(field: string, o: IntOptions & { nullable: true }): number | null | undefined;
  integer(field: string, o?: IntOptions): number | undefined;
  integer(field: string, o: IntOptions = {}): number | null | undefined {
    const [done, value] = this.presence<number>(field, o);
    if (done) return value;
    const n = toInteger(value);
    if (n === undefined) {
      this.error(field, MESSAGES.integer);
      return undefined;
    }
    const min = o.min ?? -2147483648;
    const max = o.max ?? 2147483647;
    if (n < min) return void this.error(field, MESSAGES.minValue(min));
    if (n > max) return void this.error(field, MESSAGES.maxValue(max));
    return n;
  }

  choice<T extends string>(field: string, choices: readonly T[], o: Common = {}): T | undefined {
    const [done, value] = this.presence<T>(field, o);
    if (done) return value ?? undefined;
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    this.error(field, MESSAGES.choice(typeof value === 'object' ? JSON.stringify(value) : value));
    return undefined;
  }

  datetime(field: string, o: Common & { nullable: true }): Date | null | undefined;
  datetime(field: string, o?: Common): Date | undefined;
  datetime(field: string, o: Common = {}): Date | null | undefined {
    const [done, value] = this.presence<Date>(field, o);
    if (done) return value;
    if (
      typeof value !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}(T|\s|$)/.test(value) ||
      Number.isNaN(Date.parse(value))
    ) {
      this.error(field, MESSAGES.datetime);
      return undefined;
    }
    return new Date(value);
  }

  /** A list of primary keys (integers). */
  integerList(field: string, o: Common = {}): number[] | undefined {
    const [done, value] = this.presence<number[]>(field, o);
    if (done) return value ?? undefined;
    if (!Array.isArray(value)) {
      this.error(field, MESSAGES.list(value));
      return undefined;
    }
    const out: number[] = [];
    for (const item of value) {
      const n = toInteger(isPlainObject(item) ? item.id : item);
      if (n === undefined) {
        this.error(field, `Incorrect type. Expected pk value, received ${pythonType(item)}.`);
        return undefined;
      }
      out.push(n);
    }
    return out;
  }

  stringList(field: string, o: Common & { choices?: readonly string[] } = {}): string[] | undefined {
    const [done, value] = this.presence<string[]>(field, o);
    if (done) return value ?? undefined;
    if (!Array.isArray(value)) {
      this.error(field, MESSAGES.list(value));
      return undefined;
    }
    for (const item of value) {
      if (typeof item !== 'string') {
        this.error(field, MESSAGES.string);
        return undefined;
      }
      if (o.choices && !o.choices.includes(item)) {
        this.error(field, MESSAGES.choice(item));
        return undefined;
      }
    }
    return value as string[];
  }

  get valid(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  /** Throws 400 with the collected field errors, if any. */
  assertValid(): void {
    if (!this.valid) throw new BadRequestException(this.errors);
  }
}

/** An integer from a JSON number or a decimal string; anything else → undefined. */
export function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** A path/query id: a positive int32, else undefined (callers answer 404 or 400). */
export function parseId(value: unknown): number | undefined {
  const n = toInteger(value);
  return n !== undefined && n > 0 && n <= 2147483647 ? n : undefined;
}
