package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Dockerfile cannot be built here (no Docker); this checks what it
// promises: multi-stage, a static binary of this command, a distroless
// non-root runtime with CA certificates, the server as PID 1. Its build
// command is run as written and the result checked for being static.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines, drop comments.
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(string(raw), "\\\n", " "), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	var froms []string
	var final []string // instructions of the last stage
	var buildCmd string
	for _, l := range lines {
		if strings.HasPrefix(l, "FROM ") {
			froms = append(froms, l)
			final = nil
		}
		final = append(final, l)
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			buildCmd = strings.TrimPrefix(l, "RUN ")
		}
	}
	if len(froms) != 2 || !strings.Contains(froms[0], " AS build") {
		t.Fatalf("want a build stage and a runtime stage: %q", froms)
	}
	if froms[1] != "FROM gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("runtime base %q: want distroless static (CA certificates, no shell) as nonroot", froms[1])
	}
	stage := strings.Join(final, "\n")
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

	// The build command, as written, for this machine's platform.
	if !strings.Contains(buildCmd, "CGO_ENABLED=0") || !strings.Contains(buildCmd, "./cmd/server") {
		t.Fatalf("build command %q", buildCmd)
	}
	out := filepath.Join(t.TempDir(), "pve-mcp-server")
	cmdLine := regexp.MustCompile(`GOOS=\S+ GOARCH=\S+ `).ReplaceAllString(buildCmd, "")
	cmdLine = strings.ReplaceAll(cmdLine, "/out/pve-mcp-server", out)
	build := exec.Command("sh", "-c", cmdLine)
	build.Dir = "../.."
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdLine, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("binary is dynamically linked (%v): distroless static has no libc", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("binary needs %v", libs)
	}
}
