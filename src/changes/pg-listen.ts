import { Client, Notification } from 'pg';
import type { ListenConnector } from './change-feed';

/** application_name of the LISTEN connection (tests and operators find it in pg_stat_activity). */
export const LISTEN_APPLICATION_NAME = 'flagport-listen';

/**
 * The change feed's connection: a dedicated `pg` client (not from a pool: LISTEN is per session) with an error
 * listener, so that a terminated backend or a database restart is a reconnect, never an unhandled 'error'.
 */
export function pgListenConnector(connectionString: string): ListenConnector {
  return async (channels, events) => {
    const client = new Client({
      connectionString,
      keepAlive: true,
      application_name: LISTEN_APPLICATION_NAME,
      connectionTimeoutMillis: 5000,
    });
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      client.removeAllListeners('notification');
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    };
    client.on('notification', (n: Notification) => events.notification(n.channel, n.payload ?? ''));
    // An error listener stays on for the client's whole life: pg emits 'error' on a dead socket even after end().
    client.on('error', (err: Error) => {
      if (!closed) events.lost(err);
    });
    client.on('end', () => {
      if (!closed) events.lost(undefined);
    });
    try {
      await client.connect();
      for (const channel of channels) await client.query(`LISTEN "${channel}"`);
    } catch (err) {
      await close();
      throw err;
    }
    return { close };
  };
}
