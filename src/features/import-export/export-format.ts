import { FEATURE_VALUE_LIMIT } from '../feature-values';
import type { FeatureValueType } from '../feature.entity';

/**
 * Flagsmith's feature export file (features/import_export/types.py FeatureExportData, written by
 * tasks.py _export_features_for_environment): a JSON list, one item per feature, with the environment's default
 * state and its multivariate shares. Names and types are Flagsmith's, so a file moves both ways.
 */
export interface ExportedOption {
  percentage_allocation: number;
  default_percentage_allocation: number;
  value: string | number | boolean | null;
  type: FeatureValueType;
}

export interface ExportedFeature {
  name: string;
  default_enabled: boolean;
  is_server_key_only: boolean;
  initial_value: string | null;
  value: string | number | boolean | null;
  type: FeatureValueType;
  enabled: boolean;
  multivariate: ExportedOption[];
}

/** Flagsmith's MAX_FEATURE_IMPORT_SIZE (bytes of the uploaded file). */
export const MAX_FEATURE_IMPORT_SIZE = 1_000_000;
export const FILE_TOO_LARGE = 'File size is too large.';

const VALUE_TYPES: readonly string[] = ['unicode', 'int', 'bool'];
const NAME_LIMIT = 2000;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

// ---------------------------------------------------------------- rendering

/**
 * The file as Flagsmith's download answers it (DRF's JSONRenderer with Flagsmith's settings): compact separators,
 * non-ASCII escaped (UNICODE_JSON False), U+2028/U+2029 escaped, and the two allocations written as Python floats
 * (`100.0`), since they are FloatFields there.
 */
export function renderExport(features: readonly ExportedFeature[]): string {
  return `[${features.map(renderFeature).join(',')}]`;
}

function renderFeature(f: ExportedFeature): string {
  return (
    `{"name":${text(f.name)},"default_enabled":${String(f.default_enabled)},` +
    `"is_server_key_only":${String(f.is_server_key_only)},"initial_value":${scalar(f.initial_value)},` +
    `"value":${scalar(f.value)},"type":${text(f.type)},"enabled":${String(f.enabled)},` +
    `"multivariate":[${f.multivariate.map(renderOption).join(',')}]}`
  );
}

function renderOption(o: ExportedOption): string {
  return (
    `{"percentage_allocation":${pythonFloat(o.percentage_allocation)},` +
    `"default_percentage_allocation":${pythonFloat(o.default_percentage_allocation)},` +
    `"value":${scalar(o.value)},"type":${text(o.type)}}`
  );
}

/** Python's repr of a float in JSON: an integral value keeps its `.0`. */
export function pythonFloat(n: number): string {
  const json = JSON.stringify(n);
  return Number.isInteger(n) && !/e/i.test(json) ? `${json}.0` : json;
}

function scalar(v: string | number | boolean | null): string {
  return typeof v === 'string' ? text(v) : JSON.stringify(v);
}

/** A JSON string with every character outside ASCII escaped, as Python's json.dumps(ensure_ascii=True). */
function text(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

// ---------------------------------------------------------------- reading an uploaded file

export type FileReading = { ok: true; features: ExportedFeature[] } | { ok: false; problem: string };

/**
 * Reads an uploaded file: UTF-8 JSON in Flagsmith's export format, every field of every item present with its
 * type (Flagsmith's import would fail on the first item that is not). Unknown fields are ignored.
 */
export function readExportFile(content: Buffer): FileReading {
  if (content.length > MAX_FEATURE_IMPORT_SIZE) return { ok: false, problem: FILE_TOO_LARGE };
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(content));
  } catch (err) {
    const reason = err instanceof SyntaxError ? err.message : 'it is not UTF-8 text';
    return { ok: false, problem: `The file is not valid JSON: ${reason}` };
  }
  if (!Array.isArray(json))
    return {
      ok: false,
      problem: 'The file is not a Flagsmith feature export: expected a list of features, one object each.',
    };
  const features: ExportedFeature[] = [];
  for (let i = 0; i < json.length; i++) {
    const item: unknown = json[i];
    const read = readFeature(item);
    if (typeof read === 'string') {
      const name = isObject(item) && typeof item.name === 'string' ? ` ("${item.name.slice(0, 100)}")` : '';
      return { ok: false, problem: `Feature ${i + 1}${name}: ${read}` };
    }
    features.push(read);
  }
  return { ok: true, features };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v);

