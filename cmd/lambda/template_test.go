package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/lambda"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/awslabs/goformation/v7/intrinsics"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/tools"
)

// template is the top level of a CloudFormation template, decoded with
// unknown keys refused.
type template struct {
	AWSTemplateFormatVersion string
	Transform                string
	Description              string
	Parameters               map[string]parameter
	Mappings                 map[string]map[string]map[string]any
	Conditions               map[string]any
	Resources                map[string]json.RawMessage
	Outputs                  map[string]struct {
		Description string
		Value       any
		Export      any
		Condition   string
	}
}

// parameter is a CloudFormation template parameter (its documented keys).
type parameter struct {
	Type                  string
	Default               any
	AllowedValues         []any
	AllowedPattern        string
	Description           string
	ConstraintDescription string
	MinLength, MaxLength  *int
	MinValue, MaxValue    *float64
	NoEcho                bool
}

// deployed is template.yaml as CloudFormation would deploy it for one set
// of parameters. Its resources are decoded by goformation
// (github.com/awslabs/goformation), whose types are generated from the SAM
// and CloudFormation resource specifications and refuse unknown fields: a
// misspelt property, a property of the wrong type or an unknown resource
// type fails here as it would fail `sam deploy`. (Only goformation's
// per-service packages are used: its root package imports all 248 of them,
// about a minute of compiling on a cold cache.)
type deployed struct {
	tmpl     template
	fn       *serverless.Function
	logGroup *logs.LogGroup
	// logging is the function's LoggingConfig. goformation's SAM model
	// (v7.14.9, its latest release) predates SAM's LoggingConfig, which SAM
	// passes through to AWS::Lambda::Function: it is decoded, as strictly,
	// into goformation's AWS::Lambda::Function LoggingConfig.
	logging lambda.Function_LoggingConfig
	// props are the function's resolved properties as plain values, where
	// AWS::NoValue is nil (the typed structs cannot tell it from "").
	props map[string]any
}

// samplePVE are the parameters a deployment must give (they have no default).
var samplePVE = map[string]any{
	"PveBaseUrl":   "https://pve.internal.example.com:8006",
	"PveSecretArn": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:pve-mcp/token-AbCdEf",
}

// deploy reads raw (template.yaml) with params (over the defaults and
// samplePVE), evaluating conditions and intrinsics as CloudFormation does.
// A Ref to a resource becomes "ref:Name" and a !Sub stays its template
// string (both are only known at deploy time).
func deploy(raw []byte, params map[string]any) (*deployed, error) {
	p := map[string]any{}
	for k, v := range samplePVE {
		p[k] = v
	}
	for k, v := range params {
		p[k] = v
	}
	opts := &intrinsics.ProcessorOptions{
		ParameterOverrides: p,
		EvaluateConditions: true,
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
			"Ref":     ref,
			"Fn::Sub": func(_ string, input any, _ any) any { return input },
		},
	}
	resolved, err := intrinsics.ProcessYAML(raw, opts)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(resolved, &doc); err != nil {
		return nil, err
	}
	props, _ := lookup(doc, "Resources", "PveMcpFunction", "Properties").(map[string]any)
	if props == nil {
		return nil, fmt.Errorf("no PveMcpFunction with Properties")
	}
	d := &deployed{props: map[string]any{}}
	for k, v := range props {
		d.props[k] = v
	}
	if lc, ok := props["LoggingConfig"]; ok {
		if err := strictDecode(lc, &d.logging); err != nil {
			return nil, fmt.Errorf("PveMcpFunction LoggingConfig: %w", err)
		}
		delete(props, "LoggingConfig")
	}
	if resolved, err = json.Marshal(doc); err != nil {
		return nil, err
	}
	if err := strictDecode(json.RawMessage(resolved), &d.tmpl); err != nil {
		return nil, err
	}
	for name, res := range d.tmpl.Resources {
		var typ struct{ Type string }
		if err := json.Unmarshal(res, &typ); err != nil {
			return nil, fmt.Errorf("resource %s: %w", name, err)
		}
		var into json.Unmarshaler
		switch typ.Type {
		case "AWS::Serverless::Function":
			if name != "PveMcpFunction" {
				return nil, fmt.Errorf("resource %s: a second function", name)
			}
			d.fn = &serverless.Function{}
			into = d.fn
		case "AWS::Logs::LogGroup":
			d.logGroup = &logs.LogGroup{}
			into = d.logGroup
		default:
			// A new resource type: add its goformation type above.
			return nil, fmt.Errorf("resource %s: type %q is not one this test decodes", name, typ.Type)
		}
		if err := into.UnmarshalJSON(res); err != nil {
			return nil, fmt.Errorf("resource %s (%s): %w", name, typ.Type, err)
		}
	}
	if d.fn == nil || d.logGroup == nil {
		return nil, fmt.Errorf("want PveMcpFunction and PveMcpLogGroup")
	}
	return d, nil
}

