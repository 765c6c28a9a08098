package pvesim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/internal/apischema"
)

// stNow is the pinned clock of these tests: Monday 2 June 2025, 10:00 UTC.
var stNow = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

func newStorageSim(t *testing.T, taskDuration time.Duration) *Sim {
	return New(Options{TokenID: "root@pam!t", TokenSecret: "s", TaskDuration: taskDuration, Now: func() time.Time { return stNow }, Answered: apischema.AnswerChecker(t)})
}

// stPost sends a form POST to a simulator and returns the status and data.
func stPost(t *testing.T, url_ string, path string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url_+"/api2/json"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Authorization", "PVEAPIToken=root@pam!t=s")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Data json.RawMessage }
	json.NewDecoder(res.Body).Decode(&out)
	var s string
	json.Unmarshal(out.Data, &s)
	return res.StatusCode, s
}

// Guest disks are derived from guest configs: a moved guest's disk moves
// with it on a local storage, and a new disk shows up at once.
func TestImageVolumesFollowGuests(t *testing.T) {
	s := newStorageSim(t, 0)
	lvm := s.storageByID("local-lvm")
	has := func(node, volid string) bool {
		for _, v := range s.imageVolumes(lvm, node) {
			if v.VolID == volid {
				return true
			}
		}
		return false
	}
	if !has("pve1", "local-lvm:vm-100-disk-0") || has("pve2", "local-lvm:vm-100-disk-0") {
		t.Fatal("vm-100-disk-0 should be on pve1 only")
	}
	s.guests[100].Node = "pve2"
	s.guests[100].Config["scsi1"] = "local-lvm:vm-100-disk-1,size=10G"
	if has("pve1", "local-lvm:vm-100-disk-0") || !has("pve2", "local-lvm:vm-100-disk-0") || !has("pve2", "local-lvm:vm-100-disk-1") {
		t.Error("disks did not follow the guest to pve2")
	}
	before := s.storageUsed(lvm, "pve2")
	s.guests[100].Config["scsi2"] = "local-lvm:vm-100-disk-2,size=50G"
	if got := s.storageUsed(lvm, "pve2") - before; got != 50<<30 {
		t.Errorf("used grew by %d, want 50 GiB", got)
	}
}

func TestParseContentAndIDs(t *testing.T) {
	if c, err := parseContent("dir", "iso, backup,iso"); err != nil || join(c) != "iso,backup" {
		t.Errorf("dir content: %v %v", c, err)
	}
	if _, err := parseContent("pbs", "images"); err == nil {
		t.Error("pbs accepted disk images")
	}
	for id, ok := range map[string]bool{"local": true, "nfs-backup": true, "a.b_c": true, "9lives": false, "x": false, "bad/id": false, "end-": false} {
		if reStorageID().MatchString(id) != ok {
			t.Errorf("storage id %q valid=%v, want %v", id, !ok, ok)
		}
	}
}
