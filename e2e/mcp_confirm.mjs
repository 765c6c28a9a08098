// End-to-end check of confirmation by elicitation (issue 13) with the
// official MCP TypeScript SDK client over stdio: cmd/local -demo with the
// production default PVE_CONFIRM=destructive, and a client that declares
// the elicitation capability. A destructive call asks the user a yes/no
// question carrying its summary; accept runs it, decline and cancel leave
// the cluster as it was and answer an error that says why. (The token path,
// for clients without elicitation, is e2e/mcp_compact.mjs's confirmScenario.)
// Run through e2e/mcp.sh, which sets:
//
//   E2E_LOCAL_BIN  path of the built cmd/local binary (stdio)
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { assert, call, check, env, finish, json, text, withClient } from "./harness.mjs";

const localBin = env("E2E_LOCAL_BIN");

// The user: answers each question with the next queued answer and keeps
// the questions asked.
const asked = [];
const answers = [];
function user(client) {
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params);
    const a = answers.shift();
    assert(a, `unexpected question: ${req.params.message}`);
    return a;
  });
}

async function vmStatus(client, vmid) {
  const res = await call(client, "pve_get_qemu_status", { vmid });
  assert(!res.isError, text(res));
  return json(res).status;
}

async function snapshots(client, vmid) {
  const res = await call(client, "pve_list_qemu_snapshots", { vmid });
  assert(!res.isError, text(res));
  return json(res).map((s) => s.name);
}

// ask runs one destructive call answered with answer and returns the
// result and the one question it asked.
async function ask(client, tool, args, answer) {
  asked.length = 0;
  answers.push(answer);
  const res = await call(client, tool, args);
  assert(asked.length === 1, `${asked.length} questions asked`);
  assert(answers.length === 0, "the question was not asked");
  const q = asked[0];
  assert(q.requestedSchema?.properties?.confirm?.type === "boolean", `schema ${JSON.stringify(q.requestedSchema)}`);
  return { res, question: q.message ?? "" };
}

async function scenario(t, client) {
  const stop = { vmid: 103, wait: 30 };
  for (const action of ["decline", "cancel"]) {
    await check(`${t}: pve_stop_qemu_vm asks, and ${action} leaves VM 103 running`, async () => {
      const { res, question } = await ask(client, "pve_stop_qemu_vm", stop, { action });
      assert(/^Hard-stop VM/.test(question) && question.includes('qemu 103 "build01" on node pve2, running') && /Proceed\?/.test(question), `question: ${question}`);
      assert(res.isError === true, `not an error: ${text(res)}`);
      assert(text(res).includes("pve_stop_qemu_vm was not run") && text(res).includes(action), text(res));
      assert((await vmStatus(client, 103)) === "running", "VM 103 is no longer running");
    });
  }
  await check(`${t}: a yes with confirm false leaves it running too`, async () => {
    const { res } = await ask(client, "pve_stop_qemu_vm", stop, { action: "accept", content: { confirm: false } });
    assert(res.isError === true && text(res).includes("said no"), text(res));
    assert((await vmStatus(client, 103)) === "running", "VM 103 is no longer running");
  });
  await check(`${t}: accept stops VM 103`, async () => {
    const { res } = await ask(client, "pve_stop_qemu_vm", stop, { action: "accept", content: { confirm: true } });
    assert(!res.isError, text(res));
    const st = res.structuredContent ?? json(res);
    assert(st.status === "stopped" && st.exitstatus === "OK", `task ${JSON.stringify(st)}`);
    assert((await vmStatus(client, 103)) === "stopped", "VM 103 is not stopped");
  });

  const del = { vmid: 101, snapname: "pre-upgrade", wait: 30 };
  await check(`${t}: pve_delete_qemu_snapshot names what it destroys; decline keeps it`, async () => {
    const { res, question } = await ask(client, "pve_delete_qemu_snapshot", del, { action: "decline" });
    assert(/^Delete VM snapshot/.test(question) && question.includes('qemu 101 "db01"') && question.includes("Snapshots: pre-upgrade"), `question: ${question}`);
    assert(res.isError === true && text(res).includes("decline"), text(res));
    assert((await snapshots(client, 101)).includes("pre-upgrade"), "the snapshot is gone");
  });
  await check(`${t}: accept deletes the snapshot`, async () => {
    const { res } = await ask(client, "pve_delete_qemu_snapshot", del, { action: "accept", content: { confirm: true } });
    assert(!res.isError, text(res));
    assert(!(await snapshots(client, 101)).includes("pre-upgrade"), "the snapshot is still there");
  });
  await check(`${t}: a call that needs no confirmation asks nothing`, async () => {
    asked.length = 0;
    const res = await call(client, "pve_list_nodes", {});
    assert(!res.isError && asked.length === 0, `${asked.length} questions`);
  });
}

const { PVE_TOOL_MODE: _ignored, ...inherited } = process.env;
await withClient(
  "elicit stdio",
  new StdioClientTransport({
    command: localBin,
    args: ["-demo"],
    env: { ...inherited, PVE_ACCESS_TIER: "full", PVE_TOOL_MODE: "all", PVE_CONFIRM: "destructive" },
    stderr: "ignore",
  }),
  (c) => scenario("elicit stdio", c),
  "pve-mcp-e2e-elicit",
  { capabilities: { elicitation: {} } },
  user,
);

finish("e2e elicit");
