// Sentry must start before anything it instruments is loaded.
import './instrument';
import { serve } from './serve';

void serve('api');
