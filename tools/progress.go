package tools

import (
	"context"
	"fmt"
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
// (vzdump, clone, move disk and migrate all print one).
var percent = regexp.MustCompile(`(\d{1,3}(?:\.\d+)?) ?%`)

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
		if m := percent.FindAllStringSubmatch(l.T, -1); m != nil {
			if v, err := strconv.ParseFloat(m[len(m)-1][1], 64); err == nil && v <= 100 {
				pct = v
			}
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
