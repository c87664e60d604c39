import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  JoinTable,
  ManyToMany,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
} from 'typeorm';
import { newUuid, TIMESTAMP } from '../common/entity-helpers';
// Users (accounts, first run) sit above organisations: the User entity is named, its type imported.
import type { User } from '../users/user.entity';

export type OrganisationRole = 'ADMIN' | 'USER';
export const ORGANISATION_ROLES: readonly OrganisationRole[] = ['ADMIN', 'USER'];

@Entity({ name: 'organisations' })
export class Organisation {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'uuid', unique: true })
  uuid: string = newUuid();

  @Column({ type: 'varchar', length: 2000 })
  name!: string;

  @CreateDateColumn({ name: 'created_date', type: TIMESTAMP })
  createdDate!: Date;

  /** Flagsmith-on-Flagsmith targeting key: write-only, set at creation, never changed (Flagsmith: `org.<id>` when unset). */
  @Column({ name: 'targeting_key', type: 'varchar', length: 64, nullable: true })
  targetingKey!: string | null;

  @Column({ name: 'webhook_notification_email', type: 'varchar', length: 254, nullable: true })
  webhookNotificationEmail!: string | null;

  /** New organisations take DEFAULT_ORG_STORE_TRAITS_VALUE (set by the service, not the column default). */
  @Column({ name: 'persist_trait_data', type: 'boolean', default: true })
  persistTraitData!: boolean;

  @Column({ name: 'stop_serving_flags', type: 'boolean', default: false })
  stopServingFlags!: boolean;

  @Column({ name: 'restrict_project_create_to_admin', type: 'boolean', default: false })
  restrictProjectCreateToAdmin!: boolean;

  @Column({ name: 'block_access_to_admin', type: 'boolean', default: false })
  blockAccessToAdmin!: boolean;

  @Column({ name: 'feature_analytics', type: 'boolean', default: false })
  featureAnalytics!: boolean;

  @Column({ name: 'force_2fa', type: 'boolean', default: false })
  force2fa!: boolean;
}

/** A user's membership of an organisation, with their role there. */
@Entity({ name: 'organisation_memberships' })
@Index('UQ_organisation_memberships_user_org', ['userId', 'organisationId'], { unique: true })
export class OrganisationMembership {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: Relation<User>;

  @Column({ name: 'organisation_id', type: 'integer' })
  @Index('IDX_organisation_memberships_org')
  organisationId!: number;

  @ManyToOne(() => Organisation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation!: Relation<Organisation>;

  @Column({ type: 'varchar', length: 50, default: 'USER' })
  role!: OrganisationRole;

  @CreateDateColumn({ name: 'date_joined', type: TIMESTAMP })
  dateJoined!: Date;
}

/** A group of users within an organisation; project/environment permissions can be granted to it. */
@Entity({ name: 'user_groups' })
export class UserGroup {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'organisation_id', type: 'integer' })
  @Index('IDX_user_groups_org')
  organisationId!: number;

  @ManyToOne(() => Organisation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation!: Relation<Organisation>;

  /** Default groups receive every user who joins the organisation. */
  @Column({ name: 'is_default', type: 'boolean', default: false })
  isDefault!: boolean;

  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;
}

@Entity({ name: 'user_group_members' })
@Index('UQ_user_group_members_group_user', ['groupId', 'userId'], { unique: true })
export class UserGroupMember {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'group_id', type: 'integer' })
  groupId!: number;

  @ManyToOne(() => UserGroup, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'group_id' })
  group!: Relation<UserGroup>;

  @Column({ name: 'user_id', type: 'integer' })
  @Index('IDX_user_group_members_user')
  userId!: number;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: Relation<User>;

  /** Group admins may manage the group's membership without MANAGE_USER_GROUPS. */
  @Column({ name: 'group_admin', type: 'boolean', default: false })
  groupAdmin!: boolean;
}

/** An emailed invitation; accepted through POST /users/join/{hash}/. */
@Entity({ name: 'organisation_invites' })
export class Invite {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 100, unique: true })
  hash!: string;

  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ type: 'varchar', length: 50, default: 'USER' })
  role!: OrganisationRole;

  @Column({ name: 'organisation_id', type: 'integer' })
  @Index('IDX_organisation_invites_org')
  organisationId!: number;

  @ManyToOne(() => Organisation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation!: Relation<Organisation>;

  @Column({ name: 'invited_by_id', type: 'integer', nullable: true })
  invitedById!: number | null;

  @ManyToOne('User', { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'invited_by_id' })
  invitedBy!: Relation<User> | null;

  @CreateDateColumn({ name: 'date_created', type: TIMESTAMP })
  dateCreated!: Date;

  /** Groups the invitee is added to on joining. */
  @ManyToMany(() => UserGroup)
  @JoinTable({
    name: 'organisation_invite_groups',
    joinColumn: { name: 'invite_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'group_id', referencedColumnName: 'id' },
  })
  permissionGroups!: Relation<UserGroup[]>;
}

/** A shareable join link; accepted through POST /users/join/link/{hash}/. */
@Entity({ name: 'organisation_invite_links' })
export class InviteLink {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 100, unique: true })
  hash!: string;

  @Column({ type: 'varchar', length: 50, default: 'USER' })
  role!: OrganisationRole;

  @Column({ name: 'organisation_id', type: 'integer' })
  @Index('IDX_organisation_invite_links_org')
  organisationId!: number;

  @ManyToOne(() => Organisation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation!: Relation<Organisation>;

  @CreateDateColumn({ name: 'date_created', type: TIMESTAMP })
  dateCreated!: Date;

  @Column({ name: 'expires_at', type: TIMESTAMP, nullable: true })
  expiresAt!: Date | null;
}

/**
 * An organisation master API key (`Authorization: Api-Key <prefix>.<secret>`). Only the SHA-256 of the whole
 * key is stored; `prefix` identifies it in URLs and lists.
 */
@Entity({ name: 'organisation_master_api_keys' })
export class MasterApiKey {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 8, unique: true })
  prefix!: string;

  @Column({ name: 'hashed_key', type: 'varchar', length: 128 })
  hashedKey!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'organisation_id', type: 'integer' })
  @Index('IDX_organisation_master_api_keys_org')
  organisationId!: number;

  @ManyToOne(() => Organisation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation!: Relation<Organisation>;

  @CreateDateColumn({ type: TIMESTAMP })
  created!: Date;

  @Column({ name: 'expiry_date', type: TIMESTAMP, nullable: true })
  expiryDate!: Date | null;

  @Column({ type: 'boolean', default: false })
  revoked!: boolean;

  /** Admin keys act as an organisation ADMIN; non-admin keys get no permission through roles (P2). */
  @Column({ name: 'is_admin', type: 'boolean', default: true })
  isAdmin!: boolean;
}
