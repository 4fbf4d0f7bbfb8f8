// Compose subgraphs with @apollo/composition (bench/apollo_composition.py runs it).
// stdin: [{name, url, sdl}]; stdout: {supergraph} or {errors: [{code, message}]}.
const { composeServices } = require("@apollo/composition");
const { parse } = require("graphql");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  let services;
  try {
    services = JSON.parse(input).map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ errors: [{ code: "INVALID_GRAPHQL", message: String(error) }] }));
    return;
  }
  const result = composeServices(services);
  const output = result.errors
    ? { errors: result.errors.map((e) => ({ code: e.extensions && e.extensions.code, message: e.message })) }
    : { supergraph: result.supergraphSdl };
  process.stdout.write(JSON.stringify(output));
});
