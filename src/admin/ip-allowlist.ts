/**
 * True for a route pattern in the admin panel's URL space: `/admin`, `/admin/…` (not `/administrator`). Applied to
 * the routes as registered (src/admin/admin-route-guards.ts), never to a request's raw URL, whose spellings vary.
 */
export function isAdminPath(url: string): boolean {
  if (!url.startsWith('/admin')) return false;
  const next = url.charCodeAt(6);
  return Number.isNaN(next) || next === 47; /* / */
}

// Compiled with the settings (src/config only imports itself); re-exported for the admin guards.
export { compileIpAllowlist, normaliseAddress } from '../config/ip-allowlist';

export const ADMIN_IP_FORBIDDEN_BODY = JSON.stringify({
  detail: 'Access to the admin panel is not allowed from this address.',
});
