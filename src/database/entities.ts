import { Site } from '../users/site.entity';

/** Every TypeORM entity, listed explicitly so that dist/ and ts-jest load the same set. */
export const ENTITIES = [Site];
