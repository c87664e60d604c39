import type { Tag } from '../projects/project.entity';
import type { TagJson } from './tag.schemas';

export function tagJson(t: Tag): TagJson {
  return {
    id: t.id,
    uuid: t.uuid,
    label: t.label,
    color: t.color,
    description: t.description,
    project: t.projectId,
    is_permanent: t.isPermanent,
    is_system_tag: false,
    type: 'NONE',
  };
}
