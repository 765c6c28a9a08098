// Package secretstest is a local stand-in for AWS Secrets Manager: an
// httptest server speaking the service's JSON protocol (awsJson1_1,
// X-Amz-Target: secretsmanager.GetSecretValue) well enough for the real
// SDK client to fetch secrets from it, fail as the service fails
// (ResourceNotFoundException, AccessDeniedException) and see a secret
// rotate. Tests point the SDK at it with BaseEndpoint; nothing leaves
// 127.0.0.1.
package secretstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/pve-mcp/pve-mcp/secrets"
)

// Region is the region the test client signs for.
const Region = "eu-central-1"

// ARN builds a secret ARN in the test account and Region.
func ARN(name string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:123456789012:secret:%s-AbCdEf", Region, name)
}

type secret struct {
	value   string
	binary  []byte
	version int
	denied  bool
}

// Server is a fake Secrets Manager endpoint.
type Server struct {
	URL string

	mu      sync.Mutex
	secrets map[string]*secret
	calls   map[string]int
	bad     []string // protocol violations the client committed
}

// New starts a server closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{secrets: map[string]*secret{}, calls: map[string]int{}}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, b := range s.bad {
			t.Errorf("secretstest: bad request: %s", b)
		}
	})
	s.URL = ts.URL
	return s
}

// Put stores value as the new current version of the secret arn (a
// rotation when it already exists).
func (s *Server) Put(arn, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[arn]
	if sec == nil {
		sec = &secret{}
		s.secrets[arn] = sec
	}
	sec.value, sec.binary = value, nil
	sec.version++
}

// PutBinary stores a SecretBinary value.
func (s *Server) PutBinary(arn string, value []byte) {
	s.Put(arn, "")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[arn].binary = value
}

// Deny makes GetSecretValue on arn fail as it does when the caller's IAM
// policy does not allow it.
func (s *Server) Deny(arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[arn]
	if sec == nil {
		sec = &secret{}
		s.secrets[arn] = sec
	}
	sec.denied = true
}

// Calls is how many GetSecretValue requests named arn.
func (s *Server) Calls(arn string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[arn]
}

// Client returns the real SDK client pointed at the server, with static
// test credentials and no shared AWS configuration files.
func (s *Server) Client(t testing.TB) *secretsmanager.Client {
	t.Helper()
	c, err := secrets.NewClient(context.Background(), s.URL, Options()...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Options are the AWS config options the test client uses: Region, static
// credentials, no shared config files, no retries (so a failure shows once).
func Options() []func(*awsconfig.LoadOptions) error {
	return []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(Region),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret-key", "")),
		awsconfig.WithSharedConfigFiles([]string{}),
		awsconfig.WithSharedCredentialsFiles([]string{}),
		awsconfig.WithRetryMaxAttempts(1),
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		s.bad = append(s.bad, r.Method+" "+r.URL.Path)
		writeErr(w, http.StatusNotFound, "UnknownOperationException", "")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		s.bad = append(s.bad, "Content-Type "+ct)
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/"+Region+"/secretsmanager/aws4_request") {
		writeErr(w, http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires a SigV4 signature for secretsmanager in "+Region)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "secretsmanager.GetSecretValue" {
		writeErr(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	var in struct {
		SecretID string `json:"SecretId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.SecretID == "" {
		writeErr(w, http.StatusBadRequest, "InvalidParameterException", "You must specify a SecretId.")
		return
	}
	s.calls[in.SecretID]++
	sec := s.secrets[in.SecretID]
	if sec != nil && sec.denied {
		writeErr(w, http.StatusBadRequest, "AccessDeniedException", fmt.Sprintf("User: arn:aws:sts::123456789012:assumed-role/pve-mcp-dev/pve-mcp is not authorized to perform: secretsmanager:GetSecretValue on resource: %s because no identity-based policy allows the secretsmanager:GetSecretValue action", in.SecretID))
		return
	}
	if sec == nil {
		writeErr(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	out := map[string]any{
		"ARN":           in.SecretID,
		"Name":          secretName(in.SecretID),
		"VersionId":     fmt.Sprintf("00000000-0000-4000-8000-%012d", sec.version),
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   1.7e9 + float64(sec.version),
	}
	if sec.binary != nil {
		out["SecretBinary"] = sec.binary // encoding/json writes base64, as the service does
	} else {
		out["SecretString"] = sec.value
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func secretName(arn string) string {
	if i := strings.LastIndex(arn, ":secret:"); i >= 0 {
		name := arn[i+len(":secret:"):]
		if j := strings.LastIndex(name, "-"); j > 0 {
			return name[:j]
		}
		return name
	}
	return arn
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	body := map[string]string{"__type": code}
	if msg != "" {
		body["Message"] = msg
	}
	json.NewEncoder(w).Encode(body)
}