// ref resolves a Ref: parameters (a CommaDelimitedList as a list) and
// pseudo parameters as goformation does, a resource as "ref:Name".
func ref(name string, input any, template any) any {
	s, _ := input.(string)
	if _, ok := lookup(template, "Resources", s).(map[string]any); ok {
		return "ref:" + s
	}
	if lookup(template, "Parameters", s, "Type") == "CommaDelimitedList" {
		switch v := lookup(template, "Parameters", s, "Default").(type) {
		case string:
			if v == "" {
				return []any{}
			}
			var list []any
			for _, e := range strings.Split(v, ",") {
				list = append(list, e)
			}
			return list
		case []string:
			var list []any
			for _, e := range v {
				list = append(list, e)
			}
			return list
		}
	}
	return intrinsics.Ref(name, input, template)
}

func strictDecode(v any, into any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

// lookup walks a path of map keys.
func lookup(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func readTemplate(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustDeploy(t *testing.T, params map[string]any) *deployed {
	t.Helper()
	d, err := deploy(readTemplate(t), params)
	if err != nil {
		t.Fatalf("template.yaml with %v: %v", params, err)
	}
	return d
}

// The checker itself: a misspelt property, a wrong type, an unknown
// resource type and a misspelt LoggingConfig key each fail.
func TestTemplateCheckerRejectsMistakes(t *testing.T) {
	raw := string(readTemplate(t))
	for _, tc := range []struct{ name, from, to string }{
		{"misspelt property", "      MemorySize: 256", "      MemorySise: 256"},
		{"wrong type", "      Timeout: 60", "      Timeout: [60]"},
		{"unknown resource type", "Type: AWS::Serverless::Function", "Type: AWS::Serverless::Functon"},
		{"misspelt LoggingConfig key", "        LogFormat: JSON", "        LogFromat: JSON"},
		{"misspelt FunctionUrlConfig key", "        InvokeMode: !Ref InvokeMode", "        InvokMode: !Ref InvokeMode"},
		{"misspelt log group property", "      RetentionInDays:", "      RetentionDays:"},
		{"misspelt template section", "\nOutputs:", "\nOutput:"},
		{"misspelt parameter key", "    AllowedPattern: \"^$|^https", "    AllowPattern: \"^$|^https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(raw, tc.from) {
				t.Fatalf("template.yaml has no %q", tc.from)
			}
			_, err := deploy([]byte(strings.Replace(raw, tc.from, tc.to, 1)), nil)
			if err == nil {
				t.Fatalf("%q accepted", tc.to)
			}
			t.Log(err)
		})
	}
}

func TestTemplateFunction(t *testing.T) {
	d := mustDeploy(t, nil)
	if d.tmpl.Transform != "AWS::Serverless-2016-10-31" {
		t.Fatalf("Transform = %v", d.tmpl.Transform)
	}
	fn := d.fn
	if fn.Runtime == nil || *fn.Runtime != "provided.al2023" || fn.Handler == nil || *fn.Handler != "bootstrap" || !reflect.DeepEqual(fn.Architectures, []string{"arm64"}) {
		t.Errorf("runtime %v, handler %v, architectures %v", fn.Runtime, fn.Handler, fn.Architectures)
	}
	if fn.CodeUri == nil || fn.CodeUri.String == nil || *fn.CodeUri.String != "cmd/lambda/" {
		t.Errorf("CodeUri = %v", fn.CodeUri)
	}
	if fn.AWSCloudFormationMetadata["BuildMethod"] != "go1.x" {
		t.Errorf("BuildMethod = %v", fn.AWSCloudFormationMetadata["BuildMethod"])
	}
	// CodeUri is this package: the bootstrap sam build compiles is this main.
	if _, err := os.Stat("main.go"); err != nil {
		t.Error(err)
	}
	// Buffered by default, AWS_IAM by default.
	if u := fn.FunctionUrlConfig; u == nil || u.InvokeMode == nil || *u.InvokeMode != "BUFFERED" || u.AuthType != "AWS_IAM" {
		t.Errorf("FunctionUrlConfig = %+v", fn.FunctionUrlConfig)
	}
	if allowed := d.tmpl.Parameters["InvokeMode"].AllowedValues; !reflect.DeepEqual(allowed, []any{"BUFFERED", "RESPONSE_STREAM"}) {
		t.Errorf("InvokeMode allows %v", allowed)
	}
	// The function URL's mode, the mode the bootstrap answers in, and
	// whether the handler streams progress go together: buffered, nothing
	// streams, so every call is answered with JSON.
	for _, c := range []struct {
		params         map[string]any
		mode, streamed string
	}{
		{nil, "BUFFERED", "false"},
		{map[string]any{"InvokeMode": "BUFFERED"}, "BUFFERED", "false"},
		{map[string]any{"InvokeMode": "RESPONSE_STREAM"}, "RESPONSE_STREAM", "true"},
		{map[string]any{"InvokeMode": "RESPONSE_STREAM", "Stage": "prod", "FunctionUrlAuthType": "NONE"}, "RESPONSE_STREAM", "true"},
	} {
		d := mustDeploy(t, c.params)
		vars := variables(t, d)
		if u := d.fn.FunctionUrlConfig; u == nil || u.InvokeMode == nil || *u.InvokeMode != c.mode {
			t.Errorf("%v: FunctionUrlConfig = %+v, want InvokeMode %s", c.params, u, c.mode)
		}
		if vars["FUNCTION_URL_INVOKE_MODE"] != c.mode || vars["PVE_HTTP_STREAM"] != c.streamed {
			t.Errorf("%v: FUNCTION_URL_INVOKE_MODE=%q PVE_HTTP_STREAM=%q, want %s and %s", c.params, vars["FUNCTION_URL_INVOKE_MODE"], vars["PVE_HTTP_STREAM"], c.mode, c.streamed)
		}
		// And the function starts with them, in that mode.
		env := map[string]string{"PVE_DEMO": "true"}
		for k, v := range vars {
			if k != "PVE_BASE_URL" && k != "PVE_SECRET_ARN" && k != "PVE_DEMO" && k != "MCP_AUTH_SECRET_ARN" {
				env[k] = v
			}
		}
		fn, cleanup, err := setup(func(k string) string { return env[k] })
		cleanup()
		_, streams := fn.(streamFunc)
		if err != nil || streams != (c.mode == "RESPONSE_STREAM") {
			t.Errorf("%v: the function starts as %T (%v)", c.params, fn, err)
		}
	}
	if u := mustDeploy(t, map[string]any{"FunctionUrlAuthType": "NONE"}).fn.FunctionUrlConfig; u.AuthType != "NONE" {
		t.Errorf("FunctionUrlAuthType=NONE gives %v", u.AuthType)
	}
	if allowed := d.tmpl.Parameters["FunctionUrlAuthType"].AllowedValues; !reflect.DeepEqual(allowed, []any{"AWS_IAM", "NONE"}) {
		t.Errorf("FunctionUrlAuthType allows %v", allowed)
	}
	// Set on purpose, not left to defaults.
	if fn.MemorySize == nil || fn.Timeout == nil || fn.ReservedConcurrentExecutions == nil {
		t.Errorf("MemorySize %v, Timeout %v, ReservedConcurrentExecutions %v", fn.MemorySize, fn.Timeout, fn.ReservedConcurrentExecutions)
	} else if *fn.Timeout < 30 || *fn.Timeout > 900 {
		t.Errorf("Timeout %d", *fn.Timeout)
	}
	if lc := d.logging; lc.LogFormat == nil || *lc.LogFormat != "JSON" || lc.LogGroup == nil || *lc.LogGroup != "ref:PveMcpLogGroup" || lc.ApplicationLogLevel == nil {
		t.Errorf("LoggingConfig %+v", d.logging)
	}
	if d.logGroup.RetentionInDays == nil {
		t.Error("log retention not set")
	}
	// The URL output is the function URL's /mcp.
	if v := d.tmpl.Outputs["McpUrl"].Value; v != "${PveMcpFunctionUrl.FunctionUrl}mcp" {
		t.Errorf("McpUrl = %v", v)
	}
	for _, p := range []string{"Stage", "PveBaseUrl", "PveSecretArn", "SubnetIds", "SecurityGroupIds", "AccessTier", "Categories"} {
		if _, ok := d.tmpl.Parameters[p]; !ok {
			t.Errorf("parameter %s missing", p)
		}
	}
	// Outside a VPC by default; in one with subnets.
	if fn.VpcConfig != nil {
		t.Errorf("VpcConfig without subnets: %+v", fn.VpcConfig)
	}
	vpc := mustDeploy(t, map[string]any{"SubnetIds": []string{"subnet-1"}, "SecurityGroupIds": []string{"sg-1"}}).fn.VpcConfig
	if vpc == nil || !reflect.DeepEqual(vpc.SubnetIds, []string{"subnet-1"}) || !reflect.DeepEqual(vpc.SecurityGroupIds, []string{"sg-1"}) {
		t.Errorf("VpcConfig with subnets: %+v", vpc)
	}
}

// The only permission is GetSecretValue on the secret parameter(s).
// Secrets of a two-cluster deployment, for the template tests.
const (
	clustersSecret = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:pve-mcp/clusters-AbCdEf"
	labToken       = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:pve-mcp/lab-AbCdEf"
	aliceToken     = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:pve-mcp/alice-AbCdEf"
)

// With the cluster list in a secret, the function reads it instead of the
// one cluster's address and token, and starts with that configuration.
func TestTemplateClusters(t *testing.T) {
	d := mustDeploy(t, map[string]any{"PveClustersSecretArn": clustersSecret, "PveTokenSecretArns": []string{labToken},
		"PveTlsFingerprint": strings.TrimSuffix(strings.Repeat("AB:", 32), ":")}) // left from a one-cluster deployment
	vars := variables(t, d)
	if vars["PVE_CLUSTERS_SECRET_ARN"] != clustersSecret {
		t.Errorf("PVE_CLUSTERS_SECRET_ARN = %q", vars["PVE_CLUSTERS_SECRET_ARN"])
	}
	for _, k := range []string{"PVE_BASE_URL", "PVE_SECRET_ARN", "PVE_TLS_FINGERPRINT"} {
		if _, set := vars[k]; set {
			t.Errorf("%s is set next to the cluster list", k)
		}
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] }, false)
	if err != nil {
		t.Fatalf("the function would not start: %v (%v)", err, vars)
	}
	if cfg.ClustersSecretARN != clustersSecret {
		t.Errorf("config reads the cluster list from %q", cfg.ClustersSecretARN)
	}
	// One cluster, as before: nothing of the cluster list is set.
	vars = variables(t, mustDeploy(t, nil))
	if _, set := vars["PVE_CLUSTERS_SECRET_ARN"]; set || vars["PVE_BASE_URL"] == "" {
		t.Errorf("one cluster: %v", vars)
	}
}

