// What the end-to-end clients share: reading their settings, counting
// checks, reading results and connecting a client that is not ours (the
// official MCP TypeScript SDK).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";

export const TIMEOUT = { timeout: 15000 };

const counts = { passed: 0, failed: 0 };

// env returns a variable e2e/mcp.sh sets, or exits saying which is missing.
export function env(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`e2e: ${name} is not set (run e2e/mcp.sh)`);
    process.exit(2);
  }
  return v;
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// check runs one named check and counts it; a failure does not stop the others.
export async function check(label, fn) {
  try {
    await fn();
    counts.passed++;
    console.log(`ok   ${label}`);
  } catch (err) {
    fail(label, err);
  }
}

function fail(label, err) {
  counts.failed++;
  console.log(`FAIL ${label}: ${err?.message ?? err}`);
}

export function text(res) {
  return (res.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("");
}

// json is the JSON part of a result: the text up to the first newline (a note may follow).
export function json(res) {
  const t = text(res);
  const nl = t.indexOf("\n");
  return JSON.parse(nl < 0 ? t : t.slice(0, nl));
}

export function call(client, name, args) {
  return client.callTool({ name, arguments: args }, undefined, TIMEOUT);
}

// withClient connects a client over transport, runs fn and closes it; a
// failed connection counts as a failed check. options are the Client's
// (capabilities it declares); setup runs before it connects (request handlers).
export async function withClient(label, transport, fn, name = "pve-mcp-e2e", options = undefined, setup = undefined) {
  const client = new Client({ name, version: "1.0.0" }, options);
  setup?.(client);
  try {
    await client.connect(transport, TIMEOUT);
  } catch (err) {
    fail(`${label}: connect`, err);
    return;
  }
  try {
    await fn(client);
  } finally {
    await client.close();
  }
}

// finish prints the counts and exits 0 only if something passed and nothing failed.
export function finish(label) {
  console.log(`${label}: ${counts.passed} passed, ${counts.failed} failed`);
  process.exit(counts.failed === 0 && counts.passed > 0 ? 0 : 1);
}
