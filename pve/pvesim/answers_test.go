package pvesim

import (
	"net/url"
	"testing"
)

// The routes the tool tests do not reach still answer as their returns
// schema says (newClSim checks every answer; see apischema.AnswerChecker).
func TestRemainingRoutesAnswerTheirSchema(t *testing.T) {
	c := newClSim(t)
	var upid string
	c.ok("POST", "/nodes/pve1/services/chrony/reload", nil, &upid)
	c.ok("POST", "/nodes/pve1/services/chrony/stop", nil, nil)
	c.ok("POST", "/nodes/pve1/services/chrony/start", nil, nil)
	for _, path := range []string{"/version", "/nodes/pve1", "/nodes/pve1/qemu/100/status", "/nodes/pve1/tasks/" + url.PathEscape(upid),
		"/nodes/pve1/lxc/200/firewall/options", "/pools/production"} {
		c.ok("GET", path, nil, nil)
	}
	c.ok("PUT", "/nodes/pve1/qemu/100/firewall/options", url.Values{"enable": {"1"}}, nil)
	c.ok("POST", "/nodes/pve1/qemu/100/firewall/rules", url.Values{"type": {"in"}, "action": {"ACCEPT"}, "enable": {"1"}}, nil)
	c.ok("GET", "/cluster/firewall/rules/0", nil, nil)
	c.ok("POST", "/nodes/pve1/firewall/rules", url.Values{"type": {"in"}, "action": {"DROP"}}, nil)
	c.ok("PUT", "/nodes/pve1/firewall/rules/0", url.Values{"comment": {"x"}}, nil)
	c.ok("DELETE", "/nodes/pve1/firewall/rules/0", nil, nil)
	c.ok("POST", "/nodes/pve1/lxc/200/firewall/rules", url.Values{"type": {"in"}, "action": {"DROP"}}, nil)
	c.ok("DELETE", "/nodes/pve1/lxc/200/firewall/rules/0", nil, nil)
	c.ok("PUT", "/pools/lab", url.Values{"comment": {"wiped weekly"}}, nil)
	c.ok("POST", "/pools", url.Values{"poolid": {"scratch"}}, nil)
	c.ok("DELETE", "/pools/scratch", nil, nil)
}
