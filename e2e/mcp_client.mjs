// End-to-end check of pve-mcp with a client that is not ours: the official
// MCP TypeScript SDK. It drives the real binaries in -demo mode over stdio and
// over Streamable HTTP. Run it through e2e/mcp.sh, which builds the binaries,
// starts the HTTP server on a free loopback port and sets:
//
//   E2E_LOCAL_BIN      path of the built cmd/local binary (stdio)
//   E2E_HTTP_URL       http://127.0.0.1:<port>/mcp of a running cmd/server -demo
//   E2E_TOOLS_FULL     tools the registry holds at tier full
//   E2E_TOOLS_READONLY tools the registry holds at tier read-only
//   E2E_AUTH_URL       /mcp URL of a cmd/server -demo requiring bearer tokens
//   E2E_AUTH_TOKEN     the one token it accepts, whose tier is read-only
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { TIMEOUT, assert, call, check, env, finish, json, text, withClient } from "./harness.mjs";

const localBin = env("E2E_LOCAL_BIN");
const httpURL = env("E2E_HTTP_URL");
const toolsFull = Number(env("E2E_TOOLS_FULL"));
const toolsReadOnly = Number(env("E2E_TOOLS_READONLY"));
const authURL = env("E2E_AUTH_URL");
const authToken = env("E2E_AUTH_TOKEN");

async function listAllTools(client) {
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, TIMEOUT);
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

async function guestStatus(client, vmid) {
  const res = await call(client, "pve_get_qemu_status", { vmid });
  assert(!res.isError, `pve_get_qemu_status failed: ${text(res)}`);
  return json(res).status;
}

// waitTask polls pve_get_task_status until the task has stopped.
async function waitTask(client, upid) {
  const deadline = Date.now() + 30000;
  for (;;) {
    const res = await call(client, "pve_get_task_status", { upid });
    assert(!res.isError, text(res));
    const st = json(res);
    if (st.status === "stopped") return st;
    assert(st.status === "running", `task status ${st.status}`);
    assert(Date.now() < deadline, "task still running after 30 s");
    await new Promise((r) => setTimeout(r, 200));
  }
}

