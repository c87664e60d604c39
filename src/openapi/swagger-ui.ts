import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Swagger UI served from the `swagger-ui-dist` package that @nestjs/swagger depends on: no CDN, no outside network.
 * Files are read on first request and kept in memory (nothing happens at startup).
 */

/** The UI files the page loads, by the name they are served under, with their content type. */
export const SWAGGER_UI_ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

let assetsDirectory: string | undefined;

/** swagger-ui-dist as resolved from @nestjs/swagger (it is that package's dependency, not ours). */
function swaggerUiDirectory(): string {
  assetsDirectory ??= dirname(
    require.resolve('swagger-ui-dist/package.json', { paths: [dirname(require.resolve('@nestjs/swagger'))] }),
  );
  return assetsDirectory;
}

const cache = new Map<string, Promise<Buffer>>();

/** The bytes of one allowed asset (undefined for any other name). */
export function swaggerUiAsset(name: string): Promise<Buffer> | undefined {
  if (!Object.hasOwn(SWAGGER_UI_ASSETS, name)) return undefined;
  let file = cache.get(name);
  if (!file) {
    file = readFile(join(swaggerUiDirectory(), name));
    file.catch(() => cache.delete(name));
    cache.set(name, file);
  }
  return file;
}

/** The UI page: assets and the start-up script by absolute path under `base` (e.g. /api/v1/docs/). */
export function swaggerUiHtml(base: string, title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title}</title>
  <link rel="stylesheet" href="${base}swagger-ui.css">
  <link rel="icon" type="image/png" href="${base}favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="${base}favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${base}swagger-ui-bundle.js"></script>
  <script src="${base}swagger-ui-standalone-preset.js"></script>
  <script src="${base}swagger-initializer.js"></script>
</body>
</html>
`;
}

/** Starts the UI on the JSON document (an external script, so a strict Content-Security-Policy still allows it). */
export function swaggerUiInitializer(documentUrl: string): string {
  return `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(documentUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
`;
}
