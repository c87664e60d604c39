import { environmentJson } from '../environments/environment.serializers';
import { projectJson } from '../projects/project.serializers';
import { AuditLog } from './audit-log.entity';
import type { AuditDetailJson, AuditJson } from './audit.schemas';

export function auditJson(a: AuditLog): AuditJson {
  const { environment, project, author } = a;
  return {
    id: a.id,
    created_date: a.createdDate.toISOString(),
    log: a.log,
    author: author
      ? {
          id: author.id,
          email: author.email,
          first_name: author.firstName,
          last_name: author.lastName,
          last_login: author.lastLogin?.toISOString() ?? null,
          uuid: author.uuid,
        }
      : null,
    environment: environment ? environmentJson(environment) : null,
    project: project ? projectJson(project) : null,
    related_object_id: a.relatedObjectId,
    related_object_uuid: a.relatedObjectUuid,
    related_object_type: a.relatedObjectType,
    is_system_event: a.isSystemEvent,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Retrieve shape: the list fields plus `change_details` ({field, old, new} per changed key) and `change_type`. */
export function auditDetailJson(a: AuditLog): AuditDetailJson {
  const before = isRecord(a.before) ? a.before : null;
  const after = isRecord(a.after) ? a.after : null;
  const changeType = before && after ? 'UPDATE' : after ? 'CREATE' : before ? 'DELETE' : 'UNKNOWN';
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const changeDetails = fields
    .filter((field) => JSON.stringify(before?.[field] ?? null) !== JSON.stringify(after?.[field] ?? null))
    .map((field) => ({ field, old: before?.[field] ?? null, new: after?.[field] ?? null }));
  return { ...auditJson(a), change_details: changeDetails, change_type: changeType };
}