// The full scenario against one connected server at tier full.
async function scenario(t, client) {
  await check(`${t}: initialize reports pve-mcp with tools`, async () => {
    const info = client.getServerVersion();
    assert(info?.name === "pve-mcp", `serverInfo.name = ${info?.name}`);
    assert(client.getServerCapabilities()?.tools, "no tools capability");
  });

  let tools = [];
  await check(`${t}: tools/list has the registry's ${toolsFull} tools`, async () => {
    tools = await listAllTools(client);
    assert(tools.length === toolsFull, `listed ${tools.length} tools, registry has ${toolsFull}`);
    const names = new Set(tools.map((x) => x.name));
    assert(names.size === tools.length, "duplicate tool names");
    for (const x of tools) {
      assert(/^pve_[a-z0-9_]+$/.test(x.name), `bad tool name ${x.name}`);
      assert(x.description && x.description.length > 10, `${x.name}: no description`);
      assert(x.inputSchema?.type === "object", `${x.name}: inputSchema is not an object schema`);
      assert(x.annotations && typeof x.annotations.readOnlyHint === "boolean", `${x.name}: no readOnlyHint`);
    }
    for (const n of ["pve_list_nodes", "pve_start_qemu_vm", "pve_get_task_status"]) {
      assert(names.has(n), `${n} not listed`);
    }
  });

  await check(`${t}: pve_list_nodes returns the 3 demo nodes`, async () => {
    const res = await call(client, "pve_list_nodes", {});
    assert(!res.isError, text(res));
    const nodes = json(res);
    assert(Array.isArray(nodes) && nodes.length === 3, `got ${JSON.stringify(nodes).slice(0, 200)}`);
    const names = nodes.map((n) => n.node).sort().join(",");
    assert(names === "pve1,pve2,pve3", `nodes ${names}`);
    assert(nodes.every((n) => n.status === "online"), "a node is not online");
  });

  await check(`${t}: VM 102 starts stopped`, async () => {
    const s = await guestStatus(client, 102);
    assert(s === "stopped", `status ${s}`);
  });

  let upid = "";
  await check(`${t}: pve_start_qemu_vm on VM 102 returns a UPID`, async () => {
    const res = await call(client, "pve_start_qemu_vm", { vmid: 102 });
    assert(!res.isError, text(res));
    upid = res.structuredContent?.upid ?? json(res).upid;
    assert(/^UPID:pve2:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmstart:102:[^:]+:$/.test(upid), `upid ${upid}`);
    assert(text(res).includes("pve_get_task_status"), "no note on how to follow the task");
  });

  await check(`${t}: pve_get_task_status reaches stopped with exitstatus OK`, async () => {
    assert(upid, "no UPID from the start call");
    const st = await waitTask(client, upid);
    assert(st.exitstatus === "OK", `exitstatus ${st.exitstatus}`);
  });

  await check(`${t}: VM 102 is running afterwards`, async () => {
    const s = await guestStatus(client, 102);
    assert(s === "running", `status ${s}`);
  });

  await check(`${t}: starting it again fails in the task, as Proxmox does`, async () => {
    const res = await call(client, "pve_start_qemu_vm", { vmid: 102 });
    assert(!res.isError, text(res));
    const st = await waitTask(client, res.structuredContent?.upid ?? json(res).upid);
    assert(/VM 102 already running/.test(st.exitstatus), `exitstatus ${st.exitstatus}`);
  });

  await check(`${t}: a Proxmox error is a tool error, not a protocol error`, async () => {
    const res = await call(client, "pve_get_qemu_status", { vmid: 999999 });
    assert(res.isError === true, `not an error: ${text(res)}`);
    assert(text(res).includes("999999"), `message does not name the VM: ${text(res)}`);
  });

  await check(`${t}: invalid arguments are rejected`, async () => {
    let rejected = false;
    try {
      const res = await call(client, "pve_start_qemu_vm", { vmid: "not-a-number" });
      rejected = res.isError === true;
    } catch {
      rejected = true;
    }
    assert(rejected, "vmid 'not-a-number' accepted");
  });

  await check(`${t}: lists are brief and say what verbose adds`, async () => {
    const brief = await call(client, "pve_list_nodes", {});
    assert(!json(brief)[0].ssl_fingerprint, "brief list carries the SSL fingerprint");
    assert(/verbose:true adds .*ssl_fingerprint/.test(text(brief)), `no note: ${text(brief).slice(-200)}`);
    const full = await call(client, "pve_list_nodes", { verbose: true });
    assert(json(full).every((n) => n.ssl_fingerprint), "verbose list lacks the SSL fingerprint");
  });

  await check(`${t}: wait follows a stop to its end in one call`, async () => {
    const res = await call(client, "pve_stop_qemu_vm", { vmid: 102, wait: 30 });
    assert(!res.isError, text(res));
    const st = res.structuredContent ?? json(res);
    assert(st.ok === true && st.status === "stopped" && st.exitstatus === "OK", `task ${JSON.stringify(st)}`);
    const s = await guestStatus(client, 102);
    assert(s === "stopped", `status ${s}`);
  });

  // The SDK sends a progress token when onprogress is given; over HTTP the
  // answer is then an SSE stream (answerTypes, below, checks it). The demo's
  // task logs grow while they run (2 s), so notifications arrive while wait
  // follows them. Over stdio this SDK drops one that comes in the same pipe
  // read as the result (it runs notification handlers a microtask after it
  // settles a response, by when the call's onprogress is gone), so the last
  // one (TASK OK) may be missing there; the earlier ones must have arrived.
  await check(`${t}: wait sends the task log as progress notifications while the task runs`, async () => {
    const progress = [];
    const res = await client.callTool({ name: "pve_start_qemu_vm", arguments: { vmid: 102, wait: 30 } }, undefined, {
      ...TIMEOUT,
      onprogress: (p) => progress.push(p),
    });
    assert(!res.isError, text(res));
    assert((res.structuredContent ?? json(res)).status === "stopped", `task ${text(res)}`);
    assert(progress.length > 0, "no progress notification before the result");
    let last = -1;
    for (const p of progress) {
      assert(p.progress >= last, `progress went from ${last} to ${p.progress}`);
      last = p.progress;
    }
    const log = progress.map((p) => p.message ?? "").join("\n");
    assert(/start VM 102/.test(log), `progress messages do not carry the task log: ${log}`);
    if (t === "http") assert(/TASK OK/.test(log), `no TASK OK in the progress over SSE: ${log}`);
    const stop = await call(client, "pve_stop_qemu_vm", { vmid: 102, wait: 30 });
    assert(!stop.isError, text(stop));
  });

  await check(`${t}: a live migration's progress rises while it runs`, async () => {
    const progress = [];
    const res = await client.callTool(
      { name: "pve_migrate_qemu_vm", arguments: { vmid: 103, target: "pve3", online: true, with_local_disks: true, wait: 30 } },
      undefined,
      { ...TIMEOUT, onprogress: (p) => progress.push({ ...p, at: Date.now() }) },
    );
    const done = Date.now();
    assert(!res.isError, text(res));
    const st = res.structuredContent ?? json(res);
    assert(st.status === "stopped" && st.exitstatus === "OK", `task ${JSON.stringify(st)}`);
    // Percentages below 100, rising, each notified at least a poll before the result.
    const pct = progress.filter((p) => p.total === 100 && p.progress < 100 && p.at < done - 200).map((p) => p.progress);
    assert(pct.length >= 2 && pct.every((v, i) => i === 0 || v > pct[i - 1]), `percentages ${JSON.stringify(pct)} of ${JSON.stringify(progress)}`);
    assert(progress.some((p) => /migration active, transferred .* VM-state/.test(p.message ?? "")), "no migration progress line");
  });
}

