package tools

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type refTool struct {
	name string
	cat  Category
	tier Tier
}

// referenceTools is the reference server's tool set (mcp-pve 0.7.0): every
// name with its category and minimum tier. These are facts pve-mcp keeps for
// drop-in compatibility (../shared/reference/seed-0.7.0-endpoints.tsv).
var referenceTools = []refTool{
	{"pve_list_nodes", Nodes, ReadOnly},
	{"pve_get_node_status", Nodes, ReadOnly},
	{"pve_get_node_version", Nodes, ReadOnly},
	{"pve_get_node_dns", Nodes, ReadOnly},
	{"pve_get_node_time", Nodes, ReadOnly},
	{"pve_get_node_syslog", Nodes, ReadOnly},
	{"pve_list_node_services", Nodes, ReadOnly},
	{"pve_manage_node_service", Nodes, ReadExecute},
	{"pve_list_qemu_vms", QEMU, ReadOnly},
	{"pve_get_qemu_status", QEMU, ReadOnly},
	{"pve_get_qemu_config", QEMU, ReadOnly},
	{"pve_get_qemu_rrddata", QEMU, ReadOnly},
	{"pve_list_qemu_snapshots", QEMU, ReadOnly},
	{"pve_start_qemu_vm", QEMU, ReadExecute},
	{"pve_stop_qemu_vm", QEMU, ReadExecute},
	{"pve_shutdown_qemu_vm", QEMU, ReadExecute},
	{"pve_reboot_qemu_vm", QEMU, ReadExecute},
	{"pve_suspend_qemu_vm", QEMU, ReadExecute},
	{"pve_resume_qemu_vm", QEMU, ReadExecute},
	{"pve_reset_qemu_vm", QEMU, ReadExecute},
	{"pve_migrate_qemu_vm", QEMU, ReadExecute},
	{"pve_create_qemu_vm", QEMU, Full},
	{"pve_delete_qemu_vm", QEMU, Full},
	{"pve_update_qemu_config", QEMU, Full},
	{"pve_clone_qemu_vm", QEMU, Full},
	{"pve_create_qemu_snapshot", QEMU, Full},
	{"pve_delete_qemu_snapshot", QEMU, Full},
	{"pve_rollback_qemu_snapshot", QEMU, Full},
	{"pve_list_lxc_containers", LXC, ReadOnly},
	{"pve_get_lxc_status", LXC, ReadOnly},
	{"pve_get_lxc_config", LXC, ReadOnly},
	{"pve_get_lxc_rrddata", LXC, ReadOnly},
	{"pve_list_lxc_snapshots", LXC, ReadOnly},
	{"pve_start_lxc_container", LXC, ReadExecute},
	{"pve_stop_lxc_container", LXC, ReadExecute},
	{"pve_shutdown_lxc_container", LXC, ReadExecute},
	{"pve_reboot_lxc_container", LXC, ReadExecute},
	{"pve_suspend_lxc_container", LXC, ReadExecute},
	{"pve_resume_lxc_container", LXC, ReadExecute},
	{"pve_create_lxc_container", LXC, Full},
	{"pve_delete_lxc_container", LXC, Full},
	{"pve_update_lxc_config", LXC, Full},
	{"pve_clone_lxc_container", LXC, Full},
	{"pve_create_lxc_snapshot", LXC, Full},
	{"pve_delete_lxc_snapshot", LXC, Full},
	{"pve_rollback_lxc_snapshot", LXC, Full},
	{"pve_list_storage", Storage, ReadOnly},
	{"pve_get_storage_config", Storage, ReadOnly},
	{"pve_list_node_storage", Storage, ReadOnly},
	{"pve_get_storage_status", Storage, ReadOnly},
	{"pve_list_storage_content", Storage, ReadOnly},
	{"pve_pull_oci_image", Storage, ReadExecute},
	{"pve_create_storage", Storage, Full},
	{"pve_update_storage", Storage, Full},
	{"pve_delete_storage", Storage, Full},
	{"pve_get_cluster_status", Cluster, ReadOnly},
	{"pve_list_cluster_resources", Cluster, ReadOnly},
	{"pve_get_next_vmid", Cluster, ReadOnly},
	{"pve_get_cluster_log", Cluster, ReadOnly},
	{"pve_get_cluster_options", Cluster, ReadOnly},
	{"pve_list_cluster_backup_info", Cluster, ReadOnly},
	{"pve_get_cluster_ha_status", Cluster, ReadOnly},
	{"pve_list_cluster_replication", Cluster, ReadOnly},
	{"pve_bulk_start_guests", Cluster, ReadExecute},
	{"pve_bulk_shutdown_guests", Cluster, ReadExecute},
	{"pve_bulk_suspend_guests", Cluster, ReadExecute},
	{"pve_bulk_migrate_guests", Cluster, ReadExecute},
	{"pve_update_cluster_options", Cluster, Full},
	{"pve_list_users", Access, ReadOnly},
	{"pve_get_user", Access, ReadOnly},
	{"pve_list_roles", Access, ReadOnly},
	{"pve_list_groups", Access, ReadOnly},
	{"pve_list_acls", Access, ReadOnly},
	{"pve_list_domains", Access, ReadOnly},
	{"pve_create_user", Access, Full},
	{"pve_update_user", Access, Full},
	{"pve_delete_user", Access, Full},
	{"pve_update_acl", Access, Full},
	{"pve_list_pools", Pools, ReadOnly},
	{"pve_get_pool", Pools, ReadOnly},
	{"pve_create_pool", Pools, Full},
	{"pve_update_pool", Pools, Full},
	{"pve_delete_pool", Pools, Full},
	{"pve_list_networks", Network, ReadOnly},
	{"pve_get_network", Network, ReadOnly},
	{"pve_create_network", Network, Full},
	{"pve_update_network", Network, Full},
	{"pve_delete_network", Network, Full},
	{"pve_get_firewall_options", Firewall, ReadOnly},
	{"pve_list_firewall_rules", Firewall, ReadOnly},
	{"pve_list_firewall_aliases", Firewall, ReadOnly},
	{"pve_list_firewall_ipsets", Firewall, ReadOnly},
	{"pve_update_firewall_options", Firewall, Full},
	{"pve_create_firewall_rule", Firewall, Full},
	{"pve_update_firewall_rule", Firewall, Full},
	{"pve_delete_firewall_rule", Firewall, Full},
	{"pve_list_backup_jobs", Backup, ReadOnly},
	{"pve_get_backup_job", Backup, ReadOnly},
	{"pve_run_backup", Backup, ReadExecute},
	{"pve_create_backup_job", Backup, Full},
	{"pve_delete_backup_job", Backup, Full},
	{"pve_list_tasks", Tasks, ReadOnly},
	{"pve_get_task_status", Tasks, ReadOnly},
	{"pve_get_task_log", Tasks, ReadOnly},
	{"pve_stop_task", Tasks, ReadExecute},
	{"pve_list_ha_resources", HA, ReadOnly},
	{"pve_get_ha_resource", HA, ReadOnly},
	{"pve_list_ha_rules", HA, ReadOnly},
	{"pve_get_ha_rule", HA, ReadOnly},
	{"pve_create_ha_resource", HA, Full},
	{"pve_update_ha_resource", HA, Full},
	{"pve_delete_ha_resource", HA, Full},
	{"pve_create_ha_rule", HA, Full},
	{"pve_update_ha_rule", HA, Full},
	{"pve_delete_ha_rule", HA, Full},
	{"pve_disarm_ha", HA, Full},
	{"pve_arm_ha", HA, Full},
}

