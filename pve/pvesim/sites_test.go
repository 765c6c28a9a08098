package pvesim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/internal/apischema"
)

// getAs sends GET path with the given token and returns the status and data.
func getAs(t *testing.T, base, path, token string) (int, json.RawMessage) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api2/json"+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "PVEAPIToken="+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Data json.RawMessage `json:"data"`
	}
	json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body.Data
}

// The office site is a cluster of its own: other nodes and guests, and
// nothing in it (HA, pools, replication, backup jobs) names a guest or
// node of the lab.
func TestOfficeSiteIsConsistent(t *testing.T) {
	s := New(Options{TokenID: "root@pam!t", TokenSecret: "s", Site: "office",
		Now: func() time.Time { return time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC) }, Answered: apischema.AnswerChecker(t)})
	ts := httptest.NewServer(s)
	defer ts.Close()
	tok := "root@pam!t=s"

	_, data := getAs(t, ts.URL, "/cluster/resources?type=vm", tok)
	var res []struct {
		VMID int    `json:"vmid"`
		Node string `json:"node"`
		Name string `json:"name"`
	}
	json.Unmarshal(data, &res)
	guests := map[int]bool{}
	for _, r := range res {
		guests[r.VMID] = true
		if !strings.HasPrefix(r.Node, "office") {
			t.Errorf("guest %d on node %q, not an office node", r.VMID, r.Node)
		}
	}
	if !guests[100] || guests[101] || len(res) != 5 {
		t.Fatalf("office guests = %+v, want 5 guests with 100 and without the lab's 101", res)
	}

	for _, c := range []struct{ path, field string }{
		{"/cluster/ha/resources", "sid"},
		{"/cluster/replication", "guest"},
		{"/pools/office", ""},
	} {
		st, data := getAs(t, ts.URL, c.path, tok)
		if st != 200 {
			t.Fatalf("GET %s: %d", c.path, st)
		}
		for _, id := range []string{`"vm:101"`, `"guest":101`, `"vmid":101`, `"pve1"`, `"pve2"`} {
			if strings.Contains(string(data), id) {
				t.Errorf("GET %s names the lab's %s: %s", c.path, id, data)
			}
		}
	}
	_, data = getAs(t, ts.URL, "/cluster/status", tok)
	if !strings.Contains(string(data), `"office"`) {
		t.Errorf("cluster status does not name the office cluster: %s", data)
	}
}

// Every token the simulator accepts is recorded with the request it made,
// a rotated token's old secret is refused, and tasks name the token's user.
func TestTokensAreRecordedPerRequest(t *testing.T) {
	s := New(Options{TokenID: "root@pam!mcp", TokenSecret: "deploy", Tokens: map[string]string{"alice@pve!mcp": "a1"}})
	ts := httptest.NewServer(s)
	defer ts.Close()

	cases := []struct {
		token      string
		wantStatus int
		wantID     string
	}{
		{"root@pam!mcp=deploy", 200, "root@pam!mcp"},
		{"alice@pve!mcp=a1", 200, "alice@pve!mcp"},
		{"alice@pve!mcp=wrong", 401, ""},
		{"", 401, ""},
	}
	for _, c := range cases {
		s.ResetRequests()
		if st, _ := getAs(t, ts.URL, "/version", c.token); st != c.wantStatus {
			t.Errorf("token %q: status %d, want %d", c.token, st, c.wantStatus)
		}
		if got := s.Requests(); len(got) != 1 || got[0].TokenID != c.wantID {
			t.Errorf("token %q: recorded %+v, want token id %q", c.token, got, c.wantID)
		}
	}
	s.SetToken("alice@pve!mcp", "a2")
	if st, _ := getAs(t, ts.URL, "/version", "alice@pve!mcp=a1"); st != 401 {
		t.Errorf("the rotated-out secret is still accepted: %d", st)
	}
	if st, _ := getAs(t, ts.URL, "/version", "alice@pve!mcp=a2"); st != 200 {
		t.Errorf("the new secret is refused: %d", st)
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api2/json/nodes/pve2/qemu/102/status/start", nil)
	req.Header.Set("Authorization", "PVEAPIToken=alice@pve!mcp=a2")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var started struct{ Data string }
	json.NewDecoder(res.Body).Decode(&started)
	res.Body.Close()
	if !strings.Contains(started.Data, ":alice@pve!mcp:") {
		t.Errorf("the task does not name the token that started it: %q", started.Data)
	}
	_, data := getAs(t, ts.URL, "/access/users", "root@pam!mcp=deploy")
	if !strings.Contains(string(data), `"alice@pve"`) {
		t.Errorf("the token's user is not listed: %s", data)
	}
}
