// Command lambda is pve-mcp on AWS Lambda behind a function URL (payload
// format 2.0). Built as the `bootstrap` of a provided.al2023 function (see
// template.yaml); the same http.Handler as the other runners serves every
// invocation. FUNCTION_URL_INVOKE_MODE, the function URL's InvokeMode, picks
// how: BUFFERED (the default) through funcurl, one response per
// invocation; RESPONSE_STREAM through aws-lambda-go's lambdaurl, which
// sends the body as it is written, so progress notifications arrive while
// a call runs (streaming.go).
//
// Startup runs once per cold start: configuration from the environment,
// the Proxmox token from AWS Secrets Manager when PVE_SECRET_ARN is set
// (kept for the life of the instance, read again on a Proxmox 401), the
// handler. PVE_DEMO=true serves the simulated cluster instead (the
// runtime-emulator test and `sam local invoke` use it).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/pve-mcp/pve-mcp/cmd/internal/boot"
	"github.com/pve-mcp/pve-mcp/funcurl"
	"github.com/pve-mcp/pve-mcp/handler"
)

func main() {
	h, cleanup, err := setup(os.Getenv)
	if err != nil {
		// An init error: Lambda reports it and retries the cold start.
		fmt.Fprintln(os.Stderr, "pve-mcp:", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(h,
		lambda.WithContext(context.Background()),
		// Lambda sends SIGTERM before it retires the instance (when extensions are registered).
		lambda.WithEnableSIGTERM(cleanup),
	)
}

// bufferedFunc is the Lambda handler of a BUFFERED function URL.
type bufferedFunc = func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error)

// setup builds the invocation handler: a bufferedFunc or, with
// FUNCTION_URL_INVOKE_MODE=RESPONSE_STREAM, a streamFunc.
func setup(getenv func(string) string) (any, func(), error) {
	demo, err := boot.DemoFromEnv(getenv)
	if err != nil {
		return nil, func() {}, err
	}
	mode := getenv("FUNCTION_URL_INVOKE_MODE")
	switch mode {
	case "":
		mode = invokeBuffered
	case invokeBuffered, invokeStream:
	default:
		return nil, func() {}, fmt.Errorf("FUNCTION_URL_INVOKE_MODE=%q: want %s or %s, the function URL's InvokeMode", mode, invokeBuffered, invokeStream)
	}
	cfg, log, cleanup, err := boot.LoadWith(boot.Options{Demo: demo, Getenv: getenv})
	if err != nil {
		log.Error("startup failed", "error", err.Error())
		return nil, cleanup, err
	}
	// A function URL with AuthType NONE is public: then MCP authentication is
	// required, as for any non-loopback listener (MCP_AUTH=none overrides).
	// With AWS_IAM, the variable alone is not trusted: every invocation
	// must carry the IAM caller Lambda adds to signed requests.
	iam := getenv("FUNCTION_URL_AUTH_TYPE") == "AWS_IAM"
	if !iam {
		if err := handler.CheckListen(cfg, "0.0.0.0:443", demo, log); err != nil {
			err = fmt.Errorf("%w (the function URL is public: set MCP_AUTH_TOKENS/MCP_AUTH_SECRET_ARN or OAuth, or deploy with FunctionUrlAuthType=AWS_IAM)", err)
			log.Error("startup failed", "error", err.Error())
			return nil, cleanup, err
		}
	}
	h, err := handler.New(cfg, log)
	if err != nil {
		log.Error("startup failed", "error", err.Error())
		return nil, cleanup, err
	}
	log.Info("pve-mcp ready for function URL invocations", "path", "/mcp", "tier", cfg.Tools.Tier.String(), "invoke_mode", mode,
		"function", getenv("AWS_LAMBDA_FUNCTION_NAME"), "version", getenv("AWS_LAMBDA_FUNCTION_VERSION"))
	if mode == invokeStream {
		if !cfg.HTTPStream {
			log.Warn("FUNCTION_URL_INVOKE_MODE is RESPONSE_STREAM but PVE_HTTP_STREAM is false: every call is still answered with one JSON body, without progress")
		}
		return streamHandler(h, log, iam), cleanup, nil
	}
	return bufferedFunc(funcurl.Handler(h, funcurl.Options{Log: log, RequireIAM: iam})), cleanup, nil
}
