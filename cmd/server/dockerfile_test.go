package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// dockerfile is what the tests read out of ../../Dockerfile.
type dockerfile struct {
	froms    []string // FROM lines
	final    []string // instructions of the last stage
	buildCmd string   // the RUN ... go build command, without RUN
}

func readDockerfile() (dockerfile, error) {
	var d dockerfile
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		return d, err
	}
	// Join continuation lines, drop comments.
	for _, l := range strings.Split(strings.ReplaceAll(string(raw), "\\\n", " "), "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "FROM ") {
			d.froms = append(d.froms, l)
			d.final = nil
		}
		d.final = append(d.final, l)
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			d.buildCmd = strings.TrimPrefix(l, "RUN ")
		}
	}
	if !strings.Contains(d.buildCmd, "CGO_ENABLED=0") || !strings.Contains(d.buildCmd, "./cmd/server") || !strings.Contains(d.buildCmd, "/out/pve-mcp-server") {
		return d, fmt.Errorf("Dockerfile build command %q: want a CGO_ENABLED=0 build of ./cmd/server to /out/pve-mcp-server", d.buildCmd)
	}
	return d, nil
}

// dryRun runs the Dockerfile's build command as written, for this
// machine's platform, with go build's -n: Go checks the flags, the package
// and its imports and prints the commands it would run, without compiling
// (a real build here would compile the standard library and every
// dependency a second time, for CGO_ENABLED=0 and -trimpath: minutes on a
// cold cache). The binary itself is built with the same flags by the
// GoReleaser snapshot in .ci/run, which checks that the linux binaries are
// static.
func dryRun(d dockerfile) error {
	cmdLine := regexp.MustCompile(`GOOS=\S+ GOARCH=\S+ `).ReplaceAllString(d.buildCmd, "")
	cmdLine = strings.Replace(cmdLine, "go build ", "go build -n ", 1)
	build := exec.Command("sh", "-c", cmdLine)
	build.Dir = "../.."
	if b, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", cmdLine, err, b)
	}
	return nil
}

// The Dockerfile cannot be built here (no Docker); this checks what it
// promises: multi-stage, a static binary of this command, a distroless
// non-root runtime with CA certificates, the server as PID 1, and a build
// command Go accepts (see dryRun).
func TestDockerfile(t *testing.T) {
	d, err := readDockerfile()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.froms) != 2 || !strings.Contains(d.froms[0], " AS build") {
		t.Fatalf("want a build stage and a runtime stage: %q", d.froms)
	}
	if d.froms[1] != "FROM gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("runtime base %q: want distroless static (CA certificates, no shell) as nonroot", d.froms[1])
	}
	stage := strings.Join(d.final, "\n")
	for _, want := range []string{
		"COPY --from=build /out/pve-mcp-server /usr/local/bin/pve-mcp-server",
		"USER 65532:65532",
		`ENTRYPOINT ["/usr/local/bin/pve-mcp-server"]`,
	} {
		if !strings.Contains(stage, want) {
			t.Errorf("runtime stage lacks %s", want)
		}
	}
	if strings.Contains(stage, "USER root") || strings.Contains(stage, "USER 0") {
		t.Error("runtime runs as root")
	}

	if !strings.Contains(d.buildCmd, "-trimpath") {
		t.Errorf("build command %q: want -trimpath (reproducible, no build paths in the binary)", d.buildCmd)
	}
	if err := dryRun(d); err != nil {
		t.Fatal(err)
	}
}
