// Compose bench/supergraph.graphql from bench/sdl/*.graphql with @apollo/composition.
// Run through `python -m bench compose`, which installs this directory's packages first.
// Usage: node compose.mjs SDL_DIR OUT_PATH NAME=URL...
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

const [sdlDir, outPath, ...services] = process.argv.slice(2);
const subgraphs = services.map((pair) => {
  const [name, url] = pair.split('=');
  const sdl = readFileSync(join(sdlDir, `${name}.graphql`), 'utf8');
  return { name, url, typeDefs: parse(sdl) };
});
const result = composeServices(subgraphs);
if (result.errors) {
  for (const error of result.errors) console.error(error.message);
  process.exit(1);
}
writeFileSync(outPath, result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`);
for (const hint of result.hints ?? []) console.error(`hint: ${hint.toString()}`);
console.log(`wrote ${outPath}`);