// addedIn070 are the tools 0.7.0 added to 0.1.0's 105 (for Proxmox VE 9.2):
// bulk guest actions, OCI image pull, HA rules, HA arm/disarm.
var addedIn070 = []string{
	"pve_arm_ha", "pve_disarm_ha",
	"pve_bulk_migrate_guests", "pve_bulk_shutdown_guests", "pve_bulk_start_guests", "pve_bulk_suspend_guests",
	"pve_create_ha_rule", "pve_delete_ha_rule", "pve_get_ha_rule", "pve_list_ha_rules", "pve_update_ha_rule",
	"pve_pull_oci_image",
}

// extensions are the tools pve-mcp declares beyond the reference's. Each is
// listed here on purpose, so a stray or misnamed tool cannot slip in.
var extensions = []refTool{
	{"pve_wait_task", Tasks, ReadOnly},
	{"pve_find_guests", Cluster, ReadOnly},
	{"pve_get_cluster_summary", Cluster, ReadOnly},
	{"pve_list_clusters", Cluster, ReadOnly}, // only with several clusters
	{"pve_ping_qemu_agent", QEMU, ReadOnly},
	{"pve_get_qemu_agent_osinfo", QEMU, ReadOnly},
	{"pve_get_qemu_agent_interfaces", QEMU, ReadOnly},
	{"pve_read_qemu_agent_file", QEMU, Full},
	{"pve_exec_qemu_agent_command", QEMU, Full},
	{"pve_write_qemu_agent_file", QEMU, Full},
	{"pve_get_qemu_cloudinit", QEMU, ReadOnly},
	{"pve_set_qemu_cloudinit", QEMU, Full},
	{"pve_regenerate_qemu_cloudinit", QEMU, Full},
	{"pve_resize_qemu_disk", QEMU, Full},
	{"pve_resize_lxc_disk", LXC, Full},
	{"pve_move_qemu_disk", QEMU, Full},
	{"pve_move_lxc_volume", LXC, Full},
	{"pve_unlink_qemu_disk", QEMU, Full},
	{"pve_convert_qemu_to_template", QEMU, Full},
	{"pve_convert_lxc_to_template", LXC, Full},
	{"pve_download_url_to_storage", Storage, Full},
	{"pve_list_appliance_templates", Storage, ReadOnly},
	{"pve_list_guest_firewall_rules", Firewall, ReadOnly},
	{"pve_create_guest_firewall_rule", Firewall, Full},
	{"pve_update_guest_firewall_rule", Firewall, Full},
	{"pve_delete_guest_firewall_rule", Firewall, Full},
	{"pve_get_guest_firewall_options", Firewall, ReadOnly},
	{"pve_update_guest_firewall_options", Firewall, Full},
	{"pve_get_guest_firewall_log", Firewall, ReadOnly},
	{"pve_get_lxc_interfaces", LXC, ReadOnly},
	{"pve_migrate_lxc_container", LXC, ReadExecute},
	{"pve_get_ceph_status", Cluster, ReadOnly},
	{"pve_list_ceph_osds", Cluster, ReadOnly},
	{"pve_list_sdn_zones", Network, ReadOnly},
	{"pve_list_sdn_vnets", Network, ReadOnly},
	{"pve_apply_network", Network, Full},
	{"pve_revert_network", Network, Full},
	{"pve_restore_qemu_vm", Backup, Full},
	{"pve_restore_lxc_container", Backup, Full},
	{"pve_delete_storage_volume", Storage, Full},
	{"pve_get_qemu_pending", QEMU, ReadOnly},
	{"pve_get_lxc_pending", LXC, ReadOnly},
	{"pve_list_node_updates", Nodes, ReadOnly},
	{"pve_get_permissions", Access, ReadOnly},
	{"pve_list_node_disks", Nodes, ReadOnly},
	{"pve_get_disk_smart", Nodes, ReadOnly},
	{"pve_list_replication_status", Cluster, ReadOnly},
}

