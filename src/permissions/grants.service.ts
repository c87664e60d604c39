import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NotFound, ValidationFailed } from '../common/domain-errors';
import { RunOptions, UnitOfWork } from '../common/unit-of-work';
import type { GrantFields } from './grant.schemas';
import { GrantColumns, GrantRow, GrantScope, GrantsRepository, GrantSubject } from './grants.repository';

/**
 * Grants change who may do what, not any flag, so they announce no change event; and Flagsmith keeps no audit
 * log of them, so neither does this server.
 */
const UNAUDITED: RunOptions = { unaudited: 'Flagsmith does not audit permission grants' };

/** The columns a request sets: the keys without repeats, and `admin` where sent. */
function grantColumns(input: GrantFields): GrantColumns {
  const columns: GrantColumns = {};
  if (input.permissions !== undefined) columns.permissions = [...new Set(input.permissions)];
  if (input.admin !== undefined) columns.admin = input.admin;
  return columns;
}

/**
 * User and group permission grants on an organisation, project or environment (…/user-permissions/,
 * …/user-group-permissions/; docs/contracts/admin-api.md §0). The caller has already checked that the principal
 * is an admin of the scope. SQL in GrantsRepository; writes through the unit of work.
 */
@Injectable()
export class GrantsService {
  constructor(
    private readonly grants: GrantsRepository,
    private readonly uow: UnitOfWork,
  ) {}

  list(scope: GrantScope, subject: GrantSubject): Promise<GrantRow[]> {
    return this.grants.list(scope, subject);
  }

  /** Only members (or groups) of the scope's organisation may be granted; one grant per subject and scope. */
  create(scope: GrantScope, subject: GrantSubject, subjectId: number, input: GrantFields): Promise<GrantRow> {
    return this.uow.run(async (tx) => {
      if (!(await this.grants.subjectInOrganisation(tx.manager, subject, subjectId, scope.organisationId)))
        throw ValidationFailed.field(subject, `Invalid pk "${subjectId}" - object does not exist.`);
      const id = await this.grants.insert(tx.manager, scope, subject, subjectId, grantColumns(input));
      if (id === null)
        throw ValidationFailed.field('non_field_errors', `Permissions for this ${subject} already exist.`);
      return this.stored(scope, subject, id, tx.manager);
    }, UNAUDITED);
  }

  /** PUT or PATCH: writes the fields sent, on the row locked FOR NO KEY UPDATE; the grantee cannot change. */
  update(scope: GrantScope, subject: GrantSubject, id: number, input: GrantFields): Promise<GrantRow> {
    return this.uow.run(async (tx) => {
      if (!(await this.grants.lock(tx.manager, scope, subject, id))) throw new NotFound();
      await this.grants.update(tx.manager, scope, subject, id, grantColumns(input));
      return this.stored(scope, subject, id, tx.manager);
    }, UNAUDITED);
  }

  remove(scope: GrantScope, subject: GrantSubject, id: number): Promise<void> {
    return this.uow.run(async (tx) => {
      if (!(await this.grants.lock(tx.manager, scope, subject, id))) throw new NotFound();
      await this.grants.delete(tx.manager, scope, subject, id);
    }, UNAUDITED);
  }

  private async stored(
    scope: GrantScope,
    subject: GrantSubject,
    id: number,
    manager: EntityManager,
  ): Promise<GrantRow> {
    const row = await this.grants.find(scope, subject, id, manager);
    if (!row) throw new Error(`grant ${id} vanished inside its own transaction`);
    return row;
  }
}
