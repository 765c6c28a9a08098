package tools

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// Every tool is found by its own name, first, with or without the prefix.
func TestSearchFindsEveryToolByName(t *testing.T) {
	for _, tool := range All() {
		for _, q := range []string{tool.Name, strings.TrimPrefix(tool.Name, "pve_"), strings.ToUpper(tool.Name)} {
			if got := SearchNames(All(), q, 1); len(got) == 0 || got[0] != tool.Name {
				t.Errorf("search %q ranks %v first", q, got)
			}
		}
	}
}

// retrievalSet is how operators ask, each with the tool that answers it.
var retrievalSet = []struct{ query, want string }{
	{"why won't VM 104 boot", "pve_get_task_log"},
	{"free space on local-lvm", "pve_get_storage_status"},
	{"who can log in", "pve_list_users"},
	{"list all virtual machines", "pve_list_qemu_vms"},
	{"show me the containers", "pve_list_lxc_containers"},
	{"start VM 100", "pve_start_qemu_vm"},
	{"power on container 201", "pve_start_lxc_container"},
	{"shut down the database server cleanly", "pve_shutdown_qemu_vm"},
	{"force stop a hung VM", "pve_stop_qemu_vm"},
	{"kill container 203", "pve_stop_lxc_container"},
	{"restart the web vm", "pve_reboot_qemu_vm"},
	{"reboot container", "pve_reboot_lxc_container"},
	{"pause a VM", "pve_suspend_qemu_vm"},
	{"resume a paused vm", "pve_resume_qemu_vm"},
	{"hard reset VM", "pve_reset_qemu_vm"},
	{"take a snapshot of VM 101 before upgrading", "pve_create_qemu_snapshot"},
	{"snapshot a container", "pve_create_lxc_snapshot"},
	{"roll back VM to snapshot", "pve_rollback_qemu_snapshot"},
	{"revert container to its snapshot", "pve_rollback_lxc_snapshot"},
	{"which snapshots does VM 101 have", "pve_list_qemu_snapshots"},
	{"container snapshots", "pve_list_lxc_snapshots"},
	{"delete an old VM snapshot", "pve_delete_qemu_snapshot"},
	{"remove container snapshot", "pve_delete_lxc_snapshot"},
	{"create a new VM", "pve_create_qemu_vm"},
	{"provision a container from a template", "pve_create_lxc_container"},
	{"destroy VM 102 permanently", "pve_delete_qemu_vm"},
	{"delete container", "pve_delete_lxc_container"},
	{"clone a VM from the template", "pve_clone_qemu_vm"},
	{"copy container to new id", "pve_clone_lxc_container"},
	{"migrate VM to another node", "pve_migrate_qemu_vm"},
	{"move container to pve2", "pve_migrate_lxc_container"},
	{"evacuate several guests to another host", "pve_bulk_migrate_guests"},
	{"start all guests at once", "pve_bulk_start_guests"},
	{"shut down many guests together", "pve_bulk_shutdown_guests"},
	{"how much memory does VM 100 use", "pve_get_qemu_status"},
	{"is container 200 running", "pve_get_lxc_status"},
	{"VM configuration", "pve_get_qemu_config"},
	{"container config", "pve_get_lxc_config"},
	{"change VM memory to 8 GB", "pve_update_qemu_config"},
	{"give the container more cores", "pve_update_lxc_config"},
	{"grow the VM disk by 10G", "pve_resize_qemu_disk"},
	{"enlarge container rootfs", "pve_resize_lxc_disk"},
	{"move VM disk to other storage", "pve_move_qemu_disk"},
	{"move container volume to ceph", "pve_move_lxc_volume"},
	{"detach a disk from the VM", "pve_unlink_qemu_disk"},
	{"CPU usage history of VM", "pve_get_qemu_rrddata"},
	{"container network traffic graph", "pve_get_lxc_rrddata"},
	{"what IP address does VM 100 have", "pve_get_qemu_agent_interfaces"},
	{"container IP addresses", "pve_get_lxc_interfaces"},
	{"which OS runs in the VM", "pve_get_qemu_agent_osinfo"},
	{"is the qemu guest agent running", "pve_ping_qemu_agent"},
	{"run a command inside the VM", "pve_exec_qemu_agent_command"},
	{"read /etc/hosts in the VM", "pve_read_qemu_agent_file"},
	{"write a file into the VM", "pve_write_qemu_agent_file"},
	{"set cloud-init ssh keys", "pve_set_qemu_cloudinit"},
	{"show cloud-init settings", "pve_get_qemu_cloudinit"},
	{"regenerate the cloud-init drive", "pve_regenerate_qemu_cloudinit"},
	{"what changes are pending until reboot for the VM", "pve_get_qemu_pending"},
	{"pending container changes", "pve_get_lxc_pending"},
	{"turn a VM into a template", "pve_convert_qemu_to_template"},
	{"convert container to template", "pve_convert_lxc_to_template"},
	{"list the nodes", "pve_list_nodes"},
	{"node load and uptime", "pve_get_node_status"},
	{"proxmox version on pve1", "pve_get_node_version"},
	{"dns servers of the node", "pve_get_node_dns"},
	{"node clock and timezone", "pve_get_node_time"},
	{"system journal of pve2", "pve_get_node_syslog"},
	{"which services run on the node", "pve_list_node_services"},
	{"restart pveproxy", "pve_manage_node_service"},
	{"are there apt updates", "pve_list_node_updates"},
	{"physical disks in the host", "pve_list_node_disks"},
	{"SMART health of /dev/sda", "pve_get_disk_smart"},
	{"is the cluster quorate", "pve_get_cluster_status"},
	{"overall cluster health", "pve_get_cluster_summary"},
	{"everything in the cluster with usage", "pve_list_cluster_resources"},
	{"find guests tagged production", "pve_find_guests"},
	{"recent cluster log", "pve_get_cluster_log"},
	{"datacenter options", "pve_get_cluster_options"},
	{"change datacenter settings", "pve_update_cluster_options"},
	{"next free vmid", "pve_get_next_vmid"},
	{"ceph health", "pve_get_ceph_status"},
	{"ceph OSDs", "pve_list_ceph_osds"},
	{"replication jobs", "pve_list_cluster_replication"},
	{"did replication fail", "pve_list_replication_status"},
	{"storage definitions", "pve_list_storage"},
	{"storages on node pve1", "pve_list_node_storage"},
	{"which ISOs are on the storage", "pve_list_storage_content"},
	{"add an NFS storage", "pve_create_storage"},
	{"remove a storage", "pve_delete_storage"},
	{"change storage settings", "pve_update_storage"},
	{"download an ISO from a URL", "pve_download_url_to_storage"},
	{"pull a docker image", "pve_pull_oci_image"},
	{"container templates available to download", "pve_list_appliance_templates"},
	{"delete an old backup file", "pve_delete_storage_volume"},
	{"list users", "pve_list_users"},
	{"add a user", "pve_create_user"},
	{"remove user bob", "pve_delete_user"},
	{"disable a user account", "pve_update_user"},
	{"user groups", "pve_list_groups"},
	{"roles and privileges", "pve_list_roles"},
	{"authentication realms", "pve_list_domains"},
	{"who has access to what", "pve_list_acls"},
	{"grant a role to a user", "pve_update_acl"},
	{"what am I allowed to do", "pve_get_permissions"},
	{"resource pools", "pve_list_pools"},
	{"create a pool", "pve_create_pool"},
	{"add VM to pool", "pve_update_pool"},
	{"network interfaces of the node", "pve_list_networks"},
	{"create a bridge", "pve_create_network"},
	{"apply network changes", "pve_apply_network"},
	{"discard pending network changes", "pve_revert_network"},
	{"SDN zones", "pve_list_sdn_zones"},
	{"vnets", "pve_list_sdn_vnets"},
	{"cluster firewall rules", "pve_list_firewall_rules"},
	{"open port 443 in the cluster firewall", "pve_create_firewall_rule"},
	{"firewall rules of VM 100", "pve_list_guest_firewall_rules"},
	{"allow ssh to container 201 firewall", "pve_create_guest_firewall_rule"},
	{"firewall aliases", "pve_list_firewall_aliases"},
	{"ip sets", "pve_list_firewall_ipsets"},
	{"enable the firewall", "pve_update_firewall_options"},
	{"firewall log of VM", "pve_get_guest_firewall_log"},
	{"backup jobs", "pve_list_backup_jobs"},
	{"schedule nightly backups", "pve_create_backup_job"},
	{"back up VM 100 now", "pve_run_backup"},
	{"which guests have no backup", "pve_list_cluster_backup_info"},
	{"restore a VM from backup", "pve_restore_qemu_vm"},
	{"restore container from vzdump", "pve_restore_lxc_container"},
	{"recent tasks", "pve_list_tasks"},
	{"wait for the task to finish", "pve_wait_task"},
	{"is the task done", "pve_get_task_status"},
	{"abort a running task", "pve_stop_task"},
	{"HA status", "pve_get_cluster_ha_status"},
	{"put VM under high availability", "pve_create_ha_resource"},
	{"HA managed guests", "pve_list_ha_resources"},
	{"HA rules", "pve_list_ha_rules"},
	{"disarm HA for maintenance", "pve_disarm_ha"},
	{"keep two VMs on different nodes", "pve_create_ha_rule"},
	// Added after the ranking was tuned on the requests above, and not tuned
	// on: they show how it does on words it was not fitted to.
	{"list VMs on pve3", "pve_list_qemu_vms"},
	{"how full is the ceph pool", "pve_get_ceph_status"},
	{"which VMs are stopped", "pve_find_guests"},
	{"show the config of container 200", "pve_get_lxc_config"},
	{"stop task UPID", "pve_stop_task"},
	{"log of a backup task", "pve_get_task_log"},
	{"kernel version of the host", "pve_get_node_status"},
	{"delete a firewall rule of the cluster", "pve_delete_firewall_rule"},
	{"change HA resource state to stopped", "pve_update_ha_resource"},
	{"remove VM from HA", "pve_delete_ha_resource"},
	{"re-enable HA after maintenance", "pve_arm_ha"},
	{"add a storage to a pool", "pve_update_pool"},
	{"delete the pool", "pve_delete_pool"},
	{"edit backup job schedule", "pve_create_backup_job"},
	{"remove backup job", "pve_delete_backup_job"},
	{"details of one backup job", "pve_get_backup_job"},
	{"disk usage of storage local", "pve_get_storage_status"},
	{"change the IP of vmbr0", "pve_update_network"},
	{"delete interface vmbr9", "pve_delete_network"},
	{"user details of root@pam", "pve_get_user"},
	{"firewall options of VM 100", "pve_get_guest_firewall_options"},
	{"cluster firewall options", "pve_get_firewall_options"},
	{"suspend container", "pve_suspend_lxc_container"},
	{"resume container", "pve_resume_lxc_container"},
	{"HA rule details", "pve_get_ha_rule"},
	{"change an HA rule", "pve_update_ha_rule"},
	{"storage config of local-lvm", "pve_get_storage_config"},
	{"pool members", "pve_get_pool"},
	{"interface details vmbr0", "pve_get_network"},
	{"suspend several VMs", "pve_bulk_suspend_guests"},
}

