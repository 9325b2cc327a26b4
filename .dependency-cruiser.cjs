/**
 * Module boundaries (docs/architecture.md): platform never imports modules; modules import each other only through index.ts; no cycles,
 * in the server (apps/server/src) and in the web console (apps/web/src).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Cycles make modules impossible to reason about in isolation.',
      from: {},
      to: { circular: true, viaOnly: { pathNot: '\\.routes\\.ts$' } },
    },
    {
      name: 'platform-not-to-modules',
      severity: 'error',
      comment: 'platform/ is the mechanism layer: it never depends on a domain module.',
      from: { path: '^apps/server/src/platform/' },
      to: { path: '^apps/server/src/modules/' },
    },
    {
      name: 'modules-only-through-index',
      severity: 'error',
      comment: 'A module may use another module only through its index.ts.',
      from: { path: '^apps/server/src/modules/([^/]+)/' },
      to: { path: '^apps/server/src/modules/([^/]+)/', pathNot: ['^apps/server/src/modules/$1/', '^apps/server/src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'sla-engine-pure',
      severity: 'error',
      comment: 'The SLA engine (servicedesk/sla/engine) is pure business-time arithmetic: no database, no clock, no I/O; the rest of the module calls it.',
      from: { path: '^apps/server/src/modules/servicedesk/sla/engine/' },
      to: { path: '^apps/server/src/', pathNot: ['^apps/server/src/modules/servicedesk/sla/engine/', '^apps/server/src/platform/errors/app-error\\.ts$'] },
    },
    {
      name: 'services-know-no-http',
      severity: 'error',
      comment:
        'Services take an Actor and plain input and throw domain errors (platform/errors); only a module’s *.routes.ts files speak HTTP (docs/architecture.md, "The module contract").',
      from: { path: '^apps/server/src/modules/', pathNot: '\\.routes\\.ts$' },
      to: { path: '^apps/server/src/platform/http/' },
    },
    {
      name: 'no-app-from-inside',
      severity: 'error',
      comment: 'Modules and platform do not reach back into the process entry points.',
      from: { path: '^apps/server/src/(platform|modules)/' },
      to: { path: '^apps/server/src/(app|main|cli)\\.ts$' },
    },
    {
      name: 'console-pages-not-to-router',
      severity: 'error',
      comment: 'The router imports every page: a page reaches its route through getRouteApi and its search types through app/search.ts, never through router.tsx.',
      from: { path: '^apps/web/src/features/' },
      to: { path: '^apps/web/src/app/router\\.tsx$' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'], exportsFields: ['exports'], conditionNames: ['source', 'import', 'require', 'node', 'default', 'types'], mainFields: ['module', 'main', 'types'] },
  },
};
