import {
  ArrayContains,
  Between,
  DataSource,
  FindOptionsWhere,
  ILike,
  In,
  LessThanOrEqual,
  MoreThanOrEqual,
  ObjectLiteral,
  Repository,
} from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { BaseRecord, Filter, FilterElement, ParamsType, PropertyType } from 'adminjs' with {
  'resolution-mode': 'import',
};
import { Principal } from '../auth/principal';
import { escapeLike } from '../common/pagination';
import { ActionContext, AdminJSModule, flatHelpers } from './adminjs';
import { AdminWriteError, AdminWriter, Values, WritePolicy } from './admin-writer';

/** How one entity appears in the panel. */
export interface EntityResourceSpec<E extends ObjectLiteral> {
  readonly policy: WritePolicy<E>;
  /** Never sent to the browser. */
  readonly hidden?: readonly string[];
  /** Shown shortened (`abcd…`), never editable. */
  readonly masked?: readonly string[];
  /** Columns the panel cannot change. */
  readonly readOnly?: readonly string[];
  /** Choices for varchar "enum" columns. */
  readonly choices?: Readonly<Record<string, readonly string[]>>;
  /** False = list/show only (no new/edit/delete). */
  readonly writable?: boolean;
}

export type PrincipalResolver = (context: ActionContext | undefined) => Promise<Principal>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `ser.AbCdEf…` / `AbCd…`: enough to recognise a key, never enough to use it. */
export function maskSecret(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const keep = value.startsWith('ser.') ? 8 : 4;
  return value.length <= keep ? '…' : `${value.slice(0, keep)}…`;
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

function propertyType(column: ColumnMetadata, isReference: boolean): PropertyType {
  if (isReference) return 'reference';
  const type = typeof column.type === 'string' ? column.type : column.type.name.toLowerCase();
  if (['integer', 'int', 'int4', 'bigint', 'smallint', 'number'].includes(type)) return 'number';
  if (['double precision', 'float', 'real', 'numeric', 'decimal'].includes(type)) return 'float';
  if (['boolean', 'bool'].includes(type)) return 'boolean';
  if (type.startsWith('timestamp') || type === 'date' || type === 'datetime') return 'datetime';
  if (type === 'text' || type === 'jsonb' || type === 'json') return 'textarea';
  return 'string';
}

/**
 * Builds the panel's resource class on AdminJS's BaseResource (loaded at runtime: AdminJS is ESM-only). Reads go
 * straight to TypeORM (case-insensitive search, typed filters, masked secrets); every write goes to AdminWriter.
 */
export function entityResourceClass(adminjs: AdminJSModule) {
  const { BaseResource, BaseProperty, BaseRecord: Record_, ValidationError } = adminjs;
  const flat = flatHelpers(adminjs);

  class ColumnProperty extends BaseProperty {
    constructor(
      readonly column: ColumnMetadata,
      private readonly options: {
        type: PropertyType;
        reference: string | null;
        editable: boolean;
        choices: readonly string[] | null;
        position: number;
      },
    ) {
      super({
        path: column.propertyName,
        type: options.type,
        isId: column.isPrimary,
        isSortable: options.type !== 'textarea',
        position: options.position,
      });
    }
    override reference(): string | null {
      return this.options.reference;
    }
    override isEditable(): boolean {
      return this.options.editable;
    }
    override availableValues(): string[] | null {
      return this.options.choices ? [...this.options.choices] : null;
    }
    override isArray(): boolean {
      return this.column.isArray;
    }
    override isRequired(): boolean {
      return (
        this.options.editable &&
        !this.column.isNullable &&
        this.column.default === undefined &&
        !this.column.isArray &&
        this.options.type !== 'boolean'
      );
    }
  }

  return class EntityResource<E extends ObjectLiteral> extends BaseResource {
    private readonly repo: Repository<E>;
    private readonly props: ColumnProperty[];
    private readonly hidden: Set<string>;
    private readonly masked: Set<string>;

    constructor(
      private readonly dataSource: DataSource,
      private readonly spec: EntityResourceSpec<E>,
      private readonly writer: AdminWriter,
      private readonly principalOf: PrincipalResolver,
      /** Entity names that are panel resources: links to anything else show as plain ids. */
      registered: ReadonlySet<string>,
    ) {
      super(spec.policy.entity);
      this.repo = dataSource.getRepository(spec.policy.entity);
      this.hidden = new Set(spec.hidden ?? []);
      this.masked = new Set(spec.masked ?? []);
      const metadata = this.repo.metadata;
      const references = new Map<string, string>();
      for (const relation of metadata.manyToOneRelations) {
        if (!registered.has(relation.inverseEntityMetadata.name)) continue;
        for (const join of relation.joinColumns)
          references.set(join.databaseName, relation.inverseEntityMetadata.name);
      }
      const readOnly = new Set(spec.readOnly ?? []);
      const seen = new Set<string>();
      this.props = [];
      metadata.columns.forEach((column, index) => {
        const path = column.propertyName;
        if (this.hidden.has(path) || seen.has(path) || column.relationMetadata?.isManyToMany) return;
        seen.add(path);
        const reference = references.get(column.databaseName) ?? null;
        this.props.push(
          new ColumnProperty(column, {
            type: propertyType(column, reference !== null),
            reference,
            editable:
              spec.writable !== false &&
              !column.isGenerated &&
              !column.isCreateDate &&
              !column.isUpdateDate &&
              !column.isDeleteDate &&
              !this.masked.has(path) &&
              !readOnly.has(path) &&
              path !== 'uuid',
            choices: spec.choices?.[path] ?? null,
            position: index,
          }),
        );
      });
    }

    override databaseName(): string {
      return 'flagport';
    }
    override databaseType(): string {
      return 'postgresql';
    }
    override id(): string {
      return this.repo.metadata.name;
    }
    override properties(): ColumnProperty[] {
      return this.props;
    }
    override property(path: string): ColumnProperty | null {
      return this.props.find((p) => p.path() === path) ?? null;
    }

    override async count(filter: Filter): Promise<number> {
      const where = this.where(filter);
      return where === null ? 0 : this.repo.count({ where });
    }

    override async find(
      filter: Filter,
      options: { limit?: number; offset?: number; sort?: { sortBy?: string; direction?: 'asc' | 'desc' } },
    ): Promise<BaseRecord[]> {
      const where = this.where(filter);
      if (where === null) return [];
      const sortBy = options.sort?.sortBy;
      const order = sortBy && this.property(sortBy)?.isSortable() ? sortBy : 'id';
      const rows = await this.repo.find({
        where,
        take: Math.min(options.limit ?? 10, 500),
        skip: options.offset ?? 0,
        order: { [order]: options.sort?.direction === 'asc' ? 'ASC' : 'DESC' } as never,
      });
      return rows.map((row) => this.record(row));
    }

    override async findOne(id: string): Promise<BaseRecord | null> {
      const key = Number(id);
      if (!Number.isInteger(key)) return null;
      const row = await this.repo.findOneBy({ id: key } as unknown as FindOptionsWhere<E>);
      return row ? this.record(row) : null;
    }

    override async findMany(ids: Array<string | number>): Promise<BaseRecord[]> {
      const keys = ids.map(Number).filter(Number.isInteger);
      if (!keys.length) return [];
      const rows = await this.repo.findBy({ id: In(keys) } as unknown as FindOptionsWhere<E>);
      return rows.map((row) => this.record(row));
    }

    override async create(params: Record<string, unknown>, context?: ActionContext): Promise<ParamsType> {
      this.assertWritable();
      const principal = await this.principalOf(context);
      const saved = await this.guard(() =>
        this.writer.create(this.spec.policy, principal, this.values(params)),
      );
      return this.params(saved);
    }

    override async update(
      id: string,
      params: Record<string, unknown>,
      context?: ActionContext,
    ): Promise<ParamsType> {
      this.assertWritable();
      const principal = await this.principalOf(context);
      const saved = await this.guard(() =>
        this.writer.update(this.spec.policy, principal, Number(id), this.values(params)),
      );
      return this.params(saved);
    }

    override async delete(id: string, context?: ActionContext): Promise<void> {
      this.assertWritable();
      const principal = await this.principalOf(context);
      await this.guard(() => this.writer.remove(this.spec.policy, principal, Number(id)));
    }

    private assertWritable(): void {
      if (this.spec.writable === false)
        throw new ValidationError({}, { message: 'This resource is read-only.' });
    }

    private async guard<T>(work: () => Promise<T>): Promise<T> {
      try {
        return await work();
      } catch (err) {
        if (err instanceof AdminWriteError) {
          const errors = Object.fromEntries(
            Object.entries(err.fieldErrors).map(([path, message]) => [path, { message, type: 'invalid' }]),
          );
          // AdminJS reports a create or edit without property errors as a success: a refusal that names no
          // field still needs one entry (shown in the form's notice, under no input).
          if (!Object.keys(errors).length)
            errors.non_field_errors = { message: err.message, type: 'invalid' };
          throw new ValidationError(errors, { message: err.message });
        }
        throw err;
      }
    }

    /** Form params (flattened, strings) → typed values of the editable columns that were sent. */
    private values(params: Record<string, unknown>): Values {
      const input = flat.unflatten(params);
      const values: Values = {};
      for (const property of this.props) {
        const path = property.path();
        if (!property.isEditable() || !(path in input)) continue;
        values[path] = this.convert(property, input[path]);
      }
      return values;
    }

    private convert(property: ColumnProperty, raw: unknown): unknown {
      if (property.isArray()) {
        const list = Array.isArray(raw) ? raw : raw === undefined || raw === null || raw === '' ? [] : [raw];
        return list.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
      }
      const nullable = property.column.isNullable;
      if (raw === undefined || raw === null || (raw === '' && property.type() !== 'string'))
        return nullable ? null : raw === '' ? undefined : raw;
      switch (property.type()) {
        case 'number':
        case 'reference':
        case 'float': {
          const n = typeof raw === 'number' ? raw : Number(asText(raw).trim());
          return Number.isFinite(n) ? n : raw;
        }
        case 'boolean':
          return raw === true || raw === 'true' || raw === '1' || raw === 'on';
        case 'datetime': {
          const date = raw instanceof Date ? raw : new Date(asText(raw));
          return Number.isNaN(date.getTime()) ? raw : date;
        }
        default:
          return asText(raw);
      }
    }

    private params(row: E): ParamsType {
      const out: ParamsType = {};
      for (const property of this.props) {
        const path = property.path();
        const value: unknown = (row as Record<string, unknown>)[path];
        if (this.masked.has(path)) out[path] = maskSecret(value);
        else if (
          value !== null &&
          typeof value === 'object' &&
          !(value instanceof Date) &&
          !Array.isArray(value)
        )
          out[path] = JSON.stringify(value, null, 2);
        else out[path] = value;
      }
      return flat.flatten(out);
    }

    private record(row: E): BaseRecord {
      return new Record_(this.params(row), this);
    }

    /** AdminJS filters → TypeORM where; null = a filter value that can match nothing. */
    private where(filter: Filter | undefined): FindOptionsWhere<E> | null {
      const where: Record<string, unknown> = {};
      for (const element of Object.values<FilterElement>(filter?.filters ?? {})) {
        const property = this.property(element.path);
        if (!property) continue;
        const value = element.value;
        if (typeof value === 'object' && value !== null) {
          const from = value.from ? new Date(value.from) : undefined;
          const to = value.to ? new Date(value.to) : undefined;
          if (from && to) where[element.path] = Between(from, to);
          else if (from) where[element.path] = MoreThanOrEqual(from);
          else if (to) where[element.path] = LessThanOrEqual(to);
          continue;
        }
        const text = String(value).trim();
        if (property.isArray()) {
          where[element.path] = ArrayContains([text.toUpperCase()]);
          continue;
        }
        switch (property.type()) {
          case 'number':
          case 'reference':
          case 'float': {
            const n = Number(text);
            if (!Number.isFinite(n)) return null;
            where[element.path] = n;
            break;
          }
          case 'boolean':
            where[element.path] = text === 'true';
            break;
          default:
            if (property.column.type === 'uuid') {
              if (!UUID.test(text)) return null;
              where[element.path] = text;
            } else if (property.availableValues()) where[element.path] = text;
            else if (!this.masked.has(element.path)) where[element.path] = ILike(`%${escapeLike(text)}%`);
        }
      }
      return where as FindOptionsWhere<E>;
    }
  };
}

export type EntityResourceClass = ReturnType<typeof entityResourceClass>;