// The expected tool is in the top 3 for at least 95 % of the requests.
func TestSearchRetrieval(t *testing.T) {
	if len(retrievalSet) < 100 {
		t.Fatalf("%d requests; the set needs at least 100", len(retrievalSet))
	}
	top1, top3 := 0, 0
	for _, c := range retrievalSet {
		if !slices.ContainsFunc(All(), func(tl *Tool) bool { return tl.Name == c.want }) {
			t.Fatalf("%q expects %s, which does not exist", c.query, c.want)
		}
		got := SearchNames(All(), c.query, 3)
		switch i := slices.Index(got, c.want); {
		case i == 0:
			top1++
			top3++
		case i > 0:
			top3++
		default:
			t.Logf("miss: %q -> %v (want %s)", c.query, got, c.want)
		}
	}
	n := len(retrievalSet)
	t.Logf("retrieval: %d requests, top-1 %.1f %%, top-3 %.1f %%", n, 100*float64(top1)/float64(n), 100*float64(top3)/float64(n))
	if float64(top3) < 0.95*float64(n) {
		t.Errorf("expected tool in the top 3 for %d of %d requests (%.1f %%), want >= 95 %%", top3, n, 100*float64(top3)/float64(n))
	}
}

// The answer's shape: hits carry what a call needs; an empty query answers
// categories; a browse lists without schemas; bounds are enforced.
func TestSearchAnswer(t *testing.T) {
	var hits []searchHit
	out, err := searchAnswer(&Env{}, All(), searchIn{Query: "start a VM", Limit: 2})
	if err != nil || json.Unmarshal(out.Data, &hits) != nil || len(hits) != 2 || hits[0].InputSchema == nil || hits[0].Via == "" {
		t.Fatalf("search: %v %s", err, out.Data)
	}
	var cats []categoryCount
	out, _ = searchAnswer(&Env{}, All(), searchIn{})
	if json.Unmarshal(out.Data, &cats) != nil || len(cats) != len(Categories) {
		t.Fatalf("categories: %s", out.Data)
	}
	total := 0
	for _, c := range cats {
		total += c.Tools
	}
	if total != len(All()) {
		t.Errorf("categories count %d tools, registry %d", total, len(All()))
	}
	out, _ = searchAnswer(&Env{}, All(), searchIn{Category: "pools"})
	hits = nil
	if json.Unmarshal(out.Data, &hits) != nil || len(hits) != 5 || hits[0].InputSchema != nil || !strings.Contains(out.Note, "name") {
		t.Errorf("browse pools: %s %q", out.Data, out.Note)
	}
	if _, err := searchAnswer(&Env{}, All(), searchIn{Query: strings.Repeat("vm ", 200)}); err == nil {
		t.Error("a 600-character query was accepted")
	}
	out, _ = searchAnswer(&Env{}, All(), searchIn{Query: "zzzz qqqq"})
	if string(out.Data) != "[]" || out.Note == "" {
		t.Errorf("no match: %s %q", out.Data, out.Note)
	}
}
