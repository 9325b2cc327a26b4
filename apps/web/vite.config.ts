import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

/** Initial JavaScript budget (gzip), from the console issue. */
const INITIAL_JS_BUDGET = 250 * 1024;

/**
 * After the build: prints the initial JS (the entry and what it imports statically, i.e. what the
 * browser must load before the first route renders) and each lazy chunk, gzip-compressed; writes
 * them to dist/bundle-stats.json; and pre-compresses text assets (.br and .gz beside each file) for
 * the server's @fastify/static `preCompressed`.
 */
function bundleReport(): Plugin {
  let outDir = 'dist';
  return {
    name: 'imsop-bundle-report',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    writeBundle(_options, bundle) {
      const gz = (code: string | Uint8Array) => zlib.gzipSync(code, { level: 9 }).length;
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
      const byName = new Map(chunks.map((c) => [c.fileName, c]));
      const initial = new Set<string>();
      const visit = (file: string) => {
        if (initial.has(file)) return;
        initial.add(file);
        for (const dep of byName.get(file)?.imports ?? []) visit(dep);
      };
      for (const c of chunks) if (c.isEntry) visit(c.fileName);
      // The landing page's chunk is modulepreloaded by index.html (preloadFirstScreen): count it too.
      const dashboard = chunks.find((c) => c.isDynamicEntry && c.name === 'DashboardPage');
      const preloaded = new Set(dashboard ? [dashboard.fileName, ...dashboard.imports].filter((f) => !initial.has(f)) : []);
      const rows = chunks
        .map((c) => ({
          file: c.fileName,
          initial: initial.has(c.fileName),
          preloaded: preloaded.has(c.fileName),
          bytes: Buffer.byteLength(c.code),
          gzip: gz(c.code),
        }))
        .sort((a, b) => Number(b.initial) - Number(a.initial) || Number(b.preloaded) - Number(a.preloaded) || b.gzip - a.gzip);
      const css = Object.values(bundle)
        .filter((a) => a.type === 'asset' && a.fileName.endsWith('.css'))
        .map((a) => ({ file: a.fileName, gzip: gz((a as { source: string | Uint8Array }).source) }));
      const entryGzip = rows.filter((r) => r.initial).reduce((n, r) => n + r.gzip, 0);
      const initialGzip = entryGzip + rows.filter((r) => r.preloaded).reduce((n, r) => n + r.gzip, 0);
      const totalGzip = rows.reduce((n, r) => n + r.gzip, 0);
      const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
      const lines = [
        '',
        'Console bundle (gzip):',
        ...rows.map((r) => `  ${r.initial ? 'initial' : r.preloaded ? 'preload' : 'lazy   '}  ${kb(r.gzip).padStart(9)}  ${r.file}`),
        ...css.map((c) => `  css      ${kb(c.gzip).padStart(9)}  ${c.file}`),
        `  initial JS: ${kb(initialGzip)} gzip (entry ${kb(entryGzip)} + preloaded dashboard ${kb(initialGzip - entryGzip)}; budget ${kb(INITIAL_JS_BUDGET)}), all JS: ${kb(totalGzip)} gzip in ${rows.length} chunks`,
        '',
      ];
      // `npm start` (ensure-build.mjs) wants one line; `npm run build:web` the whole table.
      console.log(process.env.IMSOP_WEB_REPORT === 'summary' ? lines[lines.length - 2]! : lines.join('\n'));
      if (initialGzip > INITIAL_JS_BUDGET) console.warn(`WARNING: initial JS is over its budget of ${kb(INITIAL_JS_BUDGET)} gzip.`);
      fs.writeFileSync(
        path.join(outDir, 'bundle-stats.json'),
        JSON.stringify({ initialJsGzip: initialGzip, entryJsGzip: entryGzip, totalJsGzip: totalGzip, budget: INITIAL_JS_BUDGET, chunks: rows, css }, null, 2),
      );
      // Pre-compressed copies for the server (it has no on-the-fly compression).
      for (const file of Object.keys(bundle)) {
        if (!/\.(js|css|svg|json|txt)$/.test(file)) continue;
        const full = path.join(outDir, file);
        const data = fs.readFileSync(full);
        if (data.length < 1024) continue;
        fs.writeFileSync(`${full}.gz`, zlib.gzipSync(data, { level: 9 }));
        fs.writeFileSync(`${full}.br`, zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

/**
 * Preloads what the first screen needs besides the entry: the Latin Inter font (text paints in its
 * final face) and the dashboard's chunk, the landing page (fetched in parallel, not executed).
 */
function preloadFirstScreen(): Plugin {
  return {
    name: 'imsop-preload-first-screen',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const bundle = ctx.bundle ?? {};
        const tags: { tag: string; attrs: Record<string, string>; injectTo: 'head' }[] = [];
        const font = Object.keys(bundle).find((f) => /inter-latin-wght-normal[^/]*\.woff2$/.test(f));
        if (font) tags.push({ tag: 'link', attrs: { rel: 'preload', as: 'font', type: 'font/woff2', href: `/${font}`, crossorigin: '' }, injectTo: 'head' });
        const dashboard = Object.values(bundle).find((c) => c.type === 'chunk' && c.isDynamicEntry && c.name === 'DashboardPage');
        if (dashboard && dashboard.type === 'chunk') {
          const entryDeps = new Set(Object.values(bundle).flatMap((c) => (c.type === 'chunk' && c.isEntry ? [c.fileName, ...c.imports] : [])));
          for (const f of [dashboard.fileName, ...dashboard.imports]) {
            if (!entryDeps.has(f)) tags.push({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: '', href: `/${f}` }, injectTo: 'head' });
          }
        }
        return tags;
      },
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), preloadFirstScreen(), bundleReport()],
  // @imsop/sdk from its TypeScript source in the workspace (its `source` export condition), no SDK build needed.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  server: {
    // `npm run dev -w apps/web` against a server on :3000.
    proxy: { '/api': { target: 'http://127.0.0.1:3000', ws: true } },
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 700,
  },
});