func TestTemplatePolicyScopedToTheSecret(t *testing.T) {
	mcpSecret := "arn:aws:secretsmanager:eu-central-1:123456789012:secret:mcp-AbCdEf"
	for _, tc := range []struct {
		name      string
		params    map[string]any
		resources []any
		managed   []any
	}{
		{"token secret only", nil, []any{samplePVE["PveSecretArn"]}, nil},
		{"with MCP token secret and VPC", map[string]any{"McpAuthSecretArn": mcpSecret, "SubnetIds": []string{"subnet-1"}},
			[]any{samplePVE["PveSecretArn"], mcpSecret},
			[]any{"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"}},
		{"several clusters", map[string]any{"PveClustersSecretArn": clustersSecret, "PveTokenSecretArns": []string{labToken, aliceToken}},
			[]any{clustersSecret, []any{labToken, aliceToken}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDeploy(t, tc.params)
			if d.fn.Policies == nil {
				t.Fatal("no Policies")
			}
			// goformation checked the list's type; its items, a policy
			// document or a managed policy ARN, are read as resolved.
			var docs []serverless.Function_IAMPolicyDocument
			var managed []any
			list, _ := d.props["Policies"].([]any)
			for _, p := range list {
				switch p := p.(type) {
				case nil: // AWS::NoValue
				case map[string]any:
					var doc serverless.Function_IAMPolicyDocument
					if err := strictDecode(p, &doc); err != nil {
						t.Fatalf("policy %v: %v", p, err)
					}
					docs = append(docs, doc)
				default:
					managed = append(managed, p)
				}
			}
			var resources []any
			for _, doc := range docs {
				for _, st := range doc.Statement {
					if st == nil {
						continue // AWS::NoValue
					}
					if lookup(st, "Effect") != "Allow" || lookup(st, "Action") != "secretsmanager:GetSecretValue" {
						t.Errorf("statement %v: only Allow secretsmanager:GetSecretValue", st)
					}
					resources = append(resources, lookup(st, "Resource"))
				}
			}
			if !reflect.DeepEqual(resources, tc.resources) {
				t.Errorf("resources %v, want %v", resources, tc.resources)
			}
			if !reflect.DeepEqual(managed, tc.managed) {
				t.Errorf("managed policies %v, want %v", managed, tc.managed)
			}
		})
	}
}

