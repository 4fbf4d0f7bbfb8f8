// @apollo/gateway behind @apollo/server's standalone HTTP server, with a static supergraph.
// Usage: node apollo-gateway.mjs SUPERGRAPH_PATH HOST PORT
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const [supergraphPath, host, port] = process.argv.slice(2);
const gateway = new ApolloGateway({ supergraphSdl: readFileSync(supergraphPath, 'utf8') });
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { host, port: Number(port) } });
console.log(`@apollo/gateway ready at ${url}`);
