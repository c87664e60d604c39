export default async function globalTeardown() {
  globalThis.__FLAGPORT_TEST_MEMCACHED__?.kill();
  const pg = globalThis.__FLAGPORT_TEST_PG__;
  if (pg) await pg.stop();
}
