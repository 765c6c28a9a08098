package main

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/tools"
)

// cfnValue turns YAML into plain Go values, with CloudFormation's short
// tags as their long forms: !Ref x -> {"Ref": x}, !GetAtt a.b ->
// {"Fn::GetAtt": [a, b]}, !Sub/!If/... -> {"Fn::Sub": ...}.
func cfnValue(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return cfnValue(n.Content[0])
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i < len(n.Content); i += 2 {
			val, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			val, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		if err := n.Decode(&v); err != nil && !strings.HasPrefix(n.Tag, "!") {
			return nil, err
		}
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			v = n.Value
		}
	}
	tag := n.Tag
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") {
		return v, nil
	}
	name := tag[1:]
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
	case "Equals", "If", "Not", "And", "Or", "FindInMap", "Join", "Sub", "Select", "Split", "Base64", "GetAZs", "ImportValue", "Cidr":
	default:
		return nil, fmt.Errorf("line %d: unknown CloudFormation tag %s", n.Line, tag)
	}
	return map[string]any{"Fn::" + name: v}, nil
}

type tmpl = map[string]any

func loadTemplate(t *testing.T) tmpl {
	t.Helper()
	raw, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	v, err := cfnValue(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

// get walks a path of map keys.
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

// env is the context the resolver evaluates a template value in.
type env struct {
	t      tmpl
	params map[string]any
}

// resolve evaluates the intrinsics the template uses for one set of
// parameters; nil is AWS::NoValue.
func (e env) resolve(v any) any {
	switch x := v.(type) {
	case []any:
		var out []any
		for _, el := range x {
			if r := e.resolve(el); r != nil {
				out = append(out, r)
			}
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				switch k {
				case "Ref":
					if arg == "AWS::NoValue" {
						return nil
					}
					if p, ok := e.params[arg.(string)]; ok {
						return p
					}
					return "ref:" + arg.(string)
				case "Fn::FindInMap":
					a := arg.([]any)
					return get(e.t["Mappings"], e.resolve(a[0]).(string), e.resolve(a[1]).(string), e.resolve(a[2]).(string))
				case "Fn::If":
					a := arg.([]any)
					if e.condition(a[0].(string)) {
						return e.resolve(a[1])
					}
					return e.resolve(a[2])
				case "Fn::Sub":
					return x
				}
			}
		}
		out := map[string]any{}
		for k, el := range x {
			if r := e.resolve(el); r != nil {
				out[k] = r
			}
		}
		return out
	}
	return v
}

func (e env) condition(name string) bool {
	c := get(e.t, "Conditions", name)
	var eval func(v any) any
	eval = func(v any) any {
		m := v.(map[string]any)
		for k, arg := range m {
			switch k {
			case "Fn::Equals":
				a := arg.([]any)
				return reflect.DeepEqual(eval2(e, a[0]), eval2(e, a[1]))
			case "Fn::Not":
				return !eval(arg.([]any)[0]).(bool)
			}
		}
		panic(fmt.Sprintf("condition %s: unsupported %v", name, v))
	}
	return eval(c).(bool)
}

func eval2(e env, v any) any {
	if m, ok := v.(map[string]any); ok {
		if j, ok := m["Fn::Join"]; ok {
			a := j.([]any)
			var parts []string
			for _, p := range e.resolve(a[1]).([]string) {
				parts = append(parts, p)
			}
			return strings.Join(parts, a[0].(string))
		}
	}
	return e.resolve(v)
}

// startConfig reads the configuration from the variables the template sets,
// as a cold start does, with realistic values for the parameters.
func startConfig(t *testing.T, vars map[string]any) config.Config {
	t.Helper()
	env := map[string]string{}
	for k, v := range vars {
		s := fmt.Sprint(v)
		switch s {
		case "ref:PveBaseUrl":
			s = "https://pve.internal.example.com:8006"
		case "ref:PveSecretArn":
			s = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:pve-mcp/token-AbCdEf"
		}
		env[k] = s
	}
	cfg, arn, err := config.FromEnvWithSecret(func(k string) string { return env[k] }, false)
	if err != nil || arn == "" {
		t.Fatalf("the function would not start: %v (%v)", err, env)
	}
	return cfg
}

func defaults(t tmpl) map[string]any {
	p := map[string]any{}
	for name, def := range get(t, "Parameters").(map[string]any) {
		d := get(def, "Default")
		if get(def, "Type") == "CommaDelimitedList" {
			var list []string
			if s, _ := d.(string); s != "" {
				list = strings.Split(s, ",")
			}
			p[name] = list
			continue
		}
		if d != nil {
			p[name] = fmt.Sprint(d)
		}
	}
	return p
}

func TestTemplateFunction(t *testing.T) {
	tp := loadTemplate(t)
	if tp["Transform"] != "AWS::Serverless-2016-10-31" {
		t.Fatalf("Transform = %v", tp["Transform"])
	}
	fn := get(tp, "Resources", "PveMcpFunction")
	if get(fn, "Type") != "AWS::Serverless::Function" {
		t.Fatalf("function type %v", get(fn, "Type"))
	}
	props := get(fn, "Properties")
	for key, want := range map[string]any{
		"Runtime":       "provided.al2023",
		"Handler":       "bootstrap",
		"Architectures": []any{"arm64"},
		"CodeUri":       "cmd/lambda/",
	} {
		if got := get(props, key); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	if get(fn, "Metadata", "BuildMethod") != "go1.x" {
		t.Errorf("BuildMethod = %v", get(fn, "Metadata", "BuildMethod"))
	}
	// CodeUri is this package: the bootstrap sam build compiles is this main.
	if _, err := os.Stat("main.go"); err != nil {
		t.Error(err)
	}
	// The adapter answers buffered function URL events only.
	if get(props, "FunctionUrlConfig", "InvokeMode") != "BUFFERED" || !reflect.DeepEqual(get(props, "FunctionUrlConfig", "AuthType"), ref("FunctionUrlAuthType")) {
		t.Errorf("FunctionUrlConfig = %v", get(props, "FunctionUrlConfig"))
	}
	if allowed := get(tp, "Parameters", "FunctionUrlAuthType", "AllowedValues"); !reflect.DeepEqual(allowed, []any{"AWS_IAM", "NONE"}) || get(tp, "Parameters", "FunctionUrlAuthType", "Default") != "AWS_IAM" {
		t.Errorf("FunctionUrlAuthType: %v", get(tp, "Parameters", "FunctionUrlAuthType"))
	}
	// Set on purpose, not left to defaults.
	for _, key := range []string{"MemorySize", "Timeout", "ReservedConcurrentExecutions"} {
		if get(props, key) == nil {
			t.Errorf("%s not set", key)
		}
	}
	if timeout, _ := get(props, "Timeout").(int); timeout < 30 || timeout > 900 {
		t.Errorf("Timeout %v", get(props, "Timeout"))
	}
	if get(props, "LoggingConfig", "LogFormat") != "JSON" || !reflect.DeepEqual(get(props, "LoggingConfig", "LogGroup"), ref("PveMcpLogGroup")) {
		t.Errorf("LoggingConfig %v", get(props, "LoggingConfig"))
	}
	if get(tp, "Resources", "PveMcpLogGroup", "Properties", "RetentionInDays") == nil {
		t.Error("log retention not set")
	}
	// The URL output is the function URL's /mcp.
	if !reflect.DeepEqual(get(tp, "Outputs", "McpUrl", "Value"), map[string]any{"Fn::Sub": "${PveMcpFunctionUrl.FunctionUrl}mcp"}) {
		t.Errorf("McpUrl = %v", get(tp, "Outputs", "McpUrl", "Value"))
	}
	for _, p := range []string{"Stage", "PveBaseUrl", "PveSecretArn", "SubnetIds", "SecurityGroupIds", "AccessTier", "Categories"} {
		if get(tp, "Parameters", p) == nil {
			t.Errorf("parameter %s missing", p)
		}
	}
}

// The only permission is GetSecretValue on the secret parameter(s).
func TestTemplatePolicyScopedToTheSecret(t *testing.T) {
	tp := loadTemplate(t)
	policies := get(tp, "Resources", "PveMcpFunction", "Properties", "Policies").([]any)
	for _, tc := range []struct {
		name      string
		params    map[string]any
		resources []any
		managed   []any
	}{
		{"token secret only", map[string]any{}, []any{"ref:PveSecretArn"}, nil},
		{"with MCP token secret and VPC", map[string]any{"McpAuthSecretArn": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:mcp-AbCdEf", "SubnetIds": []string{"subnet-1"}},
			[]any{"ref:PveSecretArn", "arn:aws:secretsmanager:eu-central-1:123456789012:secret:mcp-AbCdEf"},
			[]any{map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := defaults(tp)
			delete(params, "PveSecretArn")
			for k, v := range tc.params {
				params[k] = v
			}
			e := env{t: tp, params: params}
			var resources, managed []any
			for _, p := range e.resolve(policies).([]any) {
				doc, ok := p.(map[string]any)
				if !ok || doc["Statement"] == nil {
					managed = append(managed, p)
					continue
				}
				for _, st := range doc["Statement"].([]any) {
					if get(st, "Effect") != "Allow" || get(st, "Action") != "secretsmanager:GetSecretValue" {
						t.Errorf("statement %v: only Allow secretsmanager:GetSecretValue", st)
					}
					resources = append(resources, get(st, "Resource"))
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

// Every stage has settings; the tier and categories each stage gets are
// valid, prod reads only, dev is full, and overrides win.
func TestTemplateStageSettings(t *testing.T) {
	tp := loadTemplate(t)
	stages := get(tp, "Parameters", "Stage", "AllowedValues").([]any)
	mapping := get(tp, "Mappings", "StageSettings").(map[string]any)
	if len(mapping) != len(stages) {
		t.Errorf("StageSettings has %d stages, Stage allows %d", len(mapping), len(stages))
	}
	vars := get(tp, "Resources", "PveMcpFunction", "Properties", "Environment", "Variables")
	props := get(tp, "Resources", "PveMcpFunction", "Properties")
	want := map[string]string{"dev": "full", "staging": "read-execute", "prod": "read-only"}
	for _, s := range stages {
		stage := s.(string)
		if mapping[stage] == nil {
			t.Fatalf("stage %s has no StageSettings", stage)
		}
		p := defaults(tp)
		p["Stage"] = stage
		e := env{t: tp, params: p}
		got := e.resolve(vars).(map[string]any)
		tier, err := tools.ParseTier(got["PVE_ACCESS_TIER"].(string))
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
		if m, err := tools.ParseMode(fmt.Sprint(got["PVE_TOOL_MODE"])); err != nil || m.String() != get(mapping, stage, "ToolMode") {
			t.Errorf("%s: PVE_TOOL_MODE %v (%v), StageSettings says %v", stage, got["PVE_TOOL_MODE"], err, get(mapping, stage, "ToolMode"))
		}
		if p, err := tools.ParseConfirmPolicy(fmt.Sprint(got["PVE_CONFIRM"])); err != nil || p.String() != get(mapping, stage, "Confirm") || cfg.Confirm.Policy != p {
			t.Errorf("%s: PVE_CONFIRM %v (%v), StageSettings says %v", stage, got["PVE_CONFIRM"], err, get(mapping, stage, "Confirm"))
		}
		if _, set := got["PVE_CONFIRM_KEY_SECRET_ARN"]; set {
			t.Errorf("%s: empty ConfirmKeySecretArn must leave PVE_CONFIRM_KEY_SECRET_ARN unset", stage)
		}
		if stage == "prod" && slices.Contains(cfg.Tools.Categories, tools.Access) {
			t.Errorf("prod must leave out the access category")
		}
		for _, k := range []string{"ReservedConcurrency", "LogRetentionDays"} {
			if n, ok := get(mapping, stage, k).(int); !ok || n <= 0 {
				t.Errorf("%s: %s = %v", stage, k, get(mapping, stage, k))
			}
		}
		if e.resolve(get(props, "ReservedConcurrentExecutions")) != get(mapping, stage, "ReservedConcurrency") {
			t.Errorf("%s: concurrency not from the stage", stage)
		}
		// The output names the stage's tier.
		if out := e.resolve(get(tp, "Outputs", "AccessTier", "Value")); out != want[stage] {
			t.Errorf("%s: AccessTier output %v", stage, out)
		}
		if _, ok := got["PVE_TLS_FINGERPRINT"]; ok {
			t.Errorf("%s: empty fingerprint must not be set", stage)
		}
		if got["PVE_SECRET_ARN"] != "ref:PveSecretArn" && got["PVE_SECRET_ARN"] != nil {
			t.Errorf("PVE_SECRET_ARN = %v", got["PVE_SECRET_ARN"])
		}
	}
	// Overrides win over the stage.
	p := defaults(tp)
	p["Stage"], p["AccessTier"], p["Categories"], p["ToolMode"], p["Confirm"] = "prod", "read-execute", "nodes,qemu", "compact", "off"
	got := env{t: tp, params: p}.resolve(vars).(map[string]any)
	if got["PVE_ACCESS_TIER"] != "read-execute" || got["PVE_CATEGORIES"] != "nodes,qemu" || got["PVE_TOOL_MODE"] != "compact" || got["PVE_CONFIRM"] != "off" {
		t.Errorf("override: %v", got)
	}
	if cfg := startConfig(t, got); !reflect.DeepEqual(cfg.Tools.Categories, []tools.Category{tools.Nodes, tools.QEMU}) {
		t.Errorf("override categories %v", cfg.Tools.Categories)
	}
	p["Categories"] = "all"
	got = env{t: tp, params: p}.resolve(vars).(map[string]any)
	if _, set := got["PVE_CATEGORIES"]; set {
		t.Errorf("Categories=all must leave PVE_CATEGORIES unset: %v", got["PVE_CATEGORIES"])
	}
	if cfg := startConfig(t, got); cfg.Tools.Categories != nil {
		t.Errorf("all categories: %v", cfg.Tools.Categories)
	}
	if cfg := startConfig(t, got); cfg.ToolMode != tools.ModeCompact {
		t.Errorf("override tool mode: %v", cfg.ToolMode)
	}
	if cfg := startConfig(t, got); cfg.Confirm.Policy != tools.ConfirmOff {
		t.Errorf("override confirm: %v", cfg.Confirm.Policy)
	}
	for _, a := range get(tp, "Parameters", "Confirm", "AllowedValues").([]any) {
		if _, err := tools.ParseConfirmPolicy(a.(string)); err != nil && a != "stage-default" {
			t.Errorf("Confirm allows %v: %v", a, err)
		}
	}
	for _, a := range get(tp, "Parameters", "ToolMode", "AllowedValues").([]any) {
		if _, err := tools.ParseMode(a.(string)); err != nil && a != "stage-default" {
			t.Errorf("ToolMode allows %v: %v", a, err)
		}
	}
	allowed := get(tp, "Parameters", "AccessTier", "AllowedValues").([]any)
	for _, a := range allowed {
		if a == "stage-default" {
			continue
		}
		if _, err := tools.ParseTier(a.(string)); err != nil {
			t.Errorf("AccessTier allows %v: %v", a, err)
		}
	}
}

// Every variable the template sets is one the program reads.
func TestTemplateVariablesAreKnown(t *testing.T) {
	tp := loadTemplate(t)
	// MCP_AUTH_SECRET_ARN: config/auth.go; PVE_DEMO: boot.DemoFromEnv; FUNCTION_URL_AUTH_TYPE: main.go.
	known := map[string]bool{"MCP_AUTH_SECRET_ARN": true, "PVE_DEMO": true, "FUNCTION_URL_AUTH_TYPE": true}
	for _, v := range slices.Concat(config.Vars, config.SecretVars) {
		known[v.Name] = true
	}
	vars := get(tp, "Resources", "PveMcpFunction", "Properties", "Environment", "Variables").(map[string]any)
	for name := range vars {
		if !known[name] {
			t.Errorf("template sets %s, which pve-mcp does not read", name)
		}
	}
	for _, must := range []string{"PVE_BASE_URL", "PVE_SECRET_ARN", "PVE_ACCESS_TIER", "PVE_CATEGORIES"} {
		if vars[must] == nil {
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
