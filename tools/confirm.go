package tools

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Confirmation bound to the exact call (issue 13): before a tool the policy
// covers sends anything but reads to Proxmox, the server states from live
// reads what will happen and asks for a yes. A client that declared
// elicitation is asked directly (a person answers); any other gets the
// summary and a token, and must call again with the same arguments plus
// confirm: TOKEN. The token is an HMAC over the tool, the canonical
// arguments, the caller, a digest of the target's current state and an
// expiry, keyed by a deployment secret: any instance can check it and
// nothing is stored between the two calls.

// ConfirmPolicy says which tools ask for confirmation (PVE_CONFIRM).
type ConfirmPolicy int

const (
	// ConfirmDestructive (the default, and the zero value) covers the
	// tools of Kind Destroy (destructiveHint) and so the pve_destroy dispatcher.
	ConfirmDestructive ConfirmPolicy = iota
	// ConfirmWrites covers every tool that is not read-only.
	ConfirmWrites
	// ConfirmOff asks for nothing.
	ConfirmOff
)

var confirmNames = []string{"destructive", "writes", "off"}

func (p ConfirmPolicy) String() string {
	if p < 0 || int(p) >= len(confirmNames) {
		return fmt.Sprintf("ConfirmPolicy(%d)", int(p))
	}
	return confirmNames[p]
}

// ParseConfirmPolicy reads PVE_CONFIRM; empty is destructive.
func ParseConfirmPolicy(s string) (ConfirmPolicy, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return ConfirmDestructive, nil
	}
	for i, n := range confirmNames {
		if strings.EqualFold(s, n) {
			return ConfirmPolicy(i), nil
		}
	}
	return 0, fmt.Errorf("unknown confirmation policy %q: valid values are %s", s, strings.Join(confirmNames, ", "))
}

// Covers reports whether tools of kind k ask for confirmation.
func (p ConfirmPolicy) Covers(k Kind) bool {
	switch p {
	case ConfirmDestructive:
		return k == Destroy
	case ConfirmWrites:
		return k != Read
	}
	return false
}

// MinConfirmKeyBytes is the shortest PVE_CONFIRM_KEY accepted.
const MinConfirmKeyBytes = 32

// Defaults of Confirmation.
const (
	DefaultConfirmTTL = 5 * time.Minute
)

// Confirmation is the confirmation setting of a server. The zero value is
// the production default: destructive tools, with a per-process key.
type Confirmation struct {
	Policy ConfirmPolicy
	// Key signs the tokens (PVE_CONFIRM_KEY). Empty: a random key made
	// once per process, so tokens verify only on the instance that issued them.
	Key []byte
	// TTL is how long a token stays valid, and how long the user has to
	// answer a question (DefaultConfirmTTL if zero).
	TTL time.Duration
	// Now is the clock (time.Now if nil); tests set it.
	Now func() time.Time
}

var processKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
})

func (c Confirmation) key() []byte {
	if len(c.Key) > 0 {
		return c.Key
	}
	return processKey()
}

func (c Confirmation) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// needsConfirm reports whether the tool asks for confirmation on this
// server. A guest-exec tool refuses every call while PVE_GUEST_EXEC is
// off, so there is nothing to confirm.
func (env *Env) needsConfirm(t *Tool) bool {
	return env.Confirm.Policy.Covers(t.Kind) && env.callable(t)
}

// confirmArg is the argument that carries the token.
const confirmArg = "confirm"

func confirmProperty() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string"} // explained once, in the instructions
}

// confirmInstructions are added to the server instructions while any tool asks.
const confirmInstructions = " Tools with a confirm field change nothing without it: they answer a summary of what would happen and a token. " +
	"Show the summary to the user and only if they agree call again with the same arguments plus confirm: TOKEN."

// withConfirmProperty returns a copy of def (as Tool.MCP builds it) whose
// input schema also has the confirm property; the caller encodes it.
func withConfirmProperty(def *mcp.Tool) (*mcp.Tool, error) {
	in, ok := def.InputSchema.(*jsonschema.Schema)
	if !ok {
		return nil, fmt.Errorf("tool %s: input schema is a %T", def.Name, def.InputSchema)
	}
	if _, clash := in.Properties[confirmArg]; clash {
		return nil, fmt.Errorf("tool %s: input already has a %s field", def.Name, confirmArg)
	}
	s := *in
	s.Properties = maps.Clone(in.Properties)
	if s.Properties == nil {
		s.Properties = map[string]*jsonschema.Schema{}
	}
	s.Properties[confirmArg] = confirmProperty()
	w := *def
	w.InputSchema = &s
	return &w, nil
}