// startConfig reads the configuration from the variables the template sets,
// as a cold start does.
func startConfig(t *testing.T, vars map[string]string) config.Config {
	t.Helper()
	cfg, arn, err := config.FromEnvWithSecret(func(k string) string { return vars[k] }, false)
	if err != nil || arn == "" {
		t.Fatalf("the function would not start: %v (%v)", err, vars)
	}
	return cfg
}

// variables are the function's environment variables, without those that
// resolved to AWS::NoValue (not set at all).
func variables(t *testing.T, d *deployed) map[string]string {
	t.Helper()
	if d.fn.Environment == nil {
		t.Fatal("no Environment")
	}
	raw, _ := lookup(d.props, "Environment", "Variables").(map[string]any)
	vars := map[string]string{}
	for k, v := range d.fn.Environment.Variables {
		if raw[k] != nil {
			vars[k] = v
		}
	}
	return vars
}

// Every stage has settings; the tier and categories each stage gets are
// valid, prod reads only, dev is full, and overrides win.
func TestTemplateStageSettings(t *testing.T) {
	d := mustDeploy(t, nil)
	stages := d.tmpl.Parameters["Stage"].AllowedValues
	mapping := d.tmpl.Mappings["StageSettings"]
	if len(mapping) != len(stages) {
		t.Errorf("StageSettings has %d stages, Stage allows %d", len(mapping), len(stages))
	}
	want := map[string]string{"dev": "full", "staging": "read-execute", "prod": "read-only"}
	for _, s := range stages {
		stage := s.(string)
		if mapping[stage] == nil {
			t.Fatalf("stage %s has no StageSettings", stage)
		}
		d := mustDeploy(t, map[string]any{"Stage": stage})
		got := variables(t, d)
		tier, err := tools.ParseTier(got["PVE_ACCESS_TIER"])
		if err != nil {
			t.Errorf("%s: %v", stage, err)
		}
		if tier.String() != want[stage] {
			t.Errorf("%s serves %s, want %s", stage, tier, want[stage])
		}
		// What the function would start with: the same checks as a cold start.
		cfg := startConfig(t, got)
		if cfg.Tools.Tier.String() != want[stage] || len(cfg.Tools.Categories) < 10 {
			t.Errorf("%s starts with tier %s, categories %v", stage, cfg.Tools.Tier, cfg.Tools.Categories)
		}
		if m, err := tools.ParseMode(got["PVE_TOOL_MODE"]); err != nil || m.String() != mapping[stage]["ToolMode"] || cfg.ToolMode != m {
			t.Errorf("%s: PVE_TOOL_MODE %v (%v), StageSettings says %v", stage, got["PVE_TOOL_MODE"], err, mapping[stage]["ToolMode"])
		}
		if p, err := tools.ParseConfirmPolicy(got["PVE_CONFIRM"]); err != nil || p.String() != mapping[stage]["Confirm"] || cfg.Confirm.Policy != p {
			t.Errorf("%s: PVE_CONFIRM %v (%v), StageSettings says %v", stage, got["PVE_CONFIRM"], err, mapping[stage]["Confirm"])
		}
		if _, set := got["PVE_CONFIRM_KEY_SECRET_ARN"]; set {
			t.Errorf("%s: empty ConfirmKeySecretArn must leave PVE_CONFIRM_KEY_SECRET_ARN unset", stage)
		}
		if stage == "prod" && slices.Contains(cfg.Tools.Categories, tools.Access) {
			t.Errorf("prod must leave out the access category")
		}
		for _, k := range []string{"ReservedConcurrency", "LogRetentionDays"} {
			if n, ok := mapping[stage][k].(float64); !ok || n <= 0 {
				t.Errorf("%s: %s = %v", stage, k, mapping[stage][k])
			}
		}
		if c := d.fn.ReservedConcurrentExecutions; c == nil || float64(*c) != mapping[stage]["ReservedConcurrency"] {
			t.Errorf("%s: concurrency not from the stage", stage)
		}
		if lg := d.logGroup; lg.RetentionInDays == nil || float64(*lg.RetentionInDays) != mapping[stage]["LogRetentionDays"] {
			t.Errorf("%s: log retention not from the stage", stage)
		}
		// The output names the stage's tier.
		if out := d.tmpl.Outputs["AccessTier"].Value; out != want[stage] {
			t.Errorf("%s: AccessTier output %v", stage, out)
		}
		if _, ok := got["PVE_TLS_FINGERPRINT"]; ok {
			t.Errorf("%s: empty fingerprint must not be set", stage)
		}
		if got["PVE_SECRET_ARN"] != samplePVE["PveSecretArn"] {
			t.Errorf("PVE_SECRET_ARN = %v", got["PVE_SECRET_ARN"])
		}
	}
	// Overrides win over the stage.
	got := variables(t, mustDeploy(t, map[string]any{"Stage": "prod", "AccessTier": "read-execute", "Categories": "nodes,qemu", "ToolMode": "compact", "Confirm": "off"}))
	if got["PVE_ACCESS_TIER"] != "read-execute" || got["PVE_CATEGORIES"] != "nodes,qemu" || got["PVE_TOOL_MODE"] != "compact" || got["PVE_CONFIRM"] != "off" {
		t.Errorf("override: %v", got)
	}
	if cfg := startConfig(t, got); cfg.ToolMode != tools.ModeCompact {
		t.Errorf("override tool mode: %v", cfg.ToolMode)
	}
	if cfg := startConfig(t, got); cfg.Confirm.Policy != tools.ConfirmOff {
		t.Errorf("override confirm: %v", cfg.Confirm.Policy)
	}
	if cfg := startConfig(t, got); !reflect.DeepEqual(cfg.Tools.Categories, []tools.Category{tools.Nodes, tools.QEMU}) {
		t.Errorf("override categories %v", cfg.Tools.Categories)
	}
	got = variables(t, mustDeploy(t, map[string]any{"Stage": "prod", "Categories": "all"}))
	if _, set := got["PVE_CATEGORIES"]; set {
		t.Errorf("Categories=all must leave PVE_CATEGORIES unset: %v", got["PVE_CATEGORIES"])
	}
	if cfg := startConfig(t, got); cfg.Tools.Categories != nil {
		t.Errorf("all categories: %v", cfg.Tools.Categories)
	}
	for _, a := range d.tmpl.Parameters["Confirm"].AllowedValues {
		if _, err := tools.ParseConfirmPolicy(fmt.Sprint(a)); err != nil && a != "stage-default" {
			t.Errorf("Confirm allows %v: %v", a, err)
		}
	}
	for _, a := range d.tmpl.Parameters["ToolMode"].AllowedValues {
		if _, err := tools.ParseMode(fmt.Sprint(a)); err != nil && a != "stage-default" {
			t.Errorf("ToolMode allows %v: %v", a, err)
		}
	}
	for _, a := range d.tmpl.Parameters["AccessTier"].AllowedValues {
		if a == "stage-default" {
			continue
		}
		if _, err := tools.ParseTier(a.(string)); err != nil {
			t.Errorf("AccessTier allows %v: %v", a, err)
		}
	}
	// A fingerprint, when given, is passed on.
	fp := strings.Repeat("AA:", 31) + "AA"
	if got := variables(t, mustDeploy(t, map[string]any{"PveTlsFingerprint": fp})); got["PVE_TLS_FINGERPRINT"] != fp {
		t.Errorf("PVE_TLS_FINGERPRINT = %q", got["PVE_TLS_FINGERPRINT"])
	}
}

