import { DataSource, EntityManager, QueryFailedError } from 'typeorm';

// A folder of its own that imports nothing of the app: src/usage reaches it without joining src/common's imports.

/** PostgreSQL codes of a transaction that lost a race and may simply be run again. */
const RETRYABLE_CODES = new Set(['40P01' /* deadlock_detected */, '40001' /* serialization_failure */]);

/** Attempts in all (first run + retries) before the error is answered. */
export const TRANSACTION_ATTEMPTS = 4;

export function isRetryableTransactionError(err: unknown): boolean {
  const code =
    err instanceof QueryFailedError
      ? (err.driverError as { code?: string } | undefined)?.code
      : (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}

/**
 * The one place a transaction is opened: runs `work` in a transaction on the primary and runs it again (up to
 * TRANSACTION_ATTEMPTS in all, after a short random pause) when PostgreSQL aborted it with a deadlock or
 * serialization failure; `work` must therefore keep its effects inside the transaction. Reached only through
 * the two functions below.
 */
async function retryingTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction(work);
    } catch (err) {
      if (attempt >= TRANSACTION_ATTEMPTS || !isRetryableTransactionError(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}

/** The transaction of UnitOfWork.run (src/common/unit-of-work.ts), which adds change events and the audit. */
export function writeTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return retryingTransaction(dataSource, work);
}

/**
 * Bookkeeping that is not a user's write: SDK usage counter flushes (src/usage) and throttle records
 * (src/throttling). They change nothing a user edited or the SDK serves, and Flagsmith audits neither, so they
 * record no audit line and announce no change event; they are exempt from UnitOfWork for that reason only.
 * Every other write goes through UnitOfWork.run.
 */
export function bookkeepingTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return retryingTransaction(dataSource, work);
}