// wireFor is the tool as a server with policy env.Confirm lists it, with
// or without its output schema (see Tool.wire).
func (t *Tool) wireFor(env *Env, withOutput bool) (*mcp.Tool, error) {
	if env.Fleet.Multi() && !t.ManyClusters {
		return t.clusterWire(env, withOutput, env.needsConfirm(t))
	}
	if !env.needsConfirm(t) {
		return t.wire(withOutput)
	}
	w := &t.confirmWires[0]
	if withOutput {
		w = &t.confirmWires[1]
	}
	w.once.Do(func() {
		// From the definition, not its encoded wire: the schema is
		// encoded once, with confirm, instead of decoded and encoded again.
		def, err := t.MCP()
		if err == nil {
			def, err = withConfirmProperty(def)
		}
		if err != nil {
			w.err = err
			return
		}
		w.def, w.err = encodedSchema(def, withOutput)
	})
	return w.def, w.err
}

// callInfo is what the confirmation needs to know of the request.
type callInfo struct {
	session *mcp.ServerSession
	caller  string
	via     string // the dispatcher, in compact mode
	// structured: the tool as listed declares an output schema, so a
	// successful result must carry structuredContent matching it.
	structured bool
	// The answers to a question asked (multi-round-trip) and its state.
	responses mcp.InputResponseMap
	state     string
}

type callInfoKey struct{}

// withCall records the request's session and caller in ctx.
func withCall(ctx context.Context, req *mcp.CallToolRequest, via string, structured bool) context.Context {
	ci := &callInfo{caller: CallerID(req), via: via, structured: structured}
	if req != nil {
		ci.session = req.Session
		if req.Params != nil {
			ci.responses, ci.state = req.Params.InputResponses, req.Params.RequestState
		}
	}
	return context.WithValue(ctx, callInfoKey{}, ci)
}

func callOf(ctx context.Context) *callInfo {
	if ci, ok := ctx.Value(callInfoKey{}).(*callInfo); ok {
		return ci
	}
	return &callInfo{caller: "stdio"}
}

// CallerID names who makes a request: the authenticated user over HTTP
// (TokenInfo.UserID, as the audit log names them), "anonymous" over HTTP
// without authentication, "stdio" for the process's own client.
func CallerID(req *mcp.CallToolRequest) string {
	if req == nil {
		return "stdio"
	}
	return callerOf(req.Extra)
}

// callerOf is CallerID for any request's extra.
func callerOf(extra *mcp.RequestExtra) string {
	switch {
	case extra == nil:
		return "stdio"
	case extra.TokenInfo != nil && extra.TokenInfo.UserID != "":
		return extra.TokenInfo.UserID
	case extra.Header != nil:
		return "anonymous"
	}
	return "stdio"
}

// takeConfirm removes confirm from the arguments of a tool that asks for
// confirmation and returns it; other tools keep their arguments as they
// came (where confirm is then an unknown property).
func (env *Env) takeConfirm(t *Tool, raw json.RawMessage) (json.RawMessage, string, error) {
	if !env.needsConfirm(t) || len(raw) == 0 || string(raw) == "null" {
		return raw, "", nil
	}
	var args map[string]json.RawMessage
	if err := json.Unmarshal(raw, &args); err != nil {
		return raw, "", nil // decode reports it
	}
	v, ok := args[confirmArg]
	if !ok {
		return raw, "", nil
	}
	var token string
	if err := json.Unmarshal(v, &token); err != nil {
		return nil, "", errors.New("confirm must be the token string of a confirmation answer")
	}
	delete(args, confirmArg)
	b, err := json.Marshal(args)
	if err != nil {
		return nil, "", err
	}
	return b, token, nil
}

// canonical is the arguments as the token binds them: decoded and encoded
// again, so key order and spacing do not matter but every value does.
func canonical(raw json.RawMessage) []byte {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return b
}