// Every variable the template sets is one the program reads.
func TestTemplateVariablesAreKnown(t *testing.T) {
	// MCP_AUTH_SECRET_ARN: config/auth.go; PVE_DEMO: boot.DemoFromEnv;
	// FUNCTION_URL_AUTH_TYPE and FUNCTION_URL_INVOKE_MODE: main.go.
	known := map[string]bool{"MCP_AUTH_SECRET_ARN": true, "PVE_DEMO": true, "FUNCTION_URL_AUTH_TYPE": true, "FUNCTION_URL_INVOKE_MODE": true}
	for _, v := range slices.Concat(config.Vars, config.SecretVars) {
		known[v.Name] = true
	}
	vars := variables(t, mustDeploy(t, map[string]any{"McpAuthSecretArn": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:mcp-AbCdEf", "PveTlsFingerprint": strings.Repeat("AA:", 31) + "AA"}))
	for name := range vars {
		if !known[name] {
			t.Errorf("template sets %s, which pve-mcp does not read", name)
		}
	}
	for _, must := range []string{"PVE_BASE_URL", "PVE_SECRET_ARN", "PVE_ACCESS_TIER", "PVE_CATEGORIES", "MCP_AUTH_SECRET_ARN"} {
		if vars[must] == "" {
			t.Errorf("template does not set %s", must)
		}
	}
	if vars["PVE_DEMO"] != "false" {
		t.Errorf("PVE_DEMO = %v: a deployment serves the real cluster", vars["PVE_DEMO"])
	}
	if _, ok := vars["PVE_TOKEN_SECRET"]; ok {
		t.Error("the token must come from the secret, not a plain variable")
	}
}

// `sam build` with BuildMethod go1.x (SAM's Go modules builder) runs, in
// the CodeUri directory, `go build -o <artifacts>/bootstrap <CodeUri>` with
// GOOS=linux and GOARCH from Architectures. CodeUri is cmd/lambda/, which
// has no go.mod: go finds the checkout's go.mod by walking up, as it does
// in any package directory. That needs the whole checkout, which a local
// `sam build` has; `sam build --use-container` mounts only CodeUri into the
// build container, where no go.mod is found (docs/deploy.md). This runs the
// builder's command (with -n: checked, not compiled) the way SAM does.
func TestSamBuildFindsGoMod(t *testing.T) {
	d := mustDeploy(t, nil)
	dir, err := filepath.Abs(filepath.Join("../..", *d.fn.CodeUri.String))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		t.Fatalf("%s has a go.mod of its own: it would be a separate module", dir)
	}
	goarch := map[string]string{"arm64": "arm64", "x86_64": "amd64"}[d.fn.Architectures[0]]
	env := append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "GOFLAGS=-mod=readonly")
	gomod := exec.Command("go", "env", "GOMOD")
	gomod.Dir, gomod.Env = dir, env
	out, err := gomod.Output()
	root, _ := filepath.Abs("../../go.mod")
	if err != nil || strings.TrimSpace(string(out)) != root {
		t.Fatalf("go env GOMOD in %s = %q (%v), want %s", dir, out, err, root)
	}
	build := exec.Command("go", "build", "-n", "-o", filepath.Join(t.TempDir(), "bootstrap"), dir)
	build.Dir, build.Env = dir, env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("sam build's go build in %s: %v\n%s", dir, err, out)
	}
}

// Every sample event the Taskfile and the docs invoke exists.
func TestReferencedEventsExist(t *testing.T) {
	re := regexp.MustCompile(`events/[A-Za-z0-9_.-]+\.json`)
	for _, f := range []string{"../../Taskfile.yml", "../../docs/deploy.md", "../../README.md"} {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range re.FindAllString(string(raw), -1) {
			if _, err := os.Stat(filepath.Join("../..", ev)); err != nil {
				t.Errorf("%s invokes %s: %v", f, ev, err)
			}
		}
	}
}
