import { Initial1764140000000 } from './1764140000000-Initial';

/** Every migration in order; new migrations are appended here. */
export const MIGRATIONS = [Initial1764140000000];
