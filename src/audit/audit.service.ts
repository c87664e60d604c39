import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { auditAuthor, Principal } from '../auth/principal';
import { AuditLog, AuditRelatedObjectType } from './audit-log.entity';

export interface AuditEntry {
  /** Human-readable line, e.g. "New Feature created: my_flag". */
  readonly log: string;
  /** Who did it; omit (or null) for system events. */
  readonly principal?: Principal | null;
  readonly organisationId?: number | null;
  readonly projectId?: number | null;
  readonly environmentId?: number | null;
  readonly relatedObjectType?: AuditRelatedObjectType;
  readonly relatedObjectId?: number | null;
  readonly relatedObjectUuid?: string | null;
  /** JSON snapshots of the object before/after the change. */
  readonly before?: unknown;
  readonly after?: unknown;
  readonly isSystemEvent?: boolean;
}

/**
 * Writes audit records with the caller's EntityManager, i.e. in the same transaction as the change. Services do
 * not call it: they record `tx.audit(entry)` in UnitOfWork.run (src/common/unit-of-work.ts), which writes the
 * entries through this class just before COMMIT. Reads of the log: AuditQueriesService.
 */
@Injectable()
export class AuditService {
  async record(manager: EntityManager, entry: AuditEntry): Promise<AuditLog> {
    const author = entry.principal ? auditAuthor(entry.principal) : { authorId: null, masterApiKeyId: null };
    const repo = manager.getRepository(AuditLog);
    return repo.save(
      repo.create({
        log: entry.log,
        ...author,
        organisationId: entry.organisationId ?? null,
        projectId: entry.projectId ?? null,
        environmentId: entry.environmentId ?? null,
        relatedObjectType: entry.relatedObjectType ?? null,
        relatedObjectId: entry.relatedObjectId ?? null,
        relatedObjectUuid: entry.relatedObjectUuid ?? null,
        before: entry.before ?? null,
        after: entry.after ?? null,
        isSystemEvent: entry.isSystemEvent ?? !entry.principal,
      }),
    );
  }
}