// tierCounts counts the tools a server at each tier registers (cumulative).
func tierCounts(names []string, tierOf func(string) Tier) [3]int {
	var n [3]int
	for _, name := range names {
		for tier := tierOf(name); tier <= Full; tier++ {
			n[tier]++
		}
	}
	return n
}

// TestReferenceTableIsConsistent guards the table above against edits: it
// must hold the reference's published figures.
func TestReferenceTableIsConsistent(t *testing.T) {
	tierOf := map[string]Tier{}
	var all, v010 []string
	for _, r := range referenceTools {
		if _, dup := tierOf[r.name]; dup {
			t.Errorf("%s listed twice", r.name)
		}
		tierOf[r.name] = r.tier
		all = append(all, r.name)
		if !slices.Contains(addedIn070, r.name) {
			v010 = append(v010, r.name)
		}
	}
	for _, n := range addedIn070 {
		if _, ok := tierOf[n]; !ok {
			t.Errorf("addedIn070 names %s, which is not in referenceTools", n)
		}
	}
	get := func(n string) Tier { return tierOf[n] }
	if got, want := tierCounts(all, get), [3]int{53, 75, 117}; got != want {
		t.Errorf("0.7.0 tier counts = %v, want %v", got, want)
	}
	if got, want := tierCounts(v010, get), [3]int{51, 68, 105}; got != want {
		t.Errorf("0.1.0 tier counts = %v, want %v", got, want)
	}
}

