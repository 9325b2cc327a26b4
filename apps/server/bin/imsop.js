#!/usr/bin/env node
// Entry for the `imsop` command. Node.js 24 runs the server's TypeScript as it is (type stripping:
// the code uses only erasable syntax, `erasableSyntaxOnly` in apps/server/tsconfig.json), so no
// loader or build step is on the runtime path.
if (!process.features.typescript) {
  process.stderr.write(
    `imsop needs Node.js 24 or later (this is ${process.version}). Run it through npm (npm start, npx imsop), which uses the project's own Node.js 24 from node_modules/.bin.\n`,
  );
  process.exit(2);
}
const { runCli } = await import('../src/cli.ts');
await runCli(process.argv.slice(2));
