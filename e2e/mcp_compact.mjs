// End-to-end check of the compact tool mode (PVE_TOOL_MODE=auto at tier
// full) with the official MCP TypeScript SDK client, over stdio and
// Streamable HTTP: search, then a call through a dispatcher, then its result.
// Run through e2e/mcp.sh, which sets:
//
//   E2E_LOCAL_BIN         path of the built cmd/local binary (stdio)
//   E2E_COMPACT_HTTP_URL  /mcp URL of a cmd/server -demo in the default mode
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { TIMEOUT, assert, call, check, env, finish, json, text, withClient } from "./harness.mjs";

const localBin = env("E2E_LOCAL_BIN");
const httpURL = env("E2E_COMPACT_HTTP_URL");

async function scenario(t, client) {
  let listed = [];
  await check(`${t}: tools/list is the compact surface (search, dispatchers, core tools)`, async () => {
    const res = await client.listTools({}, TIMEOUT);
    listed = res.tools;
    const names = listed.map((x) => x.name);
    for (const n of ["pve_search_tools", "pve_read", "pve_change", "pve_destroy", "pve_find_guests", "pve_wait_task"]) {
      assert(names.includes(n), `${n} not listed: ${names.join(", ")}`);
    }
    assert(listed.length <= 16, `${listed.length} tools listed`);
    // 8 KB for one cluster (issue 11); the demo has two, and each listed
    // tool but the meta tools takes cluster: {"type":"string","enum":["lab","office"]}.
    const withCluster = listed.filter((x) => x.inputSchema?.properties?.cluster).length;
    const bytes = JSON.stringify({ tools: listed }).length;
    const clusterBytes = withCluster * JSON.stringify({ cluster: { type: "string", enum: ["lab", "office"] } }).length;
    assert(withCluster >= 11, `${withCluster} listed tools take cluster`);
    assert(bytes - clusterBytes <= 8192, `tools/list is ${bytes} bytes, ${bytes - clusterBytes} without cluster`);
    assert(listed.every((x) => x.title), "a listed tool has no title");
  });
  await check(`${t}: the dispatchers carry their class's annotations`, async () => {
    const by = Object.fromEntries(listed.map((x) => [x.name, x.annotations ?? {}]));
    assert(by.pve_read.readOnlyHint === true, "pve_read is not read-only");
    assert(by.pve_destroy.destructiveHint === true, "pve_destroy is not destructive");
    assert(by.pve_change.destructiveHint === false && by.pve_change.readOnlyHint !== true, "pve_change annotations");
  });
  let hit;
  await check(`${t}: search "snapshot a VM" finds the snapshot tool with its schema and dispatcher`, async () => {
    const res = await call(client, "pve_search_tools", { query: "snapshot a VM" });
    assert(!res.isError, text(res));
    const hits = json(res);
    hit = hits[0];
    assert(hit?.name === "pve_create_qemu_snapshot", `first hit ${hit?.name}`);
    assert(hit.via === "pve_change", `via ${hit.via}`);
    assert(hit.inputSchema?.properties?.snapname, "no input schema");
    assert(hits.length === 5, `${hits.length} hits`);
  });
  await check(`${t}: calling it through pve_change takes the snapshot`, async () => {
    const res = await call(client, hit.via, { tool: hit.name, arguments: { vmid: 103, snapname: `e2e_${t.replace(/ /g, "_")}`, wait: 30 } });
    assert(!res.isError, text(res));
    const snaps = json(await call(client, "pve_read", { tool: "pve_list_qemu_snapshots", arguments: { vmid: 103 } }));
    assert(snaps.some((s) => s.name === `e2e_${t.replace(/ /g, "_")}`), `snapshots: ${JSON.stringify(snaps)}`);
  });
  await check(`${t}: a dispatched object result carries structuredContent`, async () => {
    const res = await call(client, "pve_read", { tool: "pve_get_node_status", arguments: { node: "pve1" } });
    assert(!res.isError, text(res));
    assert(res.structuredContent && typeof res.structuredContent === "object", "no structuredContent");
  });
  await check(`${t}: a destructive tool through pve_read is refused and names pve_destroy`, async () => {
    const res = await call(client, "pve_read", { tool: "pve_delete_qemu_vm", arguments: { vmid: 103 } });
    assert(res.isError === true && text(res).includes("pve_destroy"), text(res));
  });
  await check(`${t}: bad inner arguments get the tool's own validation error`, async () => {
    const res = await call(client, "pve_change", { tool: "pve_start_qemu_vm", arguments: { vmid: 5 } });
    assert(res.isError === true && /vmid/.test(text(res)), text(res));
  });
  await check(`${t}: an empty query answers the categories`, async () => {
    const cats = json(await call(client, "pve_search_tools", {}));
    assert(cats.length === 12 && cats.every((c) => c.tools > 0), JSON.stringify(cats));
  });
}

const { PVE_TOOL_MODE: _ignored, ...inherited } = process.env;
await withClient(
  "compact stdio",
  new StdioClientTransport({ command: localBin, args: ["-demo"], env: { ...inherited, PVE_ACCESS_TIER: "full" }, stderr: "ignore" }),
  (c) => scenario("compact stdio", c),
  "pve-mcp-e2e-compact",
);
await withClient("compact http", new StreamableHTTPClientTransport(new URL(httpURL)), (c) => scenario("compact http", c), "pve-mcp-e2e-compact");

// The confirmation token path (issue 13) with the production default
// PVE_CONFIRM=destructive, over stdio (e2e/mcp.sh runs its HTTP servers
// with confirmation off). This client declares no elicitation, so a
// destructive call answers a summary and a token and does nothing.
async function confirmScenario(t, client) {
  const rollback = { tool: "pve_rollback_qemu_snapshot", arguments: { vmid: 101, snapname: "pre-upgrade" } };
  let token = "";
  await check(`${t}: without confirm, pve_destroy answers a summary and a token and does nothing`, async () => {
    const res = await call(client, "pve_destroy", rollback);
    assert(!res.isError, text(res));
    assert(text(res).startsWith("CONFIRMATION NEEDED") && text(res).includes("Snapshots: pre-upgrade"), text(res));
    token = res.structuredContent?.confirm ?? "";
    assert(token.length === 34, JSON.stringify(res.structuredContent));
  });
  await check(`${t}: the token for other arguments is refused`, async () => {
    const res = await call(client, "pve_destroy", { ...rollback, arguments: { vmid: 100, snapname: "pre-upgrade" }, confirm: token });
    assert(res.isError && text(res).includes("does not match"), text(res));
  });
  await check(`${t}: the same call with the token runs`, async () => {
    const res = await call(client, "pve_destroy", { ...rollback, confirm: token });
    assert(!res.isError && !text(res).startsWith("CONFIRMATION NEEDED"), text(res));
  });
}

await withClient(
  "confirm stdio",
  new StdioClientTransport({ command: localBin, args: ["-demo"], env: { ...inherited, PVE_ACCESS_TIER: "full", PVE_CONFIRM: "destructive" }, stderr: "ignore" }),
  (c) => confirmScenario("confirm stdio", c),
  "pve-mcp-e2e-compact",
);

finish("e2e compact");