// TestToolsMatchReference: every tool we declare has the reference's name,
// category and minimum tier, or is one of our listed extensions. (Passes for
// any subset of the reference.)
func TestToolsMatchReference(t *testing.T) {
	known := append(slices.Clone(referenceTools), extensions...)
	for _, tool := range All() {
		i := slices.IndexFunc(known, func(r refTool) bool { return r.name == tool.Name })
		if i < 0 {
			t.Errorf("%s is neither a reference tool name nor a listed extension", tool.Name)
			continue
		}
		r := known[i]
		if tool.Category != r.cat || tool.Tier != r.tier {
			t.Errorf("%s: category %s, tier %s; want %s, %s", tool.Name, tool.Category, tool.Tier, r.cat, r.tier)
		}
	}
}

// TestAllReferenceToolsExist and TestTierCounts state the final target: all
// 117 reference tools (read-only 53, read-execute 75, full 117; 0.1.0's
// subset 51 / 68 / 105), plus the extensions above.
func TestAllReferenceToolsExist(t *testing.T) {
	have := map[string]bool{}
	for _, tool := range All() {
		have[tool.Name] = true
	}
	var missing []string
	for _, r := range referenceTools {
		if !have[r.name] {
			missing = append(missing, r.name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d reference tools missing: %s", len(missing), len(referenceTools), strings.Join(missing, ", "))
	}
}

func TestTierCounts(t *testing.T) {
	tierOf := map[string]Tier{}
	var all, ref, v010 []string
	for _, tool := range All() {
		tierOf[tool.Name] = tool.Tier
		all = append(all, tool.Name)
		if !slices.ContainsFunc(referenceTools, func(r refTool) bool { return r.name == tool.Name }) {
			continue
		}
		ref = append(ref, tool.Name)
		if !slices.Contains(addedIn070, tool.Name) {
			v010 = append(v010, tool.Name)
		}
	}
	get := func(n string) Tier { return tierOf[n] }
	if got, want := tierCounts(ref, get), [3]int{53, 75, 117}; got != want {
		t.Errorf("reference tools per tier (read-only, read-execute, full) = %v, want %v", got, want)
	}
	if got, want := tierCounts(v010, get), [3]int{51, 68, 105}; got != want {
		t.Errorf("0.1.0's tools per tier = %v, want %v", got, want)
	}
	// The whole registry: the reference's 117 plus our extensions.
	want := [3]int{53, 75, 117}
	for _, x := range extensions {
		for tier := x.tier; tier <= Full; tier++ {
			want[tier]++
		}
	}
	if got := tierCounts(all, get); got != want {
		t.Errorf("registry tools per tier = %v, want %v (reference + extensions)", got, want)
	}
	// The registry's own selection must agree with the declarations.
	for tier := ReadOnly; tier <= Full; tier++ {
		sel, err := Select(Selection{Tier: tier, ManyClusters: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(sel), tierCounts(all, get)[tier]; got != want {
			t.Errorf("Select(tier %s) = %d tools, want %d", tier, got, want)
		}
		for _, s := range sel {
			if s.Tier > tier {
				t.Errorf("Select(tier %s) holds %s of tier %s", tier, s.Name, s.Tier)
			}
		}
	}
}

// readingPOSTs only read, though Proxmox declares the call POST: the agent
// ping needs VM.GuestAgent.Audit, like the agent's GET reads.
var readingPOSTs = map[string]bool{"pve_ping_qemu_agent": true}

// sensitiveReads only read, but guest data (files inside a VM), which a
// read-only token must not reach: they need a higher tier.
var sensitiveReads = map[string]bool{"pve_read_qemu_agent_file": true}

// TestKindFitsTier: a tool a read-only server registers only reads, and a
// tool that only reads is declared Read (so its annotations say so).
func TestKindFitsTier(t *testing.T) {
	for _, tool := range All() {
		if tool.Tier == ReadOnly && tool.Kind != Read {
			t.Errorf("%s is in tier read-only but its kind is not Read", tool.Name)
		}
		if tool.Kind == Read && !readingPOSTs[tool.Name] {
			for _, c := range tool.Calls {
				if c.Method != "GET" {
					t.Errorf("%s is declared Read but may call %s %s", tool.Name, c.Method, c.Path)
				}
			}
		}
		if tool.Tier > ReadOnly && tool.Kind == Read && !sensitiveReads[tool.Name] {
			t.Errorf("%s only reads but needs tier %s", tool.Name, tool.Tier)
		}
	}
}

// TestCategoryAlone: PVE_CATEGORIES naming one category registers exactly
// that category's tools, as many as the reference has (plus extensions).
func TestCategoryAlone(t *testing.T) {
	refCount := map[Category]int{}
	for _, r := range append(slices.Clone(referenceTools), extensions...) {
		refCount[r.cat]++
	}
	for _, cat := range Categories {
		t.Run(string(cat), func(t *testing.T) {
			cats, err := ParseCategories(" " + strings.ToUpper(string(cat)) + " ")
			if err != nil {
				t.Fatal(err)
			}
			sel, err := Select(Selection{Tier: Full, Categories: cats, ManyClusters: true})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, tool := range All() {
				if tool.Category == cat {
					want = append(want, tool.Name)
				}
			}
			if got := names(sel); !slices.Equal(got, want) {
				t.Errorf("PVE_CATEGORIES=%s registers %v, want %v", cat, got, want)
			}
			if len(sel) != refCount[cat] {
				t.Errorf("PVE_CATEGORIES=%s registers %d tools; want %d (reference + extensions)", cat, len(sel), refCount[cat])
			}
		})
	}
	// Two categories: the union, nothing else.
	cats, err := ParseCategories("nodes,tasks")
	if err != nil {
		t.Fatal(err)
	}
	sel, err := Select(Selection{Tier: Full, Categories: cats})
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range sel {
		if tool.Category != Nodes && tool.Category != Tasks {
			t.Errorf("PVE_CATEGORIES=nodes,tasks registers %s (%s)", tool.Name, tool.Category)
		}
	}
	if len(sel) != refCount[Nodes]+refCount[Tasks] {
		t.Errorf("PVE_CATEGORIES=nodes,tasks registers %d tools, want %d", len(sel), refCount[Nodes]+refCount[Tasks])
	}
	if _, err := ParseCategories("nodes,vms"); err == nil || !strings.Contains(err.Error(), `"vms"`) {
		t.Errorf("unknown category: err = %v, want an error naming vms", err)
	}
}

func names(ts []*Tool) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// TestAllowDenyLists covers PVE_TOOL_WHITELIST / PVE_TOOL_BLACKLIST: the deny
// list wins, neither lifts a tool above the tier or outside the categories,
// and an unknown name is an error naming it.
func TestAllowDenyLists(t *testing.T) {
	const (
		list   = "pve_list_nodes"      // read-only, nodes
		status = "pve_get_task_status" // read-only, tasks
		start  = "pve_start_qemu_vm"   // read-execute, qemu
	)
	for _, tc := range []struct {
		name string
		sel  Selection
		want []string
	}{
		{"allow only", Selection{Tier: Full, Allow: []string{start, list}}, []string{list, start}},
		{"allow cannot lift above tier", Selection{Tier: ReadOnly, Allow: []string{start, list}}, []string{list}},
		{"allow stays within categories", Selection{Tier: Full, Categories: []Category{Tasks}, Allow: []string{list, status}}, []string{status}},
		{"deny wins over allow", Selection{Tier: Full, Allow: []string{list, start}, Deny: []string{start}}, []string{list}},
		{"deny everything allowed", Selection{Tier: Full, Allow: []string{list}, Deny: []string{list}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Select(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(sel); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("deny alone removes only the named", func(t *testing.T) {
		sel, err := Select(Selection{Tier: Full, Deny: []string{list, start}, ManyClusters: true})
		if err != nil {
			t.Fatal(err)
		}
		got := names(sel)
		if slices.Contains(got, list) || slices.Contains(got, start) || len(got) != len(All())-2 {
			t.Errorf("deny %s,%s: got %d tools %v", list, start, len(got), got)
		}
	})

	for _, sel := range []Selection{
		{Tier: Full, Allow: []string{list, "pve_list_vms"}},
		{Tier: Full, Deny: []string{"pve_list_vms"}},
	} {
		_, err := Select(sel)
		if err == nil || !strings.Contains(err.Error(), "pve_list_vms") {
			t.Errorf("Select(%+v): err = %v, want an error naming pve_list_vms", sel, err)
		}
	}

	if got := ParseList(" pve_list_nodes, ,pve_start_qemu_vm ,"); !slices.Equal(got, []string{list, start}) {
		t.Errorf("ParseList = %q", got)
	}
}

// TestFilteringOverMCP: a server below tier full lists no tool above its
// tier, and calling one fails without reaching Proxmox.
func TestFilteringOverMCP(t *testing.T) {
	for _, tc := range []struct {
		tier    Tier
		blocked string
		args    map[string]any
	}{
		{ReadOnly, "pve_start_qemu_vm", map[string]any{"vmid": 102}},
		{ReadExecute, "pve_delete_qemu_vm", map[string]any{"vmid": 102}},
	} {
		t.Run(tc.tier.String(), func(t *testing.T) {
			e := newTestEnv(t, Selection{Tier: tc.tier})
			res, err := e.session.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Select(Selection{Tier: tc.tier})
			if len(res.Tools) != len(want) {
				t.Errorf("tools/list has %d tools, want %d", len(res.Tools), len(want))
			}
			byName := map[string]*Tool{}
			for _, tool := range All() {
				byName[tool.Name] = tool
			}
			for _, lt := range res.Tools {
				decl := byName[lt.Name]
				if decl == nil || decl.Tier > tc.tier {
					t.Errorf("tier %s lists %s", tc.tier, lt.Name)
				}
				if tc.tier == ReadOnly && (lt.Annotations == nil || !lt.Annotations.ReadOnlyHint) {
					t.Errorf("read-only server lists %s without readOnlyHint", lt.Name)
				}
				if lt.Name == tc.blocked {
					t.Errorf("tier %s lists %s", tc.tier, tc.blocked)
				}
			}

			before, _ := e.sim.Guest(102)
			e.sim.ResetRequests()
			cres, err := e.session.CallTool(context.Background(), &mcp.CallToolParams{Name: tc.blocked, Arguments: tc.args})
			if err == nil && !cres.IsError {
				t.Fatalf("tier %s: calling %s succeeded: %s", tc.tier, tc.blocked, resultText(cres))
			}
			if err == nil || !strings.Contains(err.Error(), tc.blocked) {
				t.Errorf("tier %s: calling %s: err = %v, want an unknown-tool error naming it", tc.tier, tc.blocked, err)
			}
			if reqs := e.sim.Requests(); len(reqs) > 0 {
				t.Errorf("calling a filtered tool reached Proxmox: %+v", reqs)
			}
			after, _ := e.sim.Guest(102)
			if after.Status != before.Status || after.Status != "stopped" {
				t.Errorf("VM 102 status %q -> %q, want it left stopped", before.Status, after.Status)
			}
		})
	}
}

// Every tool has a title clients can show people: a few words, no final
// period, none shared by two tools.
func TestTitles(t *testing.T) {
	seen := map[string]string{}
	for _, tool := range append(slices.Clone(All()), searchTool()) {
		title := tool.Title
		switch {
		case title == "":
			t.Errorf("%s has no Title", tool.Name)
		case len(title) > 40 || len(strings.Fields(title)) > 6:
			t.Errorf("%s: title %q is more than a few words", tool.Name, title)
		case strings.HasSuffix(title, "."):
			t.Errorf("%s: title %q ends with a period", tool.Name, title)
		case seen[title] != "":
			t.Errorf("%s and %s share the title %q", seen[title], tool.Name, title)
		}
		seen[title] = tool.Name
	}
}

// tools/list carries a cache hint: a caller's list lasts as long as the deployment.
func TestListIsCacheable(t *testing.T) {
	e := newTestEnv(t, Selection{Tier: ReadOnly})
	res, err := e.session.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.TTLMs != int(listTTL.Milliseconds()) || res.CacheScope != "private" {
		t.Errorf("tools/list ttlMs %d, cacheScope %q; want %d, private", res.TTLMs, res.CacheScope, listTTL.Milliseconds())
	}
}
