// End-to-end check of several clusters (issue 15) with the official MCP
// TypeScript SDK client over Streamable HTTP, against cmd/server (not in
// demo mode) configured with PVE_CLUSTERS_FILE from e2e/simclusters: lab
// (the default), office (where alice acts with her own Proxmox token) and
// dead (nothing answers). Run through e2e/mcp.sh, which sets:
//
//   E2E_CLUSTERS_URL     /mcp URL of that server
//   E2E_ALICE_TOKEN      bearer token of alice (tier full, every cluster)
//   E2E_LABONLY_TOKEN    bearer token of a read-only caller limited to lab
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { TIMEOUT, assert, call, check, env, finish, json, text, withClient } from "./harness.mjs";

const url = new URL(env("E2E_CLUSTERS_URL"));
const aliceToken = env("E2E_ALICE_TOKEN");
const labOnlyToken = env("E2E_LABONLY_TOKEN");

function transport(token) {
  return new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
}

function clusterEnum(tool) {
  return tool?.inputSchema?.properties?.cluster?.enum ?? null;
}

await withClient("clusters alice", transport(aliceToken), async (client) => {
  await check("alice: every tool takes cluster, with the clusters its tier allows", async () => {
    const { tools } = await client.listTools({}, TIMEOUT);
    const by = Object.fromEntries(tools.map((t) => [t.name, t]));
    assert(JSON.stringify(clusterEnum(by.pve_get_qemu_status)) === '["lab","office","dead"]', JSON.stringify(clusterEnum(by.pve_get_qemu_status)));
    // dead's ceiling is read-only: no write offers it.
    assert(JSON.stringify(clusterEnum(by.pve_start_qemu_vm)) === '["lab","office"]', JSON.stringify(clusterEnum(by.pve_start_qemu_vm)));
    assert(by.pve_list_clusters && clusterEnum(by.pve_list_clusters) === null, "pve_list_clusters missing or takes cluster");
  });
  await check("alice: a call per cluster reaches that cluster (VM 100 is web01 on lab, erp01 on office)", async () => {
    const lab = await call(client, "pve_get_qemu_status", { vmid: 100 });
    const office = await call(client, "pve_get_qemu_status", { vmid: 100, cluster: "office" });
    assert(!lab.isError && json(lab).name === "web01", text(lab));
    assert(!office.isError && json(office).name === "erp01", text(office));
  });
  await check("alice: on office her calls reach Proxmox with her own token (the task names her)", async () => {
    const res = await call(client, "pve_start_qemu_vm", { vmid: 111, cluster: "office", wait: 30 });
    assert(!res.isError && text(res).includes(":alice@pve!mcp:"), text(res));
    const lab = await call(client, "pve_start_qemu_vm", { vmid: 102 });
    assert(!lab.isError && text(lab).includes(":mcp@pve!e2e:"), text(lab));
  });
  await check("alice: pve_list_clusters says which answer", async () => {
    const res = await call(client, "pve_list_clusters", {});
    const list = res.structuredContent?.items ?? [];
    const got = Object.fromEntries(list.map((c) => [c.name, c.answers]));
    assert(got.lab === true && got.office === true && got.dead === false, text(res));
    assert(list.find((c) => c.name === "office")?.acting_as === "alice@pve!mcp", text(res));
  });
  await check("alice: finding guests looks at every cluster; the dead one is named, the others answer", async () => {
    const res = await call(client, "pve_find_guests", { name: "01" });
    assert(!res.isError, text(res));
    const clusters = new Set((res.structuredContent?.items ?? []).map((g) => g.cluster));
    assert(clusters.has("lab") && clusters.has("office"), text(res));
    assert(text(res).includes("did not answer: cluster dead"), text(res));
  });
  await check("alice: a call to the cluster that is down fails naming it", async () => {
    const res = await call(client, "pve_get_qemu_status", { vmid: 100, cluster: "dead" });
    assert(res.isError && text(res).includes("cluster dead"), text(res));
  });
});

await withClient("clusters lab-only", transport(labOnlyToken), async (client) => {
  await check("lab-only: its tools offer lab alone", async () => {
    const { tools } = await client.listTools({}, TIMEOUT);
    for (const t of tools) {
      const e = clusterEnum(t);
      assert(e === null || JSON.stringify(e) === '["lab"]', `${t.name}: ${JSON.stringify(e)}`);
    }
  });
  await check("lab-only: a call to office is refused before reaching it", async () => {
    const res = await call(client, "pve_get_qemu_status", { vmid: 100, cluster: "office" });
    assert(res.isError && text(res).includes('unknown cluster "office"'), text(res));
  });
});

finish("e2e clusters");