// confirmGate runs before the handler of a tool that asks for
// confirmation. It returns nil when the call may go ahead, else the result
// to answer instead: a question for the user, the summary and a token, or
// an error. Only reads reach Proxmox before it returns nil.
func (env *Env) confirmGate(ctx context.Context, t *Tool, raw json.RawMessage, token string) *mcp.CallToolResult {
	ci := callOf(ctx)
	args := canonical(raw)
	plan, err := env.planOf(ctx, t, args)
	if err != nil {
		return env.errorResult(fmt.Errorf("%s was not run: reading what it would change failed: %w", t.Name, err))
	}
	c := env.Confirm
	mint := func() (string, time.Time) {
		exp := c.now().Add(cmpDur(c.TTL, DefaultConfirmTTL)).Truncate(time.Second)
		return mintToken(c.key(), env.tokenScope(t), args, ci.caller, plan.digest, exp), exp
	}
	if ci.session != nil && elicits(ci.session) {
		if ci.state == "" {
			// Ask the user: a multi-round-trip input request (SEP-2322). The
			// go-sdk sends it as elicitation/create to a client on an older
			// protocol and asks again with the answer; a client on
			// 2026-07-28 answers and retries, over stateless HTTP too. The
			// request state is a token for this very call, so the answer
			// can only let this call, on this target state, go ahead.
			tok, _ := mint()
			return &mcp.CallToolResult{InputRequests: mcp.InputRequestMap{confirmArg: env.question(plan)}, RequestState: tok}
		}
		if res := env.checkToken(t, ci, args, plan, ci.state); res != nil {
			return res
		}
		return env.answered(t, ci.responses[confirmArg])
	}
	if token == "" {
		tok, exp := mint()
		return env.confirmAnswer(t, ci, plan, tok, exp)
	}
	return env.checkToken(t, ci, args, plan, token)
}

// checkToken returns nil if token was issued for this call: tool,
// arguments, caller and target state, and has not expired.
func (env *Env) checkToken(t *Tool, ci *callInfo, args []byte, plan *plan, token string) *mcp.CallToolResult {
	c := env.Confirm
	exp, mac, err := parseToken(token)
	if err != nil {
		return env.errorResult(fmt.Errorf("%s was not run: %v; call it again without confirm for a new summary and token", t.Name, err))
	}
	if !c.now().Before(exp) {
		return env.errorResult(fmt.Errorf("%s was not run: the confirmation expired at %s; call it again without confirm for a new summary, and show it to the user", t.Name, exp.UTC().Format(time.RFC3339)))
	}
	want := mintToken(c.key(), env.tokenScope(t), args, ci.caller, plan.digest, exp)
	_, wantMAC, _ := parseToken(want)
	if !hmac.Equal(mac, wantMAC) {
		return env.errorResult(fmt.Errorf("%s was not run: the confirmation does not match this call (the arguments, the caller or the target's state changed since it was issued); call it again without confirm for a new summary, and show it to the user.\nNow:\n%s", t.Name, plan.text))
	}
	return nil
}

// question is the yes/no asked of the user.
func (env *Env) question(plan *plan) *mcp.ElicitParams {
	return &mcp.ElicitParams{
		Mode:    "form",
		Message: env.PVE.Redactor().String(plan.text + "\nProceed?"),
		RequestedSchema: &jsonschema.Schema{
			Type:       "object",
			Properties: map[string]*jsonschema.Schema{confirmArg: {Type: "boolean", Title: "Proceed", Description: "Yes, do it"}},
			Required:   []string{confirmArg},
		},
	}
}

// answered returns nil only for an accepted yes; a no, a decline, a cancel
// or no answer is an error result, and nothing is sent to Proxmox.
func (env *Env) answered(t *Tool, r mcp.InputResponse) *mcp.CallToolResult {
	res, ok := r.(*mcp.ElicitResult)
	switch {
	case !ok || res == nil:
		return env.errorResult(fmt.Errorf("%s was not run: no answer from the user", t.Name))
	case res.Action != "accept":
		return env.errorResult(fmt.Errorf("%s was not run: the user answered %s", t.Name, res.Action))
	case res.Content[confirmArg] != true:
		return env.errorResult(fmt.Errorf("%s was not run: the user said no", t.Name))
	}
	return nil
}

