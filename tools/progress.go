package tools

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/pve"
)

// progress sends notifications/progress for one tools/call whose request
// carried a progress token: while wait follows a task, each poll reports
// the task log's new lines and, where Proxmox logs one, a percentage.
//
// Over stdio the notifications reach the client as they are sent. Over
// HTTP the handler answers such a call as an SSE stream that carries them
// (handler/stream.go), unless PVE_HTTP_STREAM=false (a buffered Lambda
// function URL), where they are dropped and only the result arrives; see
// docs/deploy.md.
type progress struct {
	session *mcp.ServerSession
	token   any
	lines   int     // log lines already reported
	last    float64 // last progress value sent; it must grow
}

type progressKey struct{}

// withProgress puts the request's progress reporter in ctx, if it asked for one.
func withProgress(ctx context.Context, req *mcp.CallToolRequest) context.Context {
	if req == nil || req.Session == nil || req.Params == nil {
		return ctx
	}
	token := req.Params.GetProgressToken()
	if token == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, &progress{session: req.Session, token: token})
}

func progressOf(ctx context.Context) *progress {
	p, _ := ctx.Value(progressKey{}).(*progress)
	return p
}

// percent finds the last "NN%" or "NN.N %" a task log line reports
// (vzdump, clone and move disk print one).
var percent = regexp.MustCompile(`(\d{1,3}(?:\.\d+)?) ?%`)

// transferred finds the "transferred 1.2 GiB of 8.0 GiB" a live migration
// logs for its RAM: it prints no percentage, so the share is computed.
var transferred = regexp.MustCompile(`transferred (\d+(?:\.\d+)?) (B|KiB|MiB|GiB|TiB|PiB) of (\d+(?:\.\d+)?) (B|KiB|MiB|GiB|TiB|PiB)`)

// linePercent is the percentage one task log line reports, or -1.
func linePercent(line string) float64 {
	if m := percent.FindAllStringSubmatch(line, -1); m != nil {
		if v, err := strconv.ParseFloat(m[len(m)-1][1], 64); err == nil && v <= 100 {
			return v
		}
		return -1
	}
	m := transferred.FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	done, total := byteCount(m[1], m[2]), byteCount(m[3], m[4])
	if total <= 0 || done > total {
		return -1 // a migration re-sends dirtied RAM: past 100% says nothing
	}
	return math.Round(done/total*10000) / 100
}

// byteCount reads PVE::Format::render_bytes's "1.2" "GiB".
func byteCount(num, unit string) float64 {
	v, _ := strconv.ParseFloat(num, 64)
	exp := strings.Index("BKMGTP", unit[:1])
	return v * math.Pow(1024, float64(exp))
}

// report sends the log lines of upid written since the last report. It is
// best effort: a failed log read or send never fails the wait.
func (p *progress) report(ctx context.Context, env *Env, upid UPID) {
	if p == nil {
		return
	}
	path, err := pve.BuildPath(taskLogCall.Path, map[string]string{"node": upid.Node, "upid": upid.Raw})
	if err != nil {
		return
	}
	var lines []struct {
		N int    `json:"n"`
		T string `json:"t"`
	}
	if err := env.PVE.Get(ctx, path, pve.Values{"start": {strconv.Itoa(p.lines)}, "limit": {"500"}}, &lines); err != nil || len(lines) == 0 {
		return
	}
	text := make([]string, 0, len(lines))
	pct := -1.0
	for _, l := range lines {
		text = append(text, l.T)
		if v := linePercent(l.T); v >= 0 {
			pct = v
		}
	}
	p.lines += len(lines)
	params := &mcp.ProgressNotificationParams{ProgressToken: p.token, Message: env.PVE.Redactor().String(strings.Join(text, "\n"))}
	if pct >= 0 && pct >= p.last {
		params.Progress, params.Total = pct, 100
	} else {
		// No percentage: count log lines, which only grow.
		params.Progress = max(p.last, float64(p.lines))
	}
	p.last = params.Progress
	if err := p.session.NotifyProgress(ctx, params); err != nil {
		env.logger().Debug("progress notification not sent", "upid", upid.Raw, "error", fmt.Sprint(err))
	}
}
