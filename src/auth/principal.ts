import type { FastifyRequest } from 'fastify';
import type { Environment } from '../environments/environment.entity';
import type { MasterApiKey, Organisation } from '../organisations/organisation.entity';
import type { Project } from '../projects/project.entity';
import type { User } from '../users/user.entity';

/** Who is calling the management API: a user (Token) or an organisation master API key (Api-Key). */
export type Principal =
  | { readonly kind: 'user'; readonly user: User; readonly tokenKey: string }
  | { readonly kind: 'master_key'; readonly key: MasterApiKey };

/** Objects resolved and permission-checked by @RequirePermission, for the handler to reuse. */
export interface PermittedObjects {
  organisation?: Organisation;
  project?: Project;
  environment?: Environment;
}

export interface AuthedRequest extends FastifyRequest {
  principal?: Principal;
  permitted?: PermittedObjects;
}

/** The author columns of audit records for a principal. */
export function auditAuthor(principal: Principal): {
  authorId: number | null;
  masterApiKeyId: number | null;
} {
  return principal.kind === 'user'
    ? { authorId: principal.user.id, masterApiKeyId: null }
    : { authorId: null, masterApiKeyId: principal.key.id };
}