func cmpDur(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// confirmAnswer is the answer of a call that needs a token: nothing done,
// the summary, and how to go on. Where the tool as listed declares an
// output schema, a successful result would have to match it, so the
// answer is an error result there (clients such as the TypeScript SDK
// reject a success without structuredContent); elsewhere it is a plain
// success with the token in structuredContent.
func (env *Env) confirmAnswer(t *Tool, ci *callInfo, plan *plan, token string, exp time.Time) *mcp.CallToolResult {
	again := fmt.Sprintf("call %s again with the same arguments plus \"confirm\": %q", t.Name, token)
	if ci.via != "" {
		again = fmt.Sprintf("call %s again with the same tool and arguments plus \"confirm\": %q", ci.via, token)
	}
	text := fmt.Sprintf(confirmNeeded+"\n%s\nShow this summary to the user; only if they agree, %s (valid until %s).",
		plan.text, again, exp.UTC().Format(time.RFC3339))
	text = env.PVE.Redactor().String(text)
	res := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
	if ci.structured {
		res.IsError = true
		return res
	}
	res.StructuredContent = map[string]any{"confirmation_required": true, "confirm": token, "expires": exp.UTC().Format(time.RFC3339), "summary": env.PVE.Redactor().String(plan.text)}
	return res
}

// confirmNeeded starts the text of every confirmation answer.
const confirmNeeded = "CONFIRMATION NEEDED: nothing was done."

// IsConfirmAnswer reports whether res is a confirmation answer (nothing
// done; a summary and a token), for the audit log.
func IsConfirmAnswer(res *mcp.CallToolResult) bool {
	if res == nil || len(res.Content) == 0 {
		return false
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	return ok && strings.HasPrefix(tc.Text, confirmNeeded)
}

// Tokens: version byte, expiry (Unix seconds), the first 16 bytes of the
// HMAC-SHA256; base64url without padding (34 characters).
const (
	tokenVersion = 1
	tokenMACLen  = 16
	tokenLen     = 1 + 8 + tokenMACLen
)

// mintToken signs one call. Every field is length-prefixed, so no two
// different calls share an input.
func mintToken(key []byte, tool string, args []byte, caller, digest string, exp time.Time) string {
	m := hmac.New(sha256.New, key)
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		m.Write(n[:])
		m.Write(b)
	}
	field([]byte("pve-mcp confirm v1"))
	field([]byte(tool))
	field(args)
	field([]byte(caller))
	field([]byte(digest))
	binary.BigEndian.PutUint64(n[:], uint64(exp.Unix()))
	field(n[:])
	out := make([]byte, 0, tokenLen)
	out = append(out, tokenVersion)
	out = binary.BigEndian.AppendUint64(out, uint64(exp.Unix()))
	out = append(out, m.Sum(nil)[:tokenMACLen]...)
	return base64.RawURLEncoding.EncodeToString(out)
}

func parseToken(s string) (time.Time, []byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != tokenLen || b[0] != tokenVersion {
		return time.Time{}, nil, errors.New("confirm is not a confirmation token of this server")
	}
	return time.Unix(int64(binary.BigEndian.Uint64(b[1:9])), 0), b[9:], nil
}

// elicits reports whether the client declared the elicitation capability.
func elicits(ss *mcp.ServerSession) bool {
	p := ss.InitializeParams()
	return p != nil && p.Capabilities != nil && p.Capabilities.Elicitation != nil
}

// plan is what a call would do, as the user is shown it, and the digest of
// the target's state that the token binds.
type plan struct {
	text   string
	digest string
}

// planOf states what the call would do: the tool and its arguments, and
// for a guest (vmid) what Proxmox says of it now.
func (env *Env) planOf(ctx context.Context, t *Tool, args []byte) (*plan, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s\nArguments: %s", t.Title, t.Name, t.Desc, args)
	if env.cluster != "" && env.Fleet.Multi() {
		// The arguments shown lack it (it was taken out to bind the call).
		fmt.Fprintf(&b, "\nCluster: %s", env.cluster)
	}
	p := &plan{}
	if guestVMID(t.Input) {
		var in struct {
			VMID int    `json:"vmid"`
			Node string `json:"node"`
		}
		if json.Unmarshal(args, &in) == nil && in.VMID > 0 {
			g, err := env.guestFacts(ctx, in.VMID)
			if err != nil {
				return nil, err
			}
			state, _ := json.Marshal(g)
			sum := sha256.Sum256(state)
			p.digest = hex.EncodeToString(sum[:])
			b.WriteString("\n")
			b.WriteString(g.String())
		}
	}
	p.text = b.String()
	return p, nil
}

// ListedDef is the tool as a server with confirmation policy p lists it in
// mode all (for the documentation's sizes).
func (t *Tool) ListedDef(p ConfirmPolicy) (*mcp.Tool, error) {
	return t.wireFor(&Env{Confirm: Confirmation{Policy: p}}, true)
}
