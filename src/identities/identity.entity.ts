import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
} from 'typeorm';
import { newUuid, TIMESTAMP } from '../common/entity-helpers';
import type { Environment } from '../environments/environment.entity';

export type TraitValueType = 'unicode' | 'int' | 'float' | 'bool';

/** An identity of an environment; (environment, identifier) is unique and is the SDK hot-path lookup. */
@Entity({ name: 'identities' })
@Index('UQ_identities_env_identifier', ['environmentId', 'identifier'], { unique: true })
export class Identity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ type: 'varchar', length: 2000 })
  identifier!: string;

  @Column({ name: 'environment_id', type: 'integer' })
  environmentId!: number;

  @ManyToOne('Environment', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'environment_id' })
  environment!: Relation<Environment>;

  @CreateDateColumn({ name: 'created_date', type: TIMESTAMP })
  createdDate!: Date;
}

/** A stored trait; exactly one typed value column is used, per `value_type`. */
@Entity({ name: 'traits' })
@Index('UQ_traits_identity_key', ['identityId', 'traitKey'], { unique: true })
export class Trait {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'identity_id', type: 'integer' })
  identityId!: number;

  @ManyToOne(() => Identity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'identity_id' })
  identity!: Relation<Identity>;

  @Column({ name: 'trait_key', type: 'varchar', length: 200 })
  traitKey!: string;

  @Column({ name: 'value_type', type: 'varchar', length: 10, default: 'unicode' })
  valueType!: TraitValueType;

  @Column({ name: 'string_value', type: 'varchar', length: 2000, nullable: true })
  stringValue!: string | null;

  /** bigint so epoch-millisecond traits fit; read back as a JS number. */
  @Column({
    name: 'integer_value',
    type: 'bigint',
    nullable: true,
    transformer: {
      to: (value: number | null | undefined) => value,
      from: (value: string | null) => (value === null ? null : Number(value)),
    },
  })
  integerValue!: number | null;

  @Column({ name: 'float_value', type: 'double precision', nullable: true })
  floatValue!: number | null;

  @Column({ name: 'boolean_value', type: 'boolean', nullable: true })
  booleanValue!: boolean | null;

  @CreateDateColumn({ name: 'created_date', type: TIMESTAMP })
  createdDate!: Date;
}