// answerTypes records the Content-Type of every tools/call answer over HTTP,
// with whether the call asked for progress.
function answerTypes() {
  const seen = [];
  const fetchLike = async (url, init) => {
    const res = await fetch(url, init);
    let msg;
    try {
      msg = JSON.parse(init?.body ?? "");
    } catch {
      msg = undefined;
    }
    if (msg?.method === "tools/call") {
      seen.push({ progress: msg.params?._meta?.progressToken !== undefined, type: (res.headers.get("content-type") ?? "").split(";")[0] });
    }
    return res;
  };
  return { seen, fetchLike };
}

function stdioTransport(extraEnv) {
  const transport = new StdioClientTransport({
    command: localBin,
    args: ["-demo"],
    env: { ...process.env, ...extraEnv },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d) => (stderr += d));
  return { transport, stderr: () => stderr };
}

// 1. stdio, tier full.
{
  const { transport, stderr } = stdioTransport({ PVE_ACCESS_TIER: "full" });
  await withClient("stdio", transport, (c) => scenario("stdio", c));
  await check("stdio: demo mode announced on stderr", async () => {
    assert(stderr().includes("DEMO MODE"), `stderr: ${stderr().slice(0, 300)}`);
  });
}

// 2. Streamable HTTP, tier full (a separate process with its own demo cluster).
await check("http: /healthz answers ok", async () => {
  const res = await fetch(new URL("/healthz", httpURL));
  assert(res.status === 200, `status ${res.status}`);
  assert((await res.json()).status === "ok", "body");
});
{
  const answers = answerTypes();
  await withClient(
    "http",
    new StreamableHTTPClientTransport(new URL(httpURL), { fetch: answers.fetchLike }),
    (c) => scenario("http", c),
  );
  await check("http: a call with a progress token is answered as SSE, the others as JSON", async () => {
    const streamed = answers.seen.filter((a) => a.progress);
    const plain = answers.seen.filter((a) => !a.progress);
    assert(streamed.length === 2 && streamed.every((a) => a.type === "text/event-stream"), `progress calls answered as ${JSON.stringify(streamed)}`);
    assert(plain.length > 5 && plain.every((a) => a.type === "application/json"), `other calls answered as ${[...new Set(plain.map((a) => a.type))]}`);
  });
}

// 3. stdio, tier read-only: no write tool listed, and calling one fails.
{
  const { transport } = stdioTransport({ PVE_ACCESS_TIER: "read-only" });
  await withClient("stdio read-only", transport, async (client) => {
    await check(`stdio read-only: tools/list has the registry's ${toolsReadOnly} read-only tools`, async () => {
      const tools = await listAllTools(client);
      assert(tools.length === toolsReadOnly, `listed ${tools.length}, registry has ${toolsReadOnly}`);
      const writers = tools.filter((x) => x.annotations?.readOnlyHint !== true).map((x) => x.name);
      assert(writers.length === 0, `tools that are not read-only: ${writers.join(", ")}`);
    });
    await check("stdio read-only: pve_start_qemu_vm cannot be called", async () => {
      let refused = false;
      try {
        const res = await call(client, "pve_start_qemu_vm", { vmid: 102 });
        refused = res.isError === true;
      } catch {
        refused = true;
      }
      assert(refused, "a read-only server started a VM");
      assert((await guestStatus(client, 102)) === "stopped", "VM 102 is no longer stopped");
    });
  });
}

// 4. Streamable HTTP with bearer-token authentication: no or a wrong token is
// refused with 401; the token's own tier (read-only) limits what it sees.
for (const [label, headers] of [
  ["no token", {}],
  ["a wrong token", { Authorization: `Bearer ${"0".repeat(authToken.length)}` }],
]) {
  await check(`http auth: ${label} is refused with 401 and a Bearer challenge`, async () => {
    const res = await fetch(authURL, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    });
    assert(res.status === 401, `status ${res.status}`);
    assert(/^Bearer/i.test(res.headers.get("www-authenticate") ?? ""), "no WWW-Authenticate: Bearer");
  });
}
await withClient(
  "http auth",
  new StreamableHTTPClientTransport(new URL(authURL), {
    requestInit: { headers: { Authorization: `Bearer ${authToken}` } },
  }),
  async (client) => {
    await check(`http auth: the read-only token lists the ${toolsReadOnly} read-only tools`, async () => {
      const tools = await listAllTools(client);
      assert(tools.length === toolsReadOnly, `listed ${tools.length}, want ${toolsReadOnly}`);
    });
    await check("http auth: the read-only token can read but not start a VM", async () => {
      const nodes = json(await call(client, "pve_list_nodes", {}));
      assert(nodes.length === 3, `nodes ${nodes.length}`);
      let refused = false;
      try {
        refused = (await call(client, "pve_start_qemu_vm", { vmid: 102 })).isError === true;
      } catch {
        refused = true;
      }
      assert(refused, "a read-only token started a VM");
      assert((await guestStatus(client, 102)) === "stopped", "VM 102 is no longer stopped");
    });
  },
);

finish("e2e");
