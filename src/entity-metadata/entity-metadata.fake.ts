import type { EntityManager } from 'typeorm';
import {
  EntityMetadata,
  type MetadataModel,
  type MetadataOwner,
  type MetadataValueInput,
  type MetadataValueJson,
} from './entity-metadata';

/** EntityMetadata in memory for service specs: stores what it is given, checks nothing. */
export class FakeEntityMetadata extends EntityMetadata {
  readonly stored = new Map<string, MetadataValueJson[]>();
  private nextId = 1;

  valuesOf(model: MetadataModel, ids: readonly number[]): Promise<Map<number, MetadataValueJson[]>> {
    const byObject = new Map<number, MetadataValueJson[]>();
    for (const id of ids) {
      const values = this.stored.get(`${model}:${id}`);
      if (values) byObject.set(id, values);
    }
    return Promise.resolve(byObject);
  }

  replace(
    _manager: EntityManager,
    owner: MetadataOwner,
    values: readonly MetadataValueInput[],
  ): Promise<MetadataValueJson[]> {
    const json = values.map((v) => ({
      id: this.nextId++,
      model_field: v.model_field,
      field_value: v.field_value,
    }));
    this.stored.set(`${owner.model}:${owner.id}`, json);
    return Promise.resolve(json);
  }

  remove(_manager: EntityManager, model: MetadataModel, ids: readonly number[]): Promise<void> {
    for (const id of ids) this.stored.delete(`${model}:${id}`);
    return Promise.resolve();
  }
}