function field(item: Record<string, unknown>, name: string, expected: string, ok: (v: unknown) => boolean) {
  if (!(name in item)) return `"${name}" is missing.`;
  return ok(item[name]) ? undefined : `"${name}" must be ${expected}, not ${kind(item[name])}.`;
}

const isBool = (v: unknown) => typeof v === 'boolean';
const isType = (v: unknown) => typeof v === 'string' && VALUE_TYPES.includes(v);
const isAllocation = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100;

/** A value matching its type, as Flagsmith stores it (null: no value of that type). */
function valueProblem(value: unknown, type: string, where: string): string | undefined {
  if (value === null) return undefined;
  if (type === 'unicode' && typeof value === 'string')
    return value.length > FEATURE_VALUE_LIMIT
      ? `"${where}" is longer than ${FEATURE_VALUE_LIMIT} characters.`
      : undefined;
  if (
    type === 'int' &&
    Number.isInteger(value) &&
    (value as number) >= INT32_MIN &&
    (value as number) <= INT32_MAX
  )
    return undefined;
  if (type === 'bool' && typeof value === 'boolean') return undefined;
  return `"${where}" must be a value of type "${type}", not ${kind(value)}${type === 'int' && typeof value === 'number' ? ' out of range' : ''}.`;
}

function readFeature(item: unknown): ExportedFeature | string {
  if (!isObject(item)) return `expected an object, not ${kind(item)}.`;
  const problem =
    field(item, 'name', 'a non-empty string', (v) => typeof v === 'string' && v.trim() !== '') ??
    field(item, 'default_enabled', 'a boolean', isBool) ??
    field(item, 'is_server_key_only', 'a boolean', isBool) ??
    field(item, 'initial_value', 'a string or null', (v) => v === null || typeof v === 'string') ??
    field(item, 'type', 'one of "unicode", "int", "bool"', isType) ??
    field(
      item,
      'value',
      'a string, number, boolean or null',
      (v) => v !== undefined && !isObject(v) && !Array.isArray(v),
    ) ??
    field(item, 'enabled', 'a boolean', isBool) ??
    field(item, 'multivariate', 'a list', Array.isArray);
  if (problem) return problem;
  const name = item.name as string;
  if (name.length > NAME_LIMIT) return `"name" is longer than ${NAME_LIMIT} characters.`;
  if (typeof item.initial_value === 'string' && item.initial_value.length > FEATURE_VALUE_LIMIT)
    return `"initial_value" is longer than ${FEATURE_VALUE_LIMIT} characters.`;
  const type = item.type as FeatureValueType;
  const bad = valueProblem(item.value, type, 'value');
  if (bad) return bad;
  const multivariate: ExportedOption[] = [];
  const raw = item.multivariate as unknown[];
  for (let j = 0; j < raw.length; j++) {
    const option = raw[j];
    const where = `multivariate option ${j + 1}`;
    if (!isObject(option)) return `${where}: expected an object, not ${kind(option)}.`;
    const optionProblem =
      field(option, 'percentage_allocation', 'a number from 0 to 100', isAllocation) ??
      field(option, 'default_percentage_allocation', 'a number from 0 to 100', isAllocation) ??
      field(option, 'type', 'one of "unicode", "int", "bool"', isType) ??
      field(
        option,
        'value',
        'a string, number, boolean or null',
        (v) => v !== undefined && !isObject(v) && !Array.isArray(v),
      ) ??
      valueProblem(option.value, option.type as string, 'value');
    if (optionProblem) return `${where}: ${optionProblem}`;
    multivariate.push({
      percentage_allocation: option.percentage_allocation as number,
      default_percentage_allocation: option.default_percentage_allocation as number,
      value: option.value as ExportedOption['value'],
      type: option.type as FeatureValueType,
    });
  }
  const total = multivariate.reduce((sum, o) => sum + o.percentage_allocation, 0);
  if (total > 100 + 1e-9) return 'the multivariate percentage allocations add up to more than 100.';
  return {
    name,
    default_enabled: item.default_enabled as boolean,
    is_server_key_only: item.is_server_key_only as boolean,
    initial_value: item.initial_value as string | null,
    value: item.value as ExportedFeature['value'],
    type,
    enabled: item.enabled as boolean,
    multivariate,
  };
}
