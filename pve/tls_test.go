package pve

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tlsServer is a Proxmox stand-in with httptest's self-signed certificate
// (valid for 127.0.0.1 and example.com, trusted by no system). It counts
// the connections made to it in conns, if given.
func tlsServer(t *testing.T, conns *atomic.Int32) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":{"version":"9.1.1"}}`))
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew && conns != nil {
			conns.Add(1)
		}
	}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point here
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

func writePEM(t *testing.T, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// otherCA is a CA that signed nothing the test server presents.
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(42),
		Subject:               pkix.Name{CommonName: "Other CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// fingerprint is the server certificate's SHA-256 as Proxmox shows it
// (pvenode cert info): upper-case hex pairs joined by colons.
func fingerprint(t *testing.T, ts *httptest.Server) string {
	sum := sha256.Sum256(ts.Certificate().Raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = strings.ToUpper(hex.EncodeToString([]byte{b}))
	}
	return strings.Join(parts, ":")
}

func TestTLSModes(t *testing.T) {
	var conns atomic.Int32
	ts := tlsServer(t, &conns)
	good := fingerprint(t, ts)
	wrong := strings.Repeat("AB:", 31) + "AB"
	for _, tc := range []struct {
		name    string
		base    string // "" means the server's own URL
		tls     TLSConfig
		wantErr []string
	}{
		{name: "verification on by default refuses a self-signed certificate", wantErr: []string{"cannot reach Proxmox at 127.0.0.1", "certificate", "PVE_CA_CERT", "PVE_TLS_FINGERPRINT"}},
		{name: "PVE_VERIFY_SSL=false", tls: TLSConfig{Insecure: true}},
		{name: "PVE_CA_CERT with the server's CA", tls: TLSConfig{CAFile: writePEM(t, ts.Certificate().Raw)}},
		{name: "PVE_CA_CERT with another CA", tls: TLSConfig{CAFile: writePEM(t, otherCA(t))}, wantErr: []string{"certificate signed by unknown authority"}},
		{name: "PVE_CA_CERT checks the host name", base: strings.Replace(ts.URL, "127.0.0.1", "localhost", 1), tls: TLSConfig{CAFile: writePEM(t, ts.Certificate().Raw)}, wantErr: []string{"localhost"}},
		{name: "PVE_TLS_FINGERPRINT as Proxmox shows it", tls: TLSConfig{Fingerprint: good}},
		{name: "PVE_TLS_FINGERPRINT lower case", tls: TLSConfig{Fingerprint: strings.ToLower(good)}},
		{name: "PVE_TLS_FINGERPRINT plain hex", tls: TLSConfig{Fingerprint: strings.ReplaceAll(good, ":", "")}},
		// The pin is the trust anchor: the one pinned certificate is
		// accepted whatever name the cluster is reached by (Proxmox's
		// self-signed node certificates rarely match the address used).
		{name: "PVE_TLS_FINGERPRINT with another host name", base: strings.Replace(ts.URL, "127.0.0.1", "localhost", 1), tls: TLSConfig{Fingerprint: good}},
		{name: "PVE_TLS_FINGERPRINT wrong", tls: TLSConfig{Fingerprint: wrong}, wantErr: []string{"certificate fingerprint " + good + " does not match PVE_TLS_FINGERPRINT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := tc.base
			if base == "" {
				base = ts.URL
			}
			c, err := New(Config{BaseURL: base, TokenID: testTokenID, TokenSecret: testTokenSecret, TLS: tc.tls})
			if err != nil {
				t.Fatal(err)
			}
			conns.Store(0)
			version, err := c.Check(context.Background())
			if len(tc.wantErr) == 0 {
				if err != nil || version != "9.1.1" {
					t.Fatalf("Check = %q, %v", version, err)
				}
				return
			}
			var ce *ConnError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a connection error", err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			// The same certificate comes back every time: no retry.
			if n := conns.Load(); n != 1 {
				t.Errorf("%d connections for a refused certificate, want 1", n)
			}
		})
	}
}

func TestTLSConfigErrors(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	for _, tc := range []struct {
		tls  TLSConfig
		want string
	}{
		{TLSConfig{CAFile: filepath.Join(t.TempDir(), "missing.pem")}, "PVE_CA_CERT"},
		{TLSConfig{CAFile: garbage}, "holds no PEM certificate"},
		{TLSConfig{Fingerprint: "AB:CD"}, "PVE_TLS_FINGERPRINT"},
	} {
		_, err := New(Config{BaseURL: "https://127.0.0.1:8006", TokenID: testTokenID, TokenSecret: testTokenSecret, TLS: tc.tls})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New with %+v: %v, want an error containing %q", tc.tls, err, tc.want)
		}
	}
}

func TestParseFingerprint(t *testing.T) {
	sum := sha256.Sum256([]byte("pve"))
	colon := FormatFingerprint(sum[:])
	if len(colon) != 32*3-1 || strings.ToUpper(colon) != colon {
		t.Fatalf("FormatFingerprint = %q", colon)
	}
	for _, ok := range []string{colon, strings.ToLower(colon), hex.EncodeToString(sum[:]), "  " + colon + "\n"} {
		got, err := ParseFingerprint(ok)
		if err != nil || string(got) != string(sum[:]) {
			t.Errorf("ParseFingerprint(%q) = %x, %v", ok, got, err)
		}
	}
	sha1 := strings.Repeat("AB:", 19) + "AB"
	for _, bad := range []string{
		"",
		"AB:CD",
		sha1,                 // a SHA-1 fingerprint (20 bytes)
		colon + ":00",        // 33 bytes
		colon[:len(colon)-1], // odd number of digits
		strings.Replace(colon, colon[:2], "ZZ", 1),
		"SHA256:" + hex.EncodeToString(sum[:]),
	} {
		_, err := ParseFingerprint(bad)
		if err == nil {
			t.Errorf("ParseFingerprint(%q) accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "PVE_TLS_FINGERPRINT") || !strings.Contains(err.Error(), "SHA-256") {
			t.Errorf("ParseFingerprint(%q): %v does not say what is expected", bad, err)
		}
	}
}

// TestTransportOverridesTLS documents that a custom transport (tests) is used
// as given.
func TestTransportOverridesTLS(t *testing.T) {
	ts := tlsServer(t, nil)
	c, err := New(Config{BaseURL: ts.URL, TokenID: testTokenID, TokenSecret: testTokenSecret,
		TLS: TLSConfig{Fingerprint: strings.Repeat("00", 32)}, Transport: ts.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(context.Background()); err != nil {
		t.Errorf("Check with the server's own transport: %v", err)
	}
}
